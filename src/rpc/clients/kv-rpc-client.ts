import type { KvEntry } from '../../../contracts/model/kv.js';
import type { QueryOptions, QueryResult, RequestContext } from '../../../contracts/model/query.js';
import type { KvOp, KvService } from '../../../contracts/services/kv-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** KvService as the surfaces see it on every agent: each call is the KVS RPC, wherever it is answered. */
export class KvRpcClient implements KvService {
  constructor(private readonly rpc: RpcCaller) {}

  /** KVS.Get. */
  get(key: string, opts: QueryOptions): Promise<QueryResult<KvEntry | null>> {
    return this.rpc.call('KVS.Get', { key }, opts);
  }

  /** KVS.List. */
  list(prefix: string, opts: QueryOptions): Promise<QueryResult<KvEntry[]>> {
    return this.rpc.call('KVS.List', { prefix }, opts);
  }

  /** KVS.ListKeys. */
  keys(prefix: string, separator: string, opts: QueryOptions): Promise<QueryResult<string[]>> {
    return this.rpc.call('KVS.ListKeys', { prefix, separator }, opts);
  }

  /** KVS.Apply. */
  apply(op: KvOp, ctx?: RequestContext): Promise<boolean> {
    return this.rpc.call('KVS.Apply', { op }, ctx);
  }
}
