import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Clock, Logger, Random, TimerHandle } from '../../contracts/platform.js';
import { isReactiveCheckRunner, type CheckResult } from '../../contracts/ports/check-runner.js';
import type { LocalAgentApi, LocalAgentChanges } from '../../contracts/services/local-agent-service.js';
import { formatGoDuration } from '../config/go-duration.js';
import type { CheckSpec, CheckStatus } from './check-definition.js';
import { StatusThreshold } from './status-threshold.js';

/** Receives every status a supervised check reports (after the anti-flap thresholds). */
export type CheckResultSink = (checkId: string, status: CheckStatus, output: string) => void;

interface Monitored {
  readonly spec: CheckSpec;
  readonly threshold: StatusThreshold;
  timer: TimerHandle | undefined;
  /** Reactive checks: aborted when the check stops. */
  watching: AbortController | undefined;
  /** The probe in flight (interval checks): never more than one per check. */
  running: { ac: AbortController; done: Promise<void> } | undefined;
  stopped: boolean;
  /** Passive checks: the last output set through the API (shown again when the TTL expires). */
  lastOutput: string;
}

/**
 * Schedules the agent's checks. Interval checks: the first probe at a random stagger in
 * [0, interval), then one probe `interval` after the previous one finished (so two probes of
 * one check never overlap); each probe gets an AbortSignal aborted after the check's timeout
 * with a DOMException named `TimeoutError` (the runner then resolves critical). Results pass through Consul's success/failure thresholds
 * before reaching the sink. Passive (TTL) checks: a TTL timer re-armed by every update; on expiry
 * the sink gets critical with the runner's expired output. Time and randomness come only from
 * the Clock and Random ports.
 */
export class CheckSupervisor {
  private readonly checks = new Map<string, Monitored>();

  constructor(
    private readonly deps: {
      clock: Clock;
      random: Random;
      logger: Logger;
      sink: CheckResultSink;
      /** What reactive (alias) checks watch: the agent's own services and checks. */
      local?: LocalAgentApi & LocalAgentChanges;
    },
  ) {}

  /** True when a check with this id is supervised. */
  has(id: string): boolean {
    return this.checks.has(id);
  }

  /**
   * Starts supervising `spec` (replacing a check with the same id, which is stopped first).
   * `lastOutput` seeds a passive check's last output (a restored TTL status).
   */
  start(spec: CheckSpec, opts: { lastOutput?: string } = {}): void {
    this.stop(spec.id);
    const m: Monitored = {
      spec,
      threshold: new StatusThreshold(spec.successBeforePassing, spec.failuresBeforeWarning, spec.failuresBeforeCritical),
      timer: undefined,
      running: undefined,
      watching: undefined,
      stopped: false,
      lastOutput: opts.lastOutput ?? '',
    };
    this.checks.set(spec.id, m);
    if (spec.passive) {
      this.armTtl(m);
      return;
    }
    if (isReactiveCheckRunner(spec.runner)) {
      this.watch(m);
      return;
    }
    const interval = Math.max(1, Math.floor(spec.intervalMs));
    const stagger = this.deps.random.int(interval);
    m.timer = this.deps.clock.setTimeout(() => this.probe(m), stagger);
  }

  /** Stops a check: cancels its timers and aborts a probe in flight (whose result is dropped). No-op for an unknown id. */
  stop(id: string): void {
    const m = this.checks.get(id);
    if (!m) return;
    this.checks.delete(id);
    m.stopped = true;
    m.timer?.cancel();
    m.timer = undefined;
    m.running?.ac.abort(new SextantError(ErrorCode.Shutdown, 'check stopped'));
    m.watching?.abort(new SextantError(ErrorCode.Shutdown, 'check stopped'));
  }

  /**
   * Feeds a passive (TTL) check: reports `status`/`output` to the sink and re-arms the TTL.
   * Returns false (and does nothing) when the check is unknown or not passive.
   */
  ttlUpdate(id: string, status: CheckStatus, output: string): boolean {
    const m = this.checks.get(id);
    if (!m || !m.spec.passive) return false;
    m.lastOutput = output;
    this.armTtl(m);
    this.deps.sink(id, status, output);
    return true;
  }

  /** Stops every check and waits (briefly) for probes in flight to settle. */
  async stopAll(): Promise<void> {
    const inflight = [...this.checks.values()].map((m) => m.running?.done).filter((p): p is Promise<void> => p !== undefined);
    for (const id of [...this.checks.keys()]) this.stop(id);
    await Promise.allSettled(inflight);
  }

  /** Starts a reactive check: its results go to the sink directly, without thresholds. */
  private watch(m: Monitored): void {
    const runner = m.spec.runner;
    const local = this.deps.local;
    if (!isReactiveCheckRunner(runner)) return;
    if (!local) {
      this.deps.sink(m.spec.id, 'critical', `${runner.kind} checks are not available here: no local agent state to watch`);
      return;
    }
    const ac = new AbortController();
    m.watching = ac;
    const report = (r: CheckResult): void => {
      if (ac.signal.aborted || m.stopped) return;
      this.deps.sink(m.spec.id, r.status, r.output);
    };
    try {
      runner.watch(m.spec.def, { local, report, signal: ac.signal });
    } catch (e) {
      report({ status: 'critical', output: e instanceof Error ? e.message : String(e) });
    }
  }

  private armTtl(m: Monitored): void {
    m.timer?.cancel();
    const passive = m.spec.passive!;
    m.timer = this.deps.clock.setTimeout(() => {
      m.timer = undefined;
      if (m.stopped) return;
      this.deps.logger.warn('Check missed TTL, is now critical', { check: m.spec.id });
      this.deps.sink(m.spec.id, 'critical', passive.expiredOutput(m.lastOutput));
    }, m.spec.ttlMs);
  }

  private probe(m: Monitored): void {
    m.timer = undefined;
    if (m.stopped || m.running) return;
    const { spec } = m;
    const ac = new AbortController();
    const timeout = this.deps.clock.setTimeout(() => {
      // A TimeoutError (the name AbortSignal.timeout uses), so a runner tells its timeout from
      // a cancellation however its own deadline timer races this one: an http check must say
      // `context deadline exceeded`, never `context canceled`, when it ran out of time.
      ac.abort(new DOMException(`Timed out (${formatGoDuration(BigInt(Math.round(spec.timeoutMs * 1e6)))}) running check`, 'TimeoutError'));
    }, spec.timeoutMs);
    let result: Promise<CheckResult>;
    try {
      result = spec.runner.probe(spec.def, ac.signal);
    } catch (e) {
      result = Promise.reject(e);
    }
    const done = result
      .then(
        (r) => r,
        (e: unknown): CheckResult => ({ status: 'critical', output: e instanceof Error ? e.message : String(e) }),
      )
      .then((r) => {
        timeout.cancel();
        m.running = undefined;
        if (m.stopped) return;
        const status = m.threshold.next(r.status);
        if (status !== undefined) this.deps.sink(spec.id, status, r.output);
        else this.deps.logger.debug('check result held back by its threshold', { check: spec.id, status: r.status });
        m.timer = this.deps.clock.setTimeout(() => this.probe(m), spec.intervalMs);
      });
    m.running = { ac, done };
  }
}
