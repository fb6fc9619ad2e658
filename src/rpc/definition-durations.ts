import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { formatGoDuration, parseGoDuration } from '../config/go-duration.js';

/** The duration fields of Consul's HealthCheckDefinition, lower-cased. */
const DURATION_FIELDS: ReadonlySet<string> = new Set(['interval', 'timeout', 'deregistercriticalserviceafter']);

/**
 * Consul's HealthCheckDefinition.UnmarshalJSON/MarshalJSON for the durations of a catalog
 * check's `Definition` (Interval, Timeout, DeregisterCriticalServiceAfter, any key case): a JSON
 * number is nanoseconds, a string a Go duration; either is kept as Go's text (`10s`), and a zero
 * one is dropped (Consul omits it). An unparsable value throws BAD_REQUEST `Request decode
 * failed: …`. Other fields are returned as sent.
 */
export function decodeDefinitionDurations(def: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...def };
  for (const [k, v] of Object.entries(def)) {
    if (!DURATION_FIELDS.has(k.toLowerCase()) || v === null || v === undefined) continue;
    let ns: bigint;
    if (typeof v === 'number' && Number.isFinite(v)) ns = BigInt(Math.trunc(v));
    else if (typeof v === 'string') {
      try {
        ns = parseGoDuration(v);
      } catch (e) {
        throw new SextantError(ErrorCode.BadRequest, `Request decode failed: ${where}.${k}: ${(e as Error).message}`);
      }
    } else {
      throw new SextantError(ErrorCode.BadRequest, `Request decode failed: ${where}.${k} must be a duration string or a number of nanoseconds`);
    }
    if (ns === 0n) delete out[k];
    else out[k] = formatGoDuration(ns);
  }
  return out;
}
