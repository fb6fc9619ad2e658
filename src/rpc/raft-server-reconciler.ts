import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import { MemberStatus, type Membership } from '../../contracts/ports/membership.js';
import type { Member } from '../../contracts/services/agent-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { LeaderJob } from '../kernel/leadership.js';
import { serverParts } from '../membership/server-parts.js';
import type { AutopilotSettings } from '../../contracts/services/operator-service.js';
import type { AutopilotHealth } from './autopilot-health.js';

/** How soon a failed or refused configuration change is tried again. */
export const SERVER_RECONCILE_RETRY_MS = 1_000;
/** The full pass that catches anything an event missed (Consul's reconcile_interval). */
export const SERVER_RECONCILE_INTERVAL_MS = 60_000;
/**
 * Consul's autopilot interval: how often the leader prunes dead servers (besides right after it
 * adds a server, as Consul's joinConsulServer triggers RemoveDeadServers). A failed server is
 * never removed on the failure event itself, so a server that is only restarting usually comes
 * back alive first.
 */
export const AUTOPILOT_PRUNE_INTERVAL_MS = 10_000;

/** What RaftServerReconciler is built from. */
export interface RaftServerReconcilerDeps {
  membership: Pick<Membership, 'members' | 'onEvent'>;
  raft: Pick<RaftApi, 'configuration' | 'addVoter' | 'addNonvoter' | 'removeServer' | 'isLeader'>;
  /** The autopilot settings in force (the replicated configuration; live). */
  autopilot: () => AutopilotSettings;
  /** Autopilot's server health: a non-voter is promoted once stable (healthy for server_stabilization_time). */
  health: Pick<AutopilotHealth, 'isStable' | 'stableIn'>;
  /** This server's datacenter and Raft id (live). */
  local: () => { datacenter: string; id: string };
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}

/** A server that autopilot may remove: failed in the pool, or stale (not in it). */
type Candidate = { id: string; name: string; voter: boolean };

/** One configuration change the pool calls for. */
type Change =
  | { kind: 'add' | 'update' | 'promote'; id: string; address: string; name: string }
  | { kind: 'remove'; id: string; name: string }
  | { kind: 'removeFailed'; id: string; name: string }
  | { kind: 'removeStale'; id: string; name: string };

/**
 * The leader's Raft membership duties (Consul's leader.go joinConsulServer / removeConsulServer
 * from handleAliveMember / handleLeftMember / handleReapMember): while this server leads, the
 * Raft configuration follows the servers of its datacenter in the LAN pool:
 *
 * - an alive server (role=consul, same dc, a `port` tag) that is not in the configuration is
 *   added as a NON-VOTER; once autopilot's health (AutopilotHealth) has seen it healthy — alive,
 *   heard from within last_contact_threshold, within max_trailing_logs of the leader — for
 *   server_stabilization_time it is promoted to voter (a server tagged `nonvoter=1` never is);
 *   one whose address changed has it updated (not this server's own);
 * - a server that left gracefully (status left) or was reaped is removed ("removing server by
 *   ID"); never this server itself;
 * - with autopilot's cleanup_dead_servers, every AUTOPILOT_PRUNE_INTERVAL_MS and right after a
 *   server was added, a server whose member serf declared FAILED is removed
 *   ("Attempting removal of failed server node") as raft-autopilot's pruneDeadServers does:
 *   failed non-voters first, then failed voters, each batch capped so that at most
 *   (potential voters − 1) / 2 voters go and never below min_quorum potential voters; failed
 *   voters only while they are a strict minority of the voters (Consul's older rule, "too many
 *   dead servers"), so the healthy voters left are always a majority. A server
 *   serf still sees alive (a restart it has not noticed, or one under suspicion) is never
 *   touched; a removed one that comes back alive is added again as a non-voter and promoted
 *   after stabilization;
 * - also with cleanup_dead_servers, a STALE server (in the Raft configuration, but not a member
 *   of the pool at all: reaped while this server did not lead, force-left with -prune, or never
 *   known) is removed as raft-autopilot's removeStaleServer does ("removing server by ID"), stale
 *   non-voters first, then stale voters, ahead of the failed ones, each batch judged by the same
 *   rule. Beyond autopilot, a server must have been missing from the pool for a whole autopilot
 *   interval, so a new leader whose pool is still filling in never removes a healthy server.
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
  private pruneTimer: TimerHandle | undefined;
  /** Dead servers are pruned in the next pass (set by the autopilot interval and after adding a server). */
  private pruneDue = false;
  private retry: TimerHandle | undefined;
  private loop: Promise<void> | undefined;
  private again = false;
  private wake: TimerHandle | undefined;
  /** When each configuration server unknown to the pool was first seen missing (Clock ms). */
  private readonly missingSince = new Map<string, number>();
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
    this.pruneTimer = this.deps.clock.setInterval(() => {
      this.pruneDue = true;
      this.kick();
    }, AUTOPILOT_PRUNE_INTERVAL_MS);
    this.kick();
  }

  /** Leadership ended: stops following and waits for the pass in flight. Idempotent. */
  async revoke(): Promise<void> {
    this.leading = false;
    this.offEvents?.();
    this.offEvents = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    this.pruneTimer?.cancel();
    this.pruneTimer = undefined;
    this.pruneDue = false;
    this.missingSince.clear();
    this.retry?.cancel();
    this.retry = undefined;
    this.wake?.cancel();
    this.wake = undefined;
    this.reaped.clear();
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
    const failed: Candidate[] = [];
    /** raft-autopilot's potential voters: servers of the configuration the pool knows, unless tagged nonvoter. */
    const potential = new Set<string>();
    const seen = new Set<string>();
    const known = new Set<string>();
    for (const m of this.deps.membership.members()) {
      const p = serverParts(m);
      if (!p || p.datacenter !== datacenter) continue;
      seen.add(m.Name);
      known.add(p.id);
      const inConfig = byId.get(p.id);
      if (inConfig && !p.nonVoter) potential.add(p.id);
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
    const stale = this.staleServers(config, known, self);
    if (this.pruneDue) out.push(...this.deadServerRemovals(stale, failed, config, potential));
    for (const [name, m] of this.reaped) {
      if (seen.has(name)) continue;
      const p = serverParts(m);
      if (p && p.datacenter === datacenter && p.id !== self && byId.has(p.id)) out.push({ kind: 'remove', id: p.id, name });
      else this.reaped.delete(name);
    }
    return out;
  }

  /**
   * The configuration's servers the pool does not know (never this server), once missing for an
   * autopilot interval; tracks when each went missing. Only the autopilot interval's pass acts on
   * them (pruneDue), so no wake-up of its own is armed.
   */
  private staleServers(config: readonly { id: string; voter: boolean }[], known: ReadonlySet<string>, self: string): Candidate[] {
    const now = this.deps.clock.now();
    const missing = new Set<string>();
    const out: Candidate[] = [];
    for (const s of config) {
      if (s.id === self || known.has(s.id)) continue;
      missing.add(s.id);
      const since = this.missingSince.get(s.id) ?? now;
      this.missingSince.set(s.id, since);
      if (now - since >= AUTOPILOT_PRUNE_INTERVAL_MS) out.push({ id: s.id, name: s.id, voter: s.voter });
    }
    for (const id of [...this.missingSince.keys()]) if (!missing.has(id)) this.missingSince.delete(id);
    return out;
  }

  /**
   * Autopilot's pruneDeadServers and adjudicateRemoval: stale non-voters, stale voters, failed
   * non-voters, then failed voters (each by id), each batch judged against the potential voters
   * left by the batch before.
   */
  private deadServerRemovals(stale: Candidate[], failed: Candidate[], config: { voter: boolean }[], potential: Set<string>): Change[] {
    const ap = this.deps.autopilot();
    if (!ap.cleanupDeadServers || (failed.length === 0 && stale.length === 0) || config.length === 0) return [];
    const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const out: Change[] = [];
    const voters = config.filter((s) => s.voter).length;
    const failedVoters = failed.filter((f) => f.voter);
    // Consul's older autopilot rule on top: failed voters go only while they are a strict minority
    // of the voters (otherwise the quorum is already lost and the removals could not commit).
    if (failedVoters.length > 0 && 2 * failedVoters.length >= voters) {
      this.deps.logger.warn('Failed to remove dead servers: too many dead servers', { dead: failedVoters.length, voters });
      failed = failed.filter((f) => !f.voter);
    }
    const batches: [Candidate[], 'removeStale' | 'removeFailed'][] = [
      [stale.filter((f) => !f.voter).sort(byId), 'removeStale'],
      [stale.filter((f) => f.voter).sort(byId), 'removeStale'],
      [failed.filter((f) => !f.voter).sort(byId), 'removeFailed'],
      [failed.filter((f) => f.voter).sort(byId), 'removeFailed'],
    ];
    for (const [batch, kind] of batches) {
      const initial = potential.size;
      let maxRemoval = Math.floor((initial - 1) / 2);
      let removed = 0;
      const chosen: string[] = [];
      for (const f of batch) {
        const isPotential = potential.has(f.id);
        if (isPotential && initial - removed - 1 < ap.minQuorum) {
          this.deps.logger.debug('will not remove server node as it would leave less voters than the minimum number allowed', { id: f.id, min: ap.minQuorum });
        } else if (f.voter && maxRemoval < 1) {
          this.deps.logger.debug('will not remove server node as removal of a majority of voting servers is not safe', { id: f.id });
        } else {
          if (isPotential) {
            maxRemoval--;
            removed++;
          }
          chosen.push(f.id);
          out.push({ kind, id: f.id, name: f.name });
        }
      }
      for (const id of chosen) potential.delete(id);
    }
    return out;
  }

  /** True once non-voter `id` is stable (autopilot's health); arms a wake-up for when it may be otherwise. */
  private stable(id: string): boolean {
    if (this.deps.health.isStable(id)) return true;
    const left = this.deps.health.stableIn(id);
    this.wakeIn(left === undefined ? 1_000 : Math.max(left, 100));
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
      const all = this.pending();
      if (!all.some((c) => c.kind === 'removeFailed' || c.kind === 'removeStale')) this.pruneDue = false;
      const next = all[0];
      if (!next) return;
      try {
        if (next.kind === 'add') {
          this.deps.logger.info('adding server as a non-voter', { server: next.name, id: next.id, address: next.address });
          await this.deps.raft.addNonvoter(next.id, next.address);
          this.pruneDue = true; // Consul's joinConsulServer: "Trigger a check to remove dead servers"
        } else if (next.kind === 'update') {
          this.deps.logger.info('updating server address in raft configuration', { server: next.name, id: next.id, address: next.address });
          await this.deps.raft.addNonvoter(next.id, next.address); // keeps its suffrage
        } else if (next.kind === 'promote') {
          this.deps.logger.info('Promoting server', { server: next.name, id: next.id, address: next.address });
          await this.deps.raft.addVoter(next.id, next.address);
        } else if (next.kind === 'removeFailed') {
          this.deps.logger.info('Attempting removal of failed server node', { name: next.name, id: next.id });
          await this.deps.raft.removeServer(next.id);
        } else if (next.kind === 'removeStale') {
          this.deps.logger.info('removing server by ID', { id: next.id });
          await this.deps.raft.removeServer(next.id);
          this.deps.logger.info('removed server', { id: next.id });
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
