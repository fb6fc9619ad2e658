import type { RequestContext } from '../../../contracts/model/query.js';
import type { StatusService } from '../../../contracts/services/status-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** StatusService as the surfaces see it on every agent: the Status RPCs, answered by a server. */
export class StatusRpcClient implements StatusService {
  constructor(private readonly rpc: RpcCaller) {}

  /** Status.Leader. */
  leader(ctx?: RequestContext): Promise<string> {
    return this.rpc.call('Status.Leader', {}, ctx);
  }

  /** Status.Peers. */
  peers(ctx?: RequestContext): Promise<string[]> {
    return this.rpc.call('Status.Peers', {}, ctx);
  }
}
