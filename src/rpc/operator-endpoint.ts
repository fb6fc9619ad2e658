import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { RequestContext } from '../../contracts/model/query.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type {
  AutopilotConfiguration,
  AutopilotSettings,
  AutopilotState,
  OperatorHealthReply,
  OperatorService,
  RaftConfigurationReply,
  RaftPeerSelector,
  RaftTransferLeaderReply,
} from '../../contracts/services/operator-service.js';
import { formatGoDuration } from '../config/go-duration.js';
import type { AutopilotConfigReader } from '../state/autopilot-config-table.js';
import { encodeCommand } from '../state/command-codec.js';
import type { AutopilotHealth } from './autopilot-health.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { serverParts } from '../membership/server-parts.js';

/** What OperatorEndpoint is built from. */
export interface OperatorEndpointDeps {
  raft: Pick<RaftApi, 'configuration' | 'leader' | 'removeServer'>;
  /** The pool (a server's Node name and raft_vsn come from the member with its address). */
  membership: Pick<Membership, 'members'>;
  /** The configuration entry's index, this server's last log index, and a peer's replicated index as the leader knows it. */
  /** Raft leadership transfer (RaftServer.transferLeadership): resolves with the new leader's id. */
  transferLeadership?: (id?: string) => Promise<string>;
  /** Autopilot: the replicated configuration, Raft to write it, and the leader's server health (undefined until the leader jobs exist). */
  /** This server's RPC address (the health answers only on the leader). */
  ownAddress?: () => string;
  autopilot?: {
    config: AutopilotConfigReader;
    raft: Pick<RaftApi, 'propose'>;
    health: () => Pick<AutopilotHealth, 'healthReply' | 'state'> | undefined;
  };
  indexes: () => { configurationIndex: number; lastIndex: number; matchIndex: (id: string) => number | undefined; selfId: string };
}

/**
 * Consul's Operator endpoint, Raft part (agent/consul/operator_raft_endpoint.go):
 * RaftGetConfiguration joins the Raft configuration with the pool (Node, ProtocolVersion by the
 * member whose Addr + `port` tag is the server's address); RaftRemovePeerByID/ByAddress remove a
 * server with Consul's "not found" messages. Autopilot part (operator_autopilot_endpoint.go):
 * the replicated configuration (read, written through Raft with an optional CAS), the leader's
 * server health and autopilot state.
 */
export class OperatorEndpoint implements OperatorService {
  constructor(private readonly deps: OperatorEndpointDeps) {}

  /** Operator.RaftGetConfiguration. */
  async raftConfiguration(_ctx?: RequestContext): Promise<RaftConfigurationReply> {
    const byAddress = new Map<string, { name: string; raftVsn: string }>();
    for (const m of this.deps.membership.members()) {
      const p = serverParts(m);
      if (p) byAddress.set(p.address, { name: m.Name, raftVsn: m.Tags['raft_vsn'] ?? 'unknown' });
    }
    const leader = this.deps.raft.leader()?.address ?? '';
    const ix = this.deps.indexes();
    const Servers = this.deps.raft.configuration().map((s) => {
      const member = byAddress.get(s.address);
      return {
        ID: s.id,
        Node: member?.name ?? '(unknown)',
        Address: s.address,
        Leader: s.address === leader,
        ProtocolVersion: member?.raftVsn ?? 'unknown',
        Voter: s.voter,
        LastIndex: s.id === ix.selfId ? ix.lastIndex : (ix.matchIndex(s.id) ?? 0),
      };
    });
    return { Servers, Index: ix.configurationIndex };
  }

  /** Operator.RaftRemovePeerByID / Operator.RaftRemovePeerByAddress. */
  async raftRemovePeer(peer: RaftPeerSelector, _ctx?: RequestContext): Promise<void> {
    const servers = this.deps.raft.configuration();
    if ('id' in peer) {
      if (!servers.some((s) => s.id === peer.id)) throw new SextantError(ErrorCode.NotFound, `id "${peer.id}" was not found in the Raft configuration`);
      await this.deps.raft.removeServer(peer.id);
      return;
    }
    const s = servers.find((x) => x.address === peer.address);
    if (!s) throw new SextantError(ErrorCode.NotFound, `address "${peer.address}" was not found in the Raft configuration`);
    await this.deps.raft.removeServer(s.id);
  }

  /** Operator.RaftLeaderTransfer: Consul's checks (a known voter, not this leader), then the transfer. */
  async raftTransferLeader(id: string, _ctx?: RequestContext): Promise<RaftTransferLeaderReply> {
    const transfer = this.deps.transferLeadership;
    if (!transfer) throw new SextantError(ErrorCode.NotImplemented, 'leadership transfer is not available on this server');
    if (id !== '') {
      const s = this.deps.raft.configuration().find((x) => x.id === id);
      if (!s) throw new SextantError(ErrorCode.BadRequest, `id "${id}" was not found in the Raft configuration`);
      if (s.address === this.deps.raft.leader()?.address) throw new SextantError(ErrorCode.BadRequest, 'cannot transfer leadership to itself');
      if (!s.voter) throw new SextantError(ErrorCode.BadRequest, `cannot transfer leadership to non-voter "${id}"`);
    }
    await transfer(id === '' ? undefined : id);
    return { Success: true };
  }

  /** Operator.AutopilotGetConfiguration: Consul's "autopilot config not initialized yet" before the first leader stored it. */
  async autopilotGetConfiguration(_ctx?: RequestContext): Promise<AutopilotConfiguration> {
    const stored = this.autopilot().config.get();
    if (!stored) throw new SextantError(ErrorCode.Internal, 'autopilot config not initialized yet');
    const c = stored.settings;
    return {
      CleanupDeadServers: c.cleanupDeadServers,
      LastContactThreshold: msDuration(c.lastContactThresholdMs),
      MaxTrailingLogs: c.maxTrailingLogs,
      MinQuorum: c.minQuorum,
      ServerStabilizationTime: msDuration(c.serverStabilizationTimeMs),
      RedundancyZoneTag: '',
      DisableUpgradeMigration: false,
      UpgradeVersionTag: '',
      CreateIndex: stored.createIndex,
      ModifyIndex: stored.modifyIndex,
    };
  }

  /** Operator.AutopilotSetConfiguration: one `autopilot.set-config` entry; its answer (true without a CAS). */
  async autopilotSetConfiguration(config: AutopilotSettings, cas: number | undefined, _ctx?: RequestContext): Promise<boolean> {
    const settings: AutopilotSettings = {
      cleanupDeadServers: config.cleanupDeadServers,
      lastContactThresholdMs: config.lastContactThresholdMs,
      maxTrailingLogs: config.maxTrailingLogs,
      minQuorum: config.minQuorum,
      serverStabilizationTimeMs: config.serverStabilizationTimeMs,
    };
    const stored = await this.autopilot().raft.propose(encodeCommand(cas === undefined ? { type: 'autopilot.set-config', settings } : { type: 'autopilot.set-config', settings, cas }));
    return cas === undefined ? true : stored === true;
  }

  /** Operator.ServerHealth: the leader's health of every server. */
  async autopilotServerHealth(_ctx?: RequestContext): Promise<OperatorHealthReply> {
    return this.leaderHealth().healthReply();
  }

  /** Operator.AutopilotState: the leader's autopilot state. */
  async autopilotState(_ctx?: RequestContext): Promise<AutopilotState> {
    return this.leaderHealth().state();
  }

  private autopilot(): NonNullable<OperatorEndpointDeps['autopilot']> {
    const a = this.deps.autopilot;
    if (!a) throw new SextantError(ErrorCode.NotImplemented, 'autopilot is not available on this server');
    return a;
  }

  private leaderHealth(): Pick<AutopilotHealth, 'healthReply' | 'state'> {
    const h = this.autopilot().health();
    // Consul's ServerHealth: "Exit early if the server isn't the leader" (a follower answering a stale read has no health).
    if (!h || !this.deps.raft.leader() || this.deps.raft.leader()?.address !== this.deps.ownAddress?.()) {
      throw new SextantError(ErrorCode.Internal, 'Failed to get autopilot state: no autopilot state available');
    }
    return h;
  }
}

/** A Go duration string of `ms` milliseconds. */
function msDuration(ms: number): string {
  return formatGoDuration(BigInt(Math.round(ms * 1_000_000)));
}
