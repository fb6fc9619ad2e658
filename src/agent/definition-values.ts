import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { formatGoDuration, parseGoDuration } from '../config/go-duration.js';
import { isPlainObject } from './definition-keys.js';

/**
 * Typed readers for the values of a (key-canonicalized) definition. Each throws BAD_REQUEST with
 * `<prefix><field> …` naming the offending field, so a client sees exactly what to fix.
 */

/** Builds the BAD_REQUEST error every definition problem is reported with. */
export function badDefinition(message: string): SextantError {
  return new SextantError(ErrorCode.BadRequest, message);
}

/** A string field, or undefined when absent/null. */
export function optString(o: Record<string, unknown>, field: string, prefix: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badDefinition(`${prefix}${field} must be a string`);
  return v;
}

/** A boolean field, or undefined when absent/null. */
export function optBool(o: Record<string, unknown>, field: string, prefix: string): boolean | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badDefinition(`${prefix}${field} must be a boolean`);
  return v;
}

/** A non-negative integer field (bounded by `max`), or undefined when absent/null. */
export function optInt(o: Record<string, unknown>, field: string, prefix: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw badDefinition(`${prefix}${field} must be an integer between 0 and ${max}`);
  }
  return v;
}

/** A list of strings, or undefined when absent/null. */
export function optStringList(o: Record<string, unknown>, field: string, prefix: string): string[] | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw badDefinition(`${prefix}${field} must be a list of strings`);
  return [...(v as string[])];
}

/** A map of strings to strings (keys kept exactly as sent), or undefined when absent/null. */
export function optStringMap(o: Record<string, unknown>, field: string, prefix: string): Record<string, string> | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw badDefinition(`${prefix}${field} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw badDefinition(`${prefix}${field}[${JSON.stringify(k)}] must be a string`);
    out[k] = x;
  }
  return out;
}

/**
 * A duration field: a Go duration string ("10s", "1m30s") or a number of nanoseconds (Go's
 * time.Duration JSON). Returns the canonical Go text and milliseconds, or undefined when absent
 * or empty. Unparsable or negative values are refused.
 */
export function optDuration(o: Record<string, unknown>, field: string, prefix: string): { text: string; ms: number } | undefined {
  const v = o[field];
  if (v === undefined || v === null || v === '') return undefined;
  let ns: bigint;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v)) throw badDefinition(`${prefix}${field}: invalid duration ${String(v)}`);
    ns = BigInt(v);
  } else if (typeof v === 'string') {
    try {
      ns = parseGoDuration(v);
    } catch (e) {
      throw badDefinition(`${prefix}${field}: ${(e as Error).message}`);
    }
  } else {
    throw badDefinition(`${prefix}${field} must be a duration string such as "10s"`);
  }
  if (ns < 0n) throw badDefinition(`${prefix}${field} must not be negative: ${JSON.stringify(typeof v === 'string' ? v : formatGoDuration(ns))}`);
  // Sub-millisecond values stay > 0 (a 1 ns interval is raised to the minimum, not taken as unset).
  return { text: typeof v === 'string' ? v : formatGoDuration(ns), ms: Number(ns) / 1e6 };
}
