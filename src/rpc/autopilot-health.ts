import type { Clock, TimerHandle } from '../../contracts/platform.js';
import { MemberStatus, type Membership } from '../../contracts/ports/membership.js';
import type { Member } from '../../contracts/services/agent-service.js';
import type { AutopilotServer, AutopilotSettings, AutopilotState, OperatorHealthReply, ServerHealth } from '../../contracts/services/operator-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { formatGoDuration } from '../config/go-duration.js';
import type { LeaderJob } from '../kernel/leadership.js';
import { serverParts } from '../membership/server-parts.js';

/** Consul's autopilot defaults (api.NewAutopilotConfiguration). */
export const DEFAULT_AUTOPILOT_SETTINGS: Readonly<AutopilotSettings> = Object.freeze({
  cleanupDeadServers: true,
  lastContactThresholdMs: 200,
  maxTrailingLogs: 250,
  minQuorum: 0,
  serverStabilizationTimeMs: 10_000,
});

/** Consul's server_health_interval: how often the leader recomputes every server's health. */
export const SERVER_HEALTH_INTERVAL_MS = 2_000;

/** What the leader knows of one server of its configuration. */
export interface PeerView {
  /** The last log index replicated to it (undefined: unknown). */
  matchIndex?: number | undefined;
  /** The term of the entry at matchIndex (undefined: unknown). */
  matchTerm?: number | undefined;
  /** Milliseconds since a message from it last arrived (undefined: never). */
  lastContactMs?: number | undefined;
}

/** What AutopilotHealth is built from. */
export interface AutopilotHealthDeps {
  membership: Pick<Membership, 'members'>;
  raft: Pick<RaftApi, 'configuration' | 'leader' | 'isLeader'>;
  /** This server's id and datacenter, and its log's last index and term (live). */
  local: () => { id: string; datacenter: string; lastIndex: number; lastTerm: number };
  /** What this leader knows of server `id`. */
  peer: (id: string) => PeerView;
  /** The autopilot settings in force (the replicated configuration, live). */
  settings: () => AutopilotSettings;
  /**
   * Added to last_contact_threshold when judging LastContact. Consul's followers hear from the
   * leader every CommitTimeout (50 ms) besides heartbeats; ours only on heartbeats (100 ms ×
   * raft_multiplier), so a healthy follower's LastContact reaches the heartbeat interval.
   */
  contactAllowanceMs?: number;
  clock: Clock;
  /** Default SERVER_HEALTH_INTERVAL_MS. */
  intervalMs?: number;
}

/** One server's health as computed (times in ms). */
export interface ServerHealthView {
  id: string;
  name: string;
  address: string;
  serfStatus: string;
  version: string;
  leader: boolean;
  voter: boolean;
  lastContactMs: number;
  lastTerm: number;
  lastIndex: number;
  healthy: boolean;
  /** When `healthy` last changed (clock ms). */
  stableSince: number;
  meta: Record<string, string>;
}

const SERF_STATUS = ['none', 'alive', 'leaving', 'left', 'failed'];

/**
 * Autopilot's server health (hashicorp/raft-autopilot's state.go and isHealthy), kept by the
 * leader: for every server of the Raft configuration, its pool status, LastContact (time since
 * the leader last heard from it), LastTerm/LastIndex (what the leader replicated to it), and
 * whether it is healthy — its member alive, LastContact within last_contact_threshold, its last
 * term the leader's, and no more than max_trailing_logs behind — with StableSince, the time its
 * health last changed (on this leader). Healthy overall when every server is; FailureTolerance is
 * the healthy voters beyond the quorum. Recomputed every SERVER_HEALTH_INTERVAL_MS while leading
 * and on every read; a LeaderJob (a new leader starts from fresh StableSince times).
 */
export class AutopilotHealth implements LeaderJob {
  readonly name = 'autopilot server health';
  private leading = false;
  private timer: TimerHandle | undefined;
  private readonly previous = new Map<string, { healthy: boolean; since: number }>();

  constructor(private readonly deps: AutopilotHealthDeps) {}

  /** This server leads: starts tracking. */
  establish(): void {
    if (this.leading) return;
    this.leading = true;
    this.update();
    this.timer = this.deps.clock.setInterval(() => this.update(), this.deps.intervalMs ?? SERVER_HEALTH_INTERVAL_MS);
  }

  /** Leadership ended: stops tracking and forgets StableSince times. Idempotent. */
  revoke(): void {
    this.leading = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.previous.clear();
  }

  /** Recomputes every server's health now (StableSince moves for those whose health changed). */
  update(): ServerHealthView[] {
    const now = this.deps.clock.now();
    const settings = this.deps.settings();
    const local = this.deps.local();
    const leaderAddress = this.deps.raft.leader()?.address;
    const known = new Map<string, Member>();
    for (const m of this.deps.membership.members()) {
      const p = serverParts(m);
      if (p && p.datacenter === local.datacenter) known.set(p.id, m);
    }
    const allowance = this.deps.contactAllowanceMs ?? 0;
    const out: ServerHealthView[] = [];
    const seen = new Set<string>();
    for (const s of this.deps.raft.configuration()) {
      seen.add(s.id);
      const member = known.get(s.id);
      const self = s.id === local.id;
      const peer: PeerView = self ? { matchIndex: local.lastIndex, matchTerm: local.lastTerm, lastContactMs: 0 } : this.deps.peer(s.id);
      const lastIndex = peer.matchIndex ?? 0;
      const lastTerm = peer.matchTerm ?? 0;
      const lastContactMs = peer.lastContactMs;
      const alive = member?.Status === MemberStatus.Alive;
      const healthy =
        alive &&
        lastContactMs !== undefined &&
        lastContactMs <= settings.lastContactThresholdMs + (self ? 0 : allowance) &&
        lastTerm === local.lastTerm &&
        !(local.lastIndex > settings.maxTrailingLogs && lastIndex < local.lastIndex - settings.maxTrailingLogs);
      const prev = this.previous.get(s.id);
      const since = prev && prev.healthy === healthy ? prev.since : now;
      if (this.leading) this.previous.set(s.id, { healthy, since });
      out.push({
        id: s.id,
        name: member?.Name ?? '',
        address: s.address,
        serfStatus: member ? (SERF_STATUS[member.Status] ?? 'none') : 'left',
        version: member?.Tags['build']?.split(':')[0] ?? '',
        leader: s.address === leaderAddress,
        voter: s.voter,
        lastContactMs: lastContactMs ?? 0,
        lastTerm,
        lastIndex,
        healthy,
        stableSince: since,
        meta: {},
      });
    }
    for (const id of this.previous.keys()) if (!seen.has(id)) this.previous.delete(id);
    return out;
  }

  /**
   * True once server `id` has been healthy for server_stabilization_time on this leader
   * (raft-autopilot's IsStable); false while not leading or when it is not in the configuration.
   */
  isStable(id: string): boolean {
    if (!this.leading) return false;
    const view = this.update().find((s) => s.id === id);
    return view !== undefined && view.healthy && this.deps.clock.now() - view.stableSince >= this.deps.settings().serverStabilizationTimeMs;
  }

  /** How long until `id` could be stable (ms; 0 when it is, undefined when it is not healthy now). */
  stableIn(id: string): number | undefined {
    const view = this.update().find((s) => s.id === id);
    if (!view || !view.healthy) return undefined;
    return Math.max(0, view.stableSince + this.deps.settings().serverStabilizationTimeMs - this.deps.clock.now());
  }

  /** Consul's OperatorHealthReply. */
  healthReply(): OperatorHealthReply {
    const servers = this.update();
    const { healthy, failureTolerance } = overall(servers);
    return { Healthy: healthy, FailureTolerance: failureTolerance, Servers: servers.map(toServerHealth) };
  }

  /** Consul's AutopilotState. */
  state(): AutopilotState {
    const servers = this.update();
    const { healthy, failureTolerance } = overall(servers);
    const Servers: Record<string, AutopilotServer> = {};
    for (const s of servers) {
      Servers[s.id] = {
        ID: s.id,
        Name: s.name,
        Address: s.address,
        NodeStatus: s.serfStatus,
        Version: s.version,
        LastContact: goDuration(s.lastContactMs),
        LastTerm: s.lastTerm,
        LastIndex: s.lastIndex,
        Healthy: s.healthy,
        StableSince: stableSince(s.stableSince),
        ReadReplica: false,
        Status: s.leader ? 'leader' : s.voter ? 'voter' : 'non-voter',
        Meta: s.meta,
        NodeType: 'voter',
      };
    }
    const leader = servers.find((s) => s.leader)?.id ?? '';
    const voters = servers.filter((s) => s.voter).sort(serverOrder).map((s) => s.id);
    return { Healthy: healthy, FailureTolerance: failureTolerance, OptimisticFailureTolerance: failureTolerance, Servers, Leader: leader, Voters: voters };
  }
}

/** raft-autopilot's ServerLessThan: the leader, then voters, then healthy, then stable longest. */
function serverOrder(a: ServerHealthView, b: ServerHealthView): number {
  if (a.leader !== b.leader) return a.leader ? -1 : 1;
  if (a.voter !== b.voter) return a.voter ? -1 : 1;
  if (a.healthy !== b.healthy) return a.healthy ? -1 : 1;
  if (a.stableSince !== b.stableSince) return a.healthy === a.stableSince < b.stableSince ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Healthy when every server is; FailureTolerance = healthy voters − quorum (never negative). */
function overall(servers: ServerHealthView[]): { healthy: boolean; failureTolerance: number } {
  const voters = servers.filter((s) => s.voter);
  const healthyVoters = voters.filter((s) => s.healthy).length;
  const quorum = Math.floor(voters.length / 2) + 1;
  return { healthy: servers.length > 0 && servers.every((s) => s.healthy), failureTolerance: Math.max(0, healthyVoters - quorum) };
}

function toServerHealth(s: ServerHealthView): ServerHealth {
  return {
    ID: s.id,
    Name: s.name,
    Address: s.address,
    SerfStatus: s.serfStatus,
    Version: s.version,
    Leader: s.leader,
    LastContact: goDuration(s.lastContactMs),
    LastTerm: s.lastTerm,
    LastIndex: s.lastIndex,
    Healthy: s.healthy,
    Voter: s.voter,
    StableSince: stableSince(s.stableSince),
  };
}

/** A Go duration string of `ms` milliseconds ("0s", "12.5ms", "1.2s"). */
function goDuration(ms: number): string {
  return formatGoDuration(BigInt(Math.round(ms * 1_000_000)));
}

/** Go's time.Time JSON of `ms`, rounded to the second, UTC (Consul rounds StableSince so). */
function stableSince(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
