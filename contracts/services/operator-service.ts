import type { RequestContext } from '../model/query.js';

/** One server of the Raft configuration as /v1/operator/raft/configuration reports it (Consul's structs.RaftServer). */
export interface RaftServerInfo {
  /** The server's Raft id (its node id). */
  ID: string;
  /** The node name of the pool member with that address, `(unknown)` when none. */
  Node: string;
  /** The server's RPC address, `ip:port`. */
  Address: string;
  /** True for the current leader. */
  Leader: boolean;
  /** The member's `raft_vsn` tag, `unknown` when none. */
  ProtocolVersion: string;
  /** True for a voter, false for a non-voter. */
  Voter: boolean;
  /** The last log index the leader knows this server has (the leader's own last index for itself). */
  LastIndex: number;
}

/** Consul's structs.RaftConfigurationResponse. */
export interface RaftConfigurationReply {
  Servers: RaftServerInfo[];
  /** The index of the configuration's log entry. */
  Index: number;
}

/** Which peer DELETE /v1/operator/raft/peer removes: by id or by address (exactly one). */
export type RaftPeerSelector = { id: string } | { address: string };

/** The Operator RPC endpoint's Raft part (Consul's agent/consul/operator_raft_endpoint.go), answered by the leader. */
export interface OperatorService {
  /** Operator.RaftGetConfiguration: the leader's current Raft configuration (any server's with `stale`). */
  raftConfiguration(ctx?: RequestContext): Promise<RaftConfigurationReply>;
  /**
   * Operator.RaftRemovePeerByID / ByAddress: removes the server from the Raft configuration.
   * Rejects NOT_FOUND when no server of the configuration has that id or address.
   */
  raftRemovePeer(peer: RaftPeerSelector, ctx?: RequestContext): Promise<void>;
  /**
   * Operator.RaftLeaderTransfer (POST /v1/operator/raft/transfer-leader): the leader hands its
   * leadership to voter `id` (or the most up-to-date voter when `id` is empty) and resolves once
   * it is no longer leader. Rejects BAD_REQUEST for an id that is not another voter, TIMEOUT when
   * leadership did not move.
   */
  raftTransferLeader(id: string, ctx?: RequestContext): Promise<RaftTransferLeaderReply>;
}

/** Consul's structs.RaftLeadershipTransferResponse (the HTTP body of transfer-leader). */
export interface RaftTransferLeaderReply {
  Success: boolean;
}
