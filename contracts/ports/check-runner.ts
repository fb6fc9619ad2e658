import type { HealthStatus } from '../model/health.js';
import type { LocalAgentApi, LocalAgentChanges } from '../services/local-agent-service.js';

/**
 * CheckRunner port: runs one kind of health check (script, http, tcp, ttl, docker, or a
 * third-party kind) and reports its result. The kernel's check supervisor owns scheduling
 * policy (stagger, intervals, thresholds); a runner only performs a single probe.
 */

/** A check definition after config normalization (Consul's snake_case field names). */
export type CheckDefinition = Readonly<Record<string, unknown>> & {
  readonly id: string;
  readonly name: string;
};

/** Where a check definition came from. */
export type CheckOrigin = 'config' | 'api';

export interface CheckResult {
  status: Exclude<HealthStatus, 'maintenance'>;
  /** The output Consul would report (already capped by the runner to its limit). */
  output: string;
}

export interface CheckRunner {
  /** The check kind, e.g. `http`; unique among loaded runners. */
  readonly kind: string;
  /** True when this runner handles `def` (e.g. it has an `http` field). Pure, no side effects. */
  accepts(def: CheckDefinition): boolean;
  /**
   * Returns a plain-text reason when `def` is invalid for this kind, else undefined. `origin`
   * says where the definition came from: the config directory, or the HTTP API (script checks
   * allow the API only with enable_script_checks, config files also with
   * enable_local_script_checks).
   */
  validate(def: CheckDefinition, origin: CheckOrigin): string | undefined;
  /**
   * Performs one probe. Resolves with the result; never rejects (failures are `critical`
   * results). Must stop and resolve `critical` when `signal` aborts (timeout or deregistration),
   * killing whatever it started. An abort at the check's timeout carries a reason named
   * `TimeoutError` (report the kind's timeout text); any other reason is a cancellation.
   */
  probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult>;
  /** Releases runner-wide resources (pools, sockets). Idempotent. */
  close(): Promise<void>;
}

/**
 * Optional capability of a CheckRunner whose checks are never probed (Consul's TTL checks).
 * Their status is pushed from outside — `PUT /v1/agent/check/pass|warn|fail|update/:id` — and
 * they turn `critical` when nobody refreshes them within their TTL. The check supervisor asks
 * `isPassiveCheckRunner(runner)` and, when true, never schedules `probe` for that runner's
 * checks; instead it:
 *
 * 1. on registration arms a timer of `ttlMs(def)` (the check keeps its initial `status`,
 *    default critical, and empty output until the first update);
 * 2. on every update stores `status` and `capOutput(def, output)` as the check's output,
 *    remembers that capped text as the "last output", and re-arms the timer to a full
 *    `ttlMs(def)` — whether or not the TTL had already expired;
 * 3. when the timer fires, sets the check `critical` with `expiredOutput(lastOutput)` (the last
 *    output is kept, so a second expiry after no update reports the same text);
 * 4. after an agent restart, restores a persisted status/output only if its expiry time (time of
 *    the update + TTL) is still in the future, and then arms a full `ttlMs(def)` timer, as
 *    Consul's loadCheckState + CheckTTL.Start do.
 *
 * If several runners accept one definition and one of them is passive, the passive one wins
 * (Consul tests `IsTTL()` first).
 */
export interface PassiveCheckRunner extends CheckRunner {
  /** Marks the capability; always `true`. */
  readonly passive: true;
  /**
   * The TTL of `def` in milliseconds (> 0). Only call it on a definition `validate` accepted;
   * otherwise it throws SextantError DURATION_INVALID.
   */
  ttlMs(def: CheckDefinition): number;
  /**
   * Caps an output submitted by pass/warn/fail/update the way Consul's CheckTTL.SetStatus
   * does: when longer than the check's limit (`output_max_size`, default 4096 bytes) it keeps
   * the FIRST bytes and appends ` ... (captured N of M bytes)`. The supervisor stores (and
   * persists) the returned text.
   */
  capOutput(def: CheckDefinition, output: string): string;
  /**
   * The output of a check whose TTL lapsed: `TTL expired` when `lastOutput` is empty, else
   * `TTL expired (last output before timeout follows): <lastOutput>`.
   */
  expiredOutput(lastOutput: string): string;
}

/** True when `runner` implements PassiveCheckRunner (its checks must not be probed). */
export function isPassiveCheckRunner(runner: CheckRunner): runner is PassiveCheckRunner {
  return (runner as Partial<PassiveCheckRunner>).passive === true;
}

/** What a reactive check watches, and where it reports. */
export interface ReactiveCheckContext {
  /** This agent's own services and checks, with change notifications. */
  readonly local: LocalAgentApi & LocalAgentChanges;
  /**
   * Sets the check's status and output at once (no success/failure thresholds, as Consul's
   * alias checks update their status directly). Ignored after `signal` aborted.
   */
  report(result: CheckResult): void;
  /** Aborts when the check stops (deregistered, replaced, agent stopping). */
  readonly signal: AbortSignal;
}

/**
 * Optional capability of a CheckRunner whose checks are neither probed on an interval nor fed
 * from outside, but follow other state as it changes (Consul's alias checks, which mirror the
 * health of another service or node). The check supervisor asks `isReactiveCheckRunner(runner)`
 * and, when true, never schedules `probe`: it calls `watch` once when the check starts and
 * aborts `ctx.signal` when it stops. Such checks need no `interval` (one given is ignored).
 */
export interface ReactiveCheckRunner extends CheckRunner {
  /** Marks the capability; always `true`. */
  readonly reactive: true;
  /**
   * Starts following `def`: reports a first result as soon as it knows one, then again whenever
   * it may have changed, until `ctx.signal` aborts. Returns at once; never throws (problems are
   * reported as `critical` results).
   */
  watch(def: CheckDefinition, ctx: ReactiveCheckContext): void;
}

/** True when `runner` implements ReactiveCheckRunner (its checks are watched, not probed). */
export function isReactiveCheckRunner(runner: CheckRunner): runner is ReactiveCheckRunner {
  return (runner as Partial<ReactiveCheckRunner>).reactive === true;
}
