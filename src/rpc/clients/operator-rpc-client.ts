import type { RequestContext } from '../../../contracts/model/query.js';
import type {
  AutopilotConfiguration,
  AutopilotSettings,
  AutopilotState,
  OperatorHealthReply,
  OperatorService,
  RaftConfigurationReply,
  RaftPeerSelector,
  RaftTransferLeaderReply,
} from '../../../contracts/services/operator-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** OperatorService as the surfaces see it on every agent: the Operator RPCs, answered by the leader (any server when stale). */
export class OperatorRpcClient implements OperatorService {
  constructor(private readonly rpc: RpcCaller) {}

  /** Operator.RaftGetConfiguration. */
  raftConfiguration(ctx?: RequestContext): Promise<RaftConfigurationReply> {
    return this.rpc.call('Operator.RaftGetConfiguration', {}, ctx);
  }

  /** Operator.RaftRemovePeerByID or Operator.RaftRemovePeerByAddress. */
  async raftRemovePeer(peer: RaftPeerSelector, ctx?: RequestContext): Promise<void> {
    if ('id' in peer) await this.rpc.call('Operator.RaftRemovePeerByID', { id: peer.id }, ctx);
    else await this.rpc.call('Operator.RaftRemovePeerByAddress', { address: peer.address }, ctx);
  }

  /** Operator.RaftLeaderTransfer. */
  raftTransferLeader(id: string, ctx?: RequestContext): Promise<RaftTransferLeaderReply> {
    return this.rpc.call('Operator.RaftLeaderTransfer', { id }, ctx);
  }

  /** Operator.AutopilotGetConfiguration. */
  autopilotGetConfiguration(ctx?: RequestContext): Promise<AutopilotConfiguration> {
    return this.rpc.call('Operator.AutopilotGetConfiguration', {}, ctx);
  }

  /** Operator.AutopilotSetConfiguration. */
  autopilotSetConfiguration(config: AutopilotSettings, cas: number | undefined, ctx?: RequestContext): Promise<boolean> {
    return this.rpc.call('Operator.AutopilotSetConfiguration', cas === undefined ? { config } : { config, cas }, ctx);
  }

  /** Operator.ServerHealth. */
  autopilotServerHealth(ctx?: RequestContext): Promise<OperatorHealthReply> {
    return this.rpc.call('Operator.ServerHealth', {}, ctx);
  }

  /** Operator.AutopilotState. */
  autopilotState(ctx?: RequestContext): Promise<AutopilotState> {
    return this.rpc.call('Operator.AutopilotState', {}, ctx);
  }
}
