import type { QueryOptions, RequestContext } from '../../../contracts/model/query.js';
import type { RpcArgs, RpcName, RpcReply } from '../rpc-schema.js';

/** What the service clients need of the RPC layer: one typed call (RpcRouter.call). */
export interface RpcCaller {
  /** Calls `name` in the request's context, forwarded as the forward step decides. */
  call<N extends RpcName>(name: N, args: RpcArgs<N>, ctx?: RequestContext | QueryOptions): Promise<RpcReply<N>>;
}
