import type { Clock } from '../../contracts/platform.js';
import type { QueryOptions, RequestContext } from '../../contracts/model/query.js';
import type { SnapshotSaveReply, SnapshotService } from '../../contracts/services/snapshot-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { decodeSnapshotArchive, encodeSnapshotArchive } from '../snapshot/snapshot-archive.js';
import { encodeCommand } from '../state/command-codec.js';
import { StateStore } from '../state/state-store.js';

/** What SnapshotEndpoint is built from. */
export interface SnapshotEndpointDeps {
  store: Pick<StateStore, 'snapshot' | 'lastApplied'>;
  raft: Pick<RaftApi, 'propose' | 'readBarrier'>;
  /** The server's current Raft term (the archive's meta Term). */
  term: () => number;
  clock: Clock;
}

/** The archive format version written in meta.json (raft's SnapshotVersion 1, as Consul's). */
const ARCHIVE_VERSION = 1;

/**
 * Consul's Snapshot endpoint: Save writes the whole state (StateStore.snapshot) into Consul's
 * archive layout, with meta ID `term-index-ms` as raft names its snapshots; Restore verifies the
 * archive, checks the image decodes (on a scratch store), then commits it as one `state.restore`
 * Raft entry, which every server applies at the same index. (Consul's leader calls raft.Restore
 * instead; one log entry gives the same result here without a second snapshot-install path, at
 * our state sizes — an entry is bounded by the transport's 64 MiB frame.)
 */
export class SnapshotEndpoint implements SnapshotService {
  constructor(private readonly deps: SnapshotEndpointDeps) {}

  /** Snapshot.Save. */
  async save(ctx?: QueryOptions): Promise<SnapshotSaveReply> {
    const consistency = ctx?.consistency ?? 'default';
    if (consistency !== 'stale') await this.deps.raft.readBarrier(consistency);
    const index = this.deps.store.lastApplied();
    const image = this.deps.store.snapshot(); // captured now, at `index`
    const term = this.deps.term();
    const now = this.deps.clock.now();
    const archive = encodeSnapshotArchive({ Version: ARCHIVE_VERSION, ID: `${term}-${index}-${now}`, Index: index, Term: term }, await image, Math.floor(now / 1000));
    return { Index: index, Archive: archive };
  }

  /** Snapshot.Restore. */
  async restore(archive: Uint8Array, _ctx?: RequestContext): Promise<void> {
    const { state } = decodeSnapshotArchive(archive);
    new StateStore().restore(state, 0); // throws STORAGE_CORRUPT for an image no server could load
    await this.deps.raft.propose(encodeCommand({ type: 'state.restore', image: state }));
  }
}
