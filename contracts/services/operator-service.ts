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
export interface OperatorService extends OperatorAutopilotService {
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

/** Autopilot's settings in the units the kernel uses (Consul's structs.AutopilotConfig without its indexes). */
export interface AutopilotSettings {
  /** Remove failed servers from the Raft configuration (Consul's default true). */
  cleanupDeadServers: boolean;
  /** A server not heard from for longer than this (ms) is unhealthy (default 200). */
  lastContactThresholdMs: number;
  /** A server further behind the leader's log than this is unhealthy (default 250). */
  maxTrailingLogs: number;
  /** Dead servers are never removed below this many voters (default 0: no floor besides quorum). */
  minQuorum: number;
  /** How long (ms) a new server stays healthy before it is promoted to voter (default 10000). */
  serverStabilizationTimeMs: number;
}

/**
 * Consul's api.AutopilotConfiguration, the JSON of GET/PUT /v1/operator/autopilot/configuration:
 * durations as Go duration strings ("200ms", "10s"); the Enterprise-only fields are kept (empty).
 */
export interface AutopilotConfiguration {
  CleanupDeadServers: boolean;
  LastContactThreshold: string;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: string;
  RedundancyZoneTag: string;
  DisableUpgradeMigration: boolean;
  UpgradeVersionTag: string;
  /** The Raft index of the configuration's first write. */
  CreateIndex: number;
  /** The Raft index of its last write (the value `?cas=` compares with). */
  ModifyIndex: number;
}

/** One server's health as the leader sees it (Consul's api.ServerHealth). */
export interface ServerHealth {
  ID: string;
  Name: string;
  Address: string;
  /** The pool status of the server's member: alive, leaving, left, failed, none. */
  SerfStatus: string;
  Version: string;
  Leader: boolean;
  /** Time since the leader last heard from it, as a Go duration string ("0s" for the leader). */
  LastContact: string;
  LastTerm: number;
  LastIndex: number;
  Healthy: boolean;
  Voter: boolean;
  /** When Healthy last changed, RFC 3339 UTC (rounded to the second, as Consul). */
  StableSince: string;
}

/** Consul's api.OperatorHealthReply (GET /v1/operator/autopilot/health; HTTP 429 when not Healthy). */
export interface OperatorHealthReply {
  /** Every server of the Raft configuration is healthy. */
  Healthy: boolean;
  /** Healthy voters beyond the quorum: how many could fail without an outage. */
  FailureTolerance: number;
  Servers: ServerHealth[];
}

/** One server of Consul's api.AutopilotState. */
export interface AutopilotServer {
  ID: string;
  Name: string;
  Address: string;
  NodeStatus: string;
  Version: string;
  LastContact: string;
  LastTerm: number;
  LastIndex: number;
  Healthy: boolean;
  StableSince: string;
  ReadReplica: boolean;
  /** leader, voter, non-voter (or none). */
  Status: string;
  Meta: Record<string, string>;
  NodeType: string;
}

/** Consul's api.AutopilotState (GET /v1/operator/autopilot/state). */
export interface AutopilotState {
  Healthy: boolean;
  FailureTolerance: number;
  OptimisticFailureTolerance: number;
  Servers: Record<string, AutopilotServer>;
  Leader: string;
  Voters: string[];
}

/** The Operator RPC endpoint's autopilot part (Consul's agent/consul/operator_autopilot_endpoint.go), answered by the leader. */
export interface OperatorAutopilotService {
  /** Operator.AutopilotGetConfiguration: the replicated configuration. Rejects NOT_FOUND before the first leader stored one. */
  autopilotGetConfiguration(ctx?: RequestContext): Promise<AutopilotConfiguration>;
  /**
   * Operator.AutopilotSetConfiguration: stores `config` (its indexes ignored). With `cas`, only
   * when the stored ModifyIndex equals it; resolves whether it was stored (always true without `cas`).
   */
  autopilotSetConfiguration(config: AutopilotSettings, cas: number | undefined, ctx?: RequestContext): Promise<boolean>;
  /** Operator.ServerHealth: the leader's view of every server's health. */
  autopilotServerHealth(ctx?: RequestContext): Promise<OperatorHealthReply>;
  /** Operator.AutopilotState: the leader's autopilot state. */
  autopilotState(ctx?: RequestContext): Promise<AutopilotState>;
}
