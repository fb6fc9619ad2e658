import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import { MemberStatus, type Membership } from '../../contracts/ports/membership.js';
import type { Member } from '../../contracts/services/agent-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { LeaderJob } from '../kernel/leadership.js';
import { serverParts } from '../membership/server-parts.js';

/** How soon a failed or refused configuration change is tried again. */
export const SERVER_RECONCILE_RETRY_MS = 1_000;
/** The full pass that catches anything an event missed (Consul's reconcile_interval). */
export const SERVER_RECONCILE_INTERVAL_MS = 60_000;
/** Autopilot's server_stabilization_time: how long a new server stays a non-voter while healthy before it votes. */
export const SERVER_STABILIZATION_MS = 10_000;
/** Autopilot's max_trailing_logs: a server further behind the leader than this is not healthy (not promoted). */
export const MAX_TRAILING_LOGS = 250;

/** What RaftServerReconciler is built from. */
export interface RaftServerReconcilerDeps {
  membership: Pick<Membership, 'members' | 'onEvent'>;
  raft: Pick<RaftApi, 'configuration' | 'addVoter' | 'addNonvoter' | 'removeServer' | 'isLeader'>;
  /** How far `id` trails the leader's log (entries), when the leader knows it. */
  trailingLogs?: (id: string) => number | undefined;
  /**
   * Autopilot's cleanup_dead_servers and min_quorum (live). Without it cleanup is OFF (Consul's
   * default is on): agents do not turn it on yet, because in the kill -9 / restart e2e a server
   * that came back was removed as failed before its refutation arrived and the cluster did not
   * recover its fourth voter (to be fixed before enabling).
   */
  autopilot?: () => { cleanupDeadServers: boolean; minQuorum: number };
  /** server_stabilization_time in ms (default SERVER_STABILIZATION_MS). */
  stabilizationMs?: number;
  /** This server's datacenter and Raft id (live). */
  local: () => { datacenter: string; id: string };
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}

/** One configuration change the pool calls for. */
type Change =
  | { kind: 'add' | 'update' | 'promote'; id: string; address: string; name: string }
  | { kind: 'remove'; id: string; name: string }
  | { kind: 'removeFailed'; id: string; name: string };

/**
 * The leader's Raft membership duties (Consul's leader.go joinConsulServer / removeConsulServer
 * from handleAliveMember / handleLeftMember / handleReapMember): while this server leads, the
 * Raft configuration follows the servers of its datacenter in the LAN pool:
 *
 * - an alive server (role=consul, same dc, a `port` tag) that is not in the configuration is
 *   added as a NON-VOTER; once it has stayed alive and within MAX_TRAILING_LOGS of the leader for
 *   server_stabilization_time (10 s, measured by this leader) it is promoted to voter, as
 *   autopilot does (a server tagged `nonvoter=1` never is); one whose address changed has it
 *   updated (not this server's own);
 * - a server that left gracefully (status left) or was reaped is removed ("removing server by
 *   ID"); never this server itself;
 * - with autopilot's cleanup_dead_servers (given through `autopilot`), a failed server is removed ("Attempting
 *   removal of failed server node"): a non-voter always, a voter only while the failed voters
 *   are a strict minority of the voters (removing them never costs the quorum) and the voters
 *   left stay at or above min_quorum.
 *
 * One change at a time (single-server changes): passes run on every member event, at establish
 * and every interval; a refused change (another in progress, no commit in the term yet) is
 * retried after SERVER_RECONCILE_RETRY_MS.
 */
export class RaftServerReconciler implements LeaderJob {
  readonly name = 'raft server reconciliation';
  private leading = false;
  private offEvents: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private retry: TimerHandle | undefined;
  private loop: Promise<void> | undefined;
  private again = false;
  /** When this leader first saw each non-voter healthy (for the stabilization time). */
  private readonly healthySince = new Map<string, number>();
  private wake: TimerHandle | undefined;
  /** Members reaped from the pool (gone from members()) that may still be in the configuration. */
  private readonly reaped = new Map<string, Member>();
  /** Configuration changes made, for tests. */
  changes = 0;

  constructor(private readonly deps: RaftServerReconcilerDeps) {}

  /** This server leads: follows the pool and reconciles now and every interval. */
  establish(): void {
    if (this.leading) return;
    this.leading = true;
    this.offEvents = this.deps.membership.onEvent((e) => {
      if (e.type === 'reap') for (const m of e.members) this.reaped.set(m.Name, m);
      this.kick();
    });
    this.timer = this.deps.clock.setInterval(() => this.kick(), this.deps.intervalMs ?? SERVER_RECONCILE_INTERVAL_MS);
    this.kick();
  }

  /** Leadership ended: stops following and waits for the pass in flight. Idempotent. */
  async revoke(): Promise<void> {
    this.leading = false;
    this.offEvents?.();
    this.offEvents = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    this.retry?.cancel();
    this.retry = undefined;
    this.wake?.cancel();
    this.wake = undefined;
    this.reaped.clear();
    this.healthySince.clear();
    await this.loop;
  }

  /** Resolves once no pass is running or queued. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /** The changes the pool calls for against the current configuration (first one is applied next). */
  pending(): Change[] {
    const { datacenter, id: self } = this.deps.local();
    const config = this.deps.raft.configuration();
    const byId = new Map(config.map((s) => [s.id, s]));
    const out: Change[] = [];
    const failed: { id: string; name: string; voter: boolean }[] = [];
    const seen = new Set<string>();
    for (const m of this.deps.membership.members()) {
      const p = serverParts(m);
      if (!p || p.datacenter !== datacenter) continue;
      seen.add(m.Name);
      const inConfig = byId.get(p.id);
      if (m.Status === MemberStatus.Alive) {
        if (!inConfig) out.push({ kind: 'add', id: p.id, address: p.address, name: m.Name });
        else if (inConfig.address !== p.address && p.id !== self) out.push({ kind: 'update', id: p.id, address: p.address, name: m.Name });
        else if (!inConfig.voter && !p.nonVoter && this.stable(p.id)) out.push({ kind: 'promote', id: p.id, address: inConfig.address, name: m.Name });
      } else if (m.Status === MemberStatus.Left && inConfig && p.id !== self) {
        out.push({ kind: 'remove', id: p.id, name: m.Name });
      } else if (m.Status === MemberStatus.Failed && inConfig && p.id !== self) {
        failed.push({ id: p.id, name: m.Name, voter: inConfig.voter });
      }
    }
    out.push(...this.deadServerRemovals(failed, config));
    for (const [name, m] of this.reaped) {
      if (seen.has(name)) continue;
      const p = serverParts(m);
      if (p && p.datacenter === datacenter && p.id !== self && byId.has(p.id)) out.push({ kind: 'remove', id: p.id, name });
      else this.reaped.delete(name);
    }
    return out;
  }

  /**
   * Autopilot's pruneDeadServers: failed non-voters always; failed voters only when they are a
   * strict minority of the voters and removing one keeps at least min_quorum voters.
   */
  private deadServerRemovals(failed: { id: string; name: string; voter: boolean }[], config: { voter: boolean }[]): Change[] {
    const ap = this.deps.autopilot?.() ?? { cleanupDeadServers: false, minQuorum: 0 };
    if (!ap.cleanupDeadServers || failed.length === 0) return [];
    const out: Change[] = failed.filter((f) => !f.voter).map((f) => ({ kind: 'removeFailed' as const, id: f.id, name: f.name }));
    const voters = config.filter((s) => s.voter).length;
    const failedVoters = failed.filter((f) => f.voter);
    if (failedVoters.length === 0) return out;
    if (2 * failedVoters.length >= voters) {
      this.deps.logger.warn('Failed to remove dead servers: too many dead servers', { dead: failedVoters.length, voters });
    } else if (voters - 1 < ap.minQuorum) {
      this.deps.logger.warn('will not remove server as it would leave less voters than the minimum number allowed', { voters, min_quorum: ap.minQuorum });
    } else {
      out.push(...failedVoters.map((f) => ({ kind: 'removeFailed' as const, id: f.id, name: f.name })));
    }
    return out;
  }

  /** True once non-voter `id` has been healthy (caught up) for the stabilization time; arms a wake-up otherwise. */
  private stable(id: string): boolean {
    const now = this.deps.clock.now();
    const trailing = this.deps.trailingLogs?.(id);
    if (trailing === undefined || trailing > MAX_TRAILING_LOGS) {
      this.healthySince.delete(id);
      this.wakeIn(1_000);
      return false;
    }
    const since = this.healthySince.get(id) ?? now;
    this.healthySince.set(id, since);
    const left = since + (this.deps.stabilizationMs ?? SERVER_STABILIZATION_MS) - now;
    if (left <= 0) return true;
    this.wakeIn(left);
    return false;
  }

  private wakeIn(ms: number): void {
    if (this.wake || !this.leading) return;
    this.wake = this.deps.clock.setTimeout(() => {
      this.wake = undefined;
      this.kick();
    }, ms);
  }

  private kick(): void {
    if (!this.leading) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (this.again && this.leading) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async run(): Promise<void> {
    for (;;) {
      if (!this.leading || !this.deps.raft.isLeader()) return;
      const next = this.pending()[0];
      if (!next) return;
      try {
        if (next.kind === 'add') {
          this.deps.logger.info('adding server as a non-voter', { server: next.name, id: next.id, address: next.address });
          await this.deps.raft.addNonvoter(next.id, next.address);
        } else if (next.kind === 'update') {
          this.deps.logger.info('updating server address in raft configuration', { server: next.name, id: next.id, address: next.address });
          await this.deps.raft.addNonvoter(next.id, next.address); // keeps its suffrage
        } else if (next.kind === 'promote') {
          this.deps.logger.info('Promoting server', { server: next.name, id: next.id, address: next.address });
          this.healthySince.delete(next.id);
          await this.deps.raft.addVoter(next.id, next.address);
        } else if (next.kind === 'removeFailed') {
          this.deps.logger.info('Attempting removal of failed server node', { name: next.name, id: next.id });
          await this.deps.raft.removeServer(next.id);
        } else {
          this.deps.logger.info('removing server by ID', { server: next.name, id: next.id });
          await this.deps.raft.removeServer(next.id);
          this.reaped.delete(next.name);
        }
        this.changes++;
      } catch (e) {
        this.deps.logger.warn('failed to change the raft configuration, will retry', { server: next.name, change: next.kind, error: e instanceof Error ? e.message : String(e) });
        this.scheduleRetry();
        return;
      }
    }
  }

  private scheduleRetry(): void {
    if (this.retry || !this.leading) return;
    this.retry = this.deps.clock.setTimeout(() => {
      this.retry = undefined;
      this.kick();
    }, SERVER_RECONCILE_RETRY_MS);
  }
}
