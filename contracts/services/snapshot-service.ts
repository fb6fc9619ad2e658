import type { QueryOptions, RequestContext } from '../model/query.js';

/** Snapshot.Save's answer: the archive and the state index it was taken at (X-Consul-Index). */
export interface SnapshotSaveReply {
  /** The last applied Raft index the archive's state is at. */
  Index: number;
  /** The archive: Consul's layout (gzip'd tar of meta.json, state.bin, SHA256SUMS). */
  Archive: Uint8Array;
}

/** Consul's Snapshot endpoint (agent/consul/snapshot_endpoint.go), answered by the leader (any server with `stale`). */
export interface SnapshotService {
  /** Snapshot.Save: a point-in-time archive of the whole replicated state (`GET /v1/snapshot`). */
  save(ctx?: QueryOptions): Promise<SnapshotSaveReply>;
  /**
   * Snapshot.Restore: verifies the archive and replaces the whole state with it on every server
   * (through Raft; `PUT /v1/snapshot`). Rejects STORAGE_CORRUPT, changing nothing, when the archive
   * is corrupt (Consul's texts, e.g. `failed checking integrity of snapshot: …`).
   */
  restore(archive: Uint8Array, ctx?: RequestContext): Promise<void>;
}
