import type { RequestContext } from '../../../contracts/model/query.js';
import type { RpcCaller } from './rpc-caller.js';

/** The Internal.* RPCs an agent needs: firing a user event through a server into the pool. */
export class InternalRpcClient {
  constructor(private readonly rpc: RpcCaller) {}

  /** Internal.EventFire: a server broadcasts `payload` (an encoded Consul user event) as the serf event `consul:event:<name>`. */
  async eventFire(name: string, payload: Uint8Array, ctx?: RequestContext): Promise<void> {
    await this.rpc.call('Internal.EventFire', { name, payload }, ctx);
  }
}
