import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { jsonDepthProblem } from 'sextant/plugin-sdk';

/**
 * Decodes a JSON request body the way Consul does (mapstructure with case-insensitive field
 * matching): object keys matching one of `fields` regardless of case are renamed to the
 * canonical spelling, at every depth; other keys are kept as sent. An empty body decodes to
 * `undefined`. Malformed JSON → 400 `Request decode failed: <reason>`.
 */
export function decodeJsonBody(body: Uint8Array, fields: readonly string[]): unknown {
  const text = Buffer.from(body).toString('utf8');
  if (text.trim() === '') return undefined;
  const tooDeep = jsonDepthProblem(text);
  if (tooDeep) throw new SextantError(ErrorCode.BadRequest, `Request decode failed: ${tooDeep}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SextantError(ErrorCode.BadRequest, `Request decode failed: ${(e as Error).message}`);
  }
  const canonical = new Map(fields.map((f) => [f.toLowerCase(), f]));
  return canonicalize(parsed, canonical);
}

function canonicalize(v: unknown, canonical: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(v)) return v.map((x) => canonicalize(x, canonical));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[canonical.get(k.toLowerCase()) ?? k] = canonicalize(x, canonical);
  }
  return out;
}
