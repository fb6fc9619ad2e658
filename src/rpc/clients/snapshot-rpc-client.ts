import type { QueryOptions, RequestContext } from '../../../contracts/model/query.js';
import type { SnapshotSaveReply, SnapshotService } from '../../../contracts/services/snapshot-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** SnapshotService as the surfaces see it on every agent: the Snapshot RPCs, answered by the leader (any server when stale). */
export class SnapshotRpcClient implements SnapshotService {
  constructor(private readonly rpc: RpcCaller) {}

  /** Snapshot.Save. */
  async save(ctx?: QueryOptions): Promise<SnapshotSaveReply> {
    return this.rpc.call('Snapshot.Save', {}, ctx);
  }

  /** Snapshot.Restore. */
  async restore(archive: Uint8Array, ctx?: RequestContext): Promise<void> {
    await this.rpc.call('Snapshot.Restore', { archive }, ctx);
  }
}
