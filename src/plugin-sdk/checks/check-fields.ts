import { formatGoDuration, parseGoDuration } from '../../config/go-duration.js';
import type { CheckDefinition } from '../../../contracts/ports/check-runner.js';

/**
 * Reading and validating the fields every check kind shares (`timeout`, `output_max_size`).
 * Durations arrive as Go duration strings ("10s") or, from JSON API bodies, as integer
 * nanoseconds (Go's encoding of time.Duration).
 */

/** Consul's checks.DefaultBufSize: the default and agent-wide cap of a check's output. */
export const DEFAULT_OUTPUT_MAX_SIZE = 4096;

const NS_PER_MS = 1_000_000n;

/**
 * Returns a plain-text reason when `def[field]` is present but not a valid Go duration (or, with
 * `positive`, not > 0; otherwise negative), naming the field, e.g.
 * `timeout: time: invalid duration "abc"`.
 */
export function validateDurationField(def: CheckDefinition, field: string, positive = false): string | undefined {
  const v = def[field];
  if (v === undefined || v === null || v === '') return positive ? `${field}: must be a positive duration` : undefined;
  let ns: bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) return `${field}: ${v} is not a whole number of nanoseconds`;
    ns = BigInt(v);
  } else if (typeof v === 'string') {
    try {
      ns = parseGoDuration(v);
    } catch (e) {
      return `${field}: ${(e as Error).message}`;
    }
  } else {
    return `${field}: must be a duration string such as "10s"`;
  }
  if (positive && ns <= 0n) return `${field}: must be a positive duration, got ${JSON.stringify(v)}`;
  if (!positive && ns < 0n) return `${field}: must not be negative, got ${JSON.stringify(v)}`;
  return undefined;
}

/**
 * The duration in `def[field]` in nanoseconds, or `fallbackNs` when absent, unparsable or ≤ 0
 * (Consul treats a zero timeout as "use the default").
 */
export function durationFieldNs(def: CheckDefinition, field: string, fallbackNs: bigint): bigint {
  const v = def[field];
  let ns: bigint | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) ns = BigInt(v);
  else if (typeof v === 'string' && v !== '') {
    try {
      ns = parseGoDuration(v);
    } catch {
      ns = undefined;
    }
  }
  return ns !== undefined && ns > 0n ? ns : fallbackNs;
}

/** Nanoseconds to (fractional) milliseconds. */
export function nsToMs(ns: bigint): number {
  const whole = ns / NS_PER_MS;
  return Number(whole) + Number(ns - whole * NS_PER_MS) / 1e6;
}

/** Go's Duration.String() of `ns` (`30s`, `1m30s`, `500ms`). */
export function goDurationText(ns: bigint): string {
  return formatGoDuration(ns);
}

/** Returns a reason when `output_max_size` is present but not a non-negative integer. */
export function validateOutputMaxSize(def: CheckDefinition): string | undefined {
  const v = def.output_max_size;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return 'output_max_size: must be an integer number of bytes';
  if (v < 0) return 'output_max_size: must not be negative';
  return undefined;
}

/**
 * The output limit for `def` in bytes, as Consul computes it: the agent cap (default 4096),
 * lowered to the definition's `output_max_size` when that is set and smaller.
 */
export function outputMaxSize(def: CheckDefinition, agentMax = DEFAULT_OUTPUT_MAX_SIZE): number {
  const v = def.output_max_size;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v < agentMax) return v;
  return agentMax;
}
