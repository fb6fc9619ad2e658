import type { AgentHooks } from '../../contracts/hooks.js';
import type { Logger } from '../../contracts/platform.js';

/**
 * A leader-only job (session TTL timers, tombstone GC, member reconciliation, later autopilot
 * and coordinate batching): started when this server gains leadership, stopped when it loses it.
 */
export interface LeaderJob {
  /** A short name for logs, e.g. `session TTL timers`. */
  readonly name: string;
  /**
   * Starts the job: this server now leads. Called only while the job is revoked. A job that
   * returns void takes effect before the leadership change returns; one that returns a promise
   * holds later transitions until it settles. Throwing (or rejecting) is logged; the other jobs
   * still start and `revoke` is still called when leadership ends.
   */
  establish(): void | Promise<void>;
  /**
   * Stops the job: this server no longer leads (or is stopping). Must cancel every timer and
   * subscription the job holds and be safe to call after a failed `establish`. Throwing is logged.
   */
  revoke(): void | Promise<void>;
}

/** Where leadership comes from: RaftServer (or a fake) fits. */
export interface LeadershipSource {
  isLeader(): boolean;
  /** Calls `fn` on every change; returns the unsubscribe function. */
  onLeadershipChange(fn: (isLeader: boolean) => void): () => void;
}

/** What Leadership is built from. */
export interface LeadershipDeps {
  source: LeadershipSource;
  logger: Logger;
  /** Told after every completed transition (the `leadership` hook); optional in tests. */
  hooks?: Pick<AgentHooks, 'leadership'>;
}

type Step = () => void | Promise<void>;

/** Runs `steps` in order: synchronously while they return void, chaining on the first promise. */
function runSteps(steps: readonly Step[], from = 0): void | Promise<void> {
  for (let i = from; i < steps.length; i++) {
    const r = steps[i]!();
    if (r !== undefined && typeof (r as Promise<void>).then === 'function') return (r as Promise<void>).then(() => runSteps(steps, i + 1));
  }
  return undefined;
}

/**
 * Consul's establishLeadership/revokeLeadership as one step. Jobs register once; when the
 * source reports leadership, every job is established in registration order, and when it is
 * lost (or on `stop`) every job is revoked in reverse order. Transitions are serialized: a
 * change that arrives while one is in flight waits for it, and changes that cancel out while
 * waiting are coalesced (the jobs follow the latest state). A job that throws is logged and
 * never stops the others. After each completed transition the `leadership` hook is called and
 * the change is logged.
 */
export class Leadership {
  private readonly jobs: LeaderJob[] = [];
  private established = false;
  private wanted = false;
  private stopped = false;
  private off: (() => void) | undefined;
  /** The transition in flight, when one is waiting on a job's promise. */
  private inFlight: Promise<void> | undefined;
  /** True while converge runs synchronously (a change reported from inside a job waits for it). */
  private converging = false;

  constructor(private readonly deps: LeadershipDeps) {}

  /**
   * Adds a job. Registered after leadership was established, it is established right away
   * (after any transition in flight). Registering after `stop` does nothing.
   */
  register(job: LeaderJob): void {
    if (this.stopped) return;
    this.jobs.push(job);
    const go = (): void | Promise<void> => (this.established ? this.guard(job, 'establish') : undefined);
    if (this.inFlight) {
      // The transition in flight built its step list without this job: follow it.
      this.track(this.inFlight.then(go).then(() => this.converge()));
      return;
    }
    const r = go();
    if (r !== undefined) this.track(r.then(() => this.converge()));
  }

  /** Starts following the source; establishes the jobs at once if it already leads. Idempotent. */
  start(): void {
    if (this.off || this.stopped) return;
    this.off = this.deps.source.onLeadershipChange((isLeader) => this.want(isLeader));
    this.want(this.deps.source.isLeader());
  }

  /** True while the jobs are established (this server leads and the transition completed). */
  isEstablished(): boolean {
    return this.established;
  }

  /** Resolves when no transition is in flight. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Stops following the source and revokes every job if established; resolves when done. Idempotent. */
  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
    this.stopped = true;
    this.want(false);
    await this.settled();
  }

  private want(isLeader: boolean): void {
    this.wanted = isLeader && !this.stopped;
    if (!this.inFlight && !this.converging) this.track(this.converge());
  }

  private track(r: void | Promise<void>): void {
    if (r === undefined) return;
    const p: Promise<void> = r.then(() => {
      if (this.inFlight === p) this.inFlight = undefined;
    });
    this.inFlight = p;
  }

  /** Moves the jobs toward `wanted` until they match it. */
  private converge(): void | Promise<void> {
    this.converging = true;
    try {
      while (this.established !== this.wanted) {
        const gaining = this.wanted;
        const steps: Step[] = gaining
          ? this.jobs.map((j) => () => this.guard(j, 'establish'))
          : [...this.jobs].reverse().map((j) => () => this.guard(j, 'revoke'));
        const done = (): void => {
          this.established = gaining;
          this.announce(gaining);
        };
        const r = runSteps(steps);
        if (r !== undefined) {
          return r.then(() => {
            done();
            return this.converge();
          });
        }
        done();
      }
      return undefined;
    } finally {
      this.converging = false;
    }
  }

  /** Runs one job step; a throw or rejection is logged, never propagated. */
  private guard(job: LeaderJob, step: 'establish' | 'revoke'): void | Promise<void> {
    const fail = (e: unknown): void => this.deps.logger.error(`leader job failed to ${step}`, { job: job.name, error: e });
    try {
      const r = job[step]();
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') return (r as Promise<void>).then(undefined, fail);
    } catch (e) {
      fail(e);
    }
    return undefined;
  }

  private announce(isLeader: boolean): void {
    this.deps.logger.info(isLeader ? 'cluster leadership acquired' : 'cluster leadership lost');
    try {
      this.deps.hooks?.leadership.call(isLeader);
    } catch (e) {
      this.deps.logger.error('a leadership tap failed', { error: e });
    }
  }
}
