import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Consistency, QueryOptions } from '../../contracts/model/query.js';
import type { Random } from '../../contracts/platform.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { parseGoDuration } from 'sextant/plugin-sdk';
import { parseGoUint64 } from './go-query.js';

/**
 * Consul's query-string parsing shared by every read (agent/http.go parseConsistency, parseWait,
 * parseDC): consistency mode, blocking index and wait (clamped and jittered), datacenter.
 */

/** `?stale` / `?consistent` (both: 400 with Consul's text). `?leader` is the default mode. */
export function parseConsistency(q: URLSearchParams): Consistency {
  const stale = q.has('stale');
  const consistent = q.has('consistent');
  if (stale && consistent) {
    throw new SextantError(ErrorCode.ConflictingConsistency, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
  }
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

/**
 * The full QueryOptions for a read, in Consul's order of checks (consistency, then wait, then
 * index). `signal` fires when the client goes away or the surface stops.
 */
export function parseQueryOptions(q: URLSearchParams, config: RuntimeConfig, random: Random, signal: AbortSignal): QueryOptions {
  const consistency = parseConsistency(q);
  const waitMs = parseWaitMs(q);
  const minIndex = parseIndex(q);
  return { minIndex, waitMs: effectiveWaitMs(waitMs, config, random), consistency, signal };
}

/** Rejects a `?dc` naming another datacenter (500 `No path to datacenter`); '' or absent is this one. */
export function checkDatacenter(q: URLSearchParams, config: RuntimeConfig): void {
  const dc = q.get('dc');
  if (dc !== null && dc !== '' && dc !== config.datacenter) {
    throw new SextantError(ErrorCode.NoPathToDatacenter, 'No path to datacenter');
  }
}
