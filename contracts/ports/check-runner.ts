import type { HealthStatus } from '../model/health.js';

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
   * killing whatever it started.
   */
  probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult>;
  /** Releases runner-wide resources (pools, sockets). Idempotent. */
  close(): Promise<void>;
}
