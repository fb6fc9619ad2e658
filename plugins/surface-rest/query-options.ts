import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Consistency } from '../../contracts/model/query.js';
import type { Random } from '../../contracts/platform.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { parseGoDuration } from 'sextant/plugin-sdk';
import { parseGoUint64 } from './go-query.js';

/**
 * Consul's query-string parsing shared by every read (agent/http.go parseConsistency,
 * parseWait): consistency mode, blocking index and wait (clamped and jittered). The request
 * context (request-context.ts) is built from these.
 */

/** Consul's text for ?stale together with ?consistent. */
export const CONFLICTING_CONSISTENCY = 'Cannot specify ?stale with ?consistent, conflicting semantics.';

/** `?stale` / `?consistent` (both: 400 with Consul's text). `?leader` is the default mode. */
export function parseConsistency(q: URLSearchParams): Consistency {
  const stale = q.has('stale');
  const consistent = q.has('consistent');
  if (stale && consistent) throw new SextantError(ErrorCode.ConflictingConsistency, CONFLICTING_CONSISTENCY);
  return stale ? 'stale' : consistent ? 'consistent' : 'default';
}

/**
 * Consul's server-side clamp of a requested wait: absent or ≤ 0 → the default query time, above
 * the max → the max; then `+ random(0, wait/16)` jitter (lib.RandomStagger).
 */
export function effectiveWaitMs(requestedMs: number | undefined, config: RuntimeConfig, random: Random): number {
  let wait = requestedMs ?? 0;
  if (wait <= 0) wait = config.defaultQueryTimeMs;
  if (wait > config.maxQueryTimeMs) wait = config.maxQueryTimeMs;
  const stagger = Math.floor(wait / 16);
  return wait + (stagger >= 1 ? random.int(stagger) : 0);
}

/** `?wait` as milliseconds (undefined when absent); 400 `Invalid wait time` when not a Go duration. */
export function parseWaitMs(q: URLSearchParams): number | undefined {
  const raw = q.get('wait');
  if (raw === null || raw === '') return undefined;
  let ns: bigint;
  try {
    ns = parseGoDuration(raw);
  } catch {
    throw new SextantError(ErrorCode.InvalidWait, 'Invalid wait time');
  }
  return Number(ns / 1_000_000n);
}

/** `?index` (0 when absent); 400 `Invalid index` when not a uint64. */
export function parseIndex(q: URLSearchParams): number {
  const raw = q.get('index');
  if (raw === null || raw === '') return 0;
  const n = parseGoUint64(raw);
  if (typeof n === 'string') throw new SextantError(ErrorCode.InvalidIndex, 'Invalid index');
  return Number(n);
}
