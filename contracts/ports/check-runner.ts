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
  /** Returns a plain-text reason when `def` is invalid for this kind, else undefined. */
  validate(def: CheckDefinition): string | undefined;
  /**
   * Performs one probe. Resolves with the result; never rejects (failures are `critical`
   * results). Must stop and resolve `critical` when `signal` aborts (timeout or deregistration),
   * killing whatever it started.
   */
  probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult>;
  /** Releases runner-wide resources (pools, sockets). Idempotent. */
  close(): Promise<void>;
}
