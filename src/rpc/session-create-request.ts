import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { SessionCreateRequest, SessionServiceCheck } from '../../contracts/model/session.js';
import { formatGoDuration, parseGoDuration } from '../config/go-duration.js';
import type { SessionFields } from '../state/session-command.js';

/**
 * Turns a PUT /v1/session/create body into normalized session fields, with Consul's defaults
 * and texts (agent/session_endpoint.go SessionCreate + FixupLockDelay + fixupEmptySessionChecks,
 * agent/consul/session_endpoint.go Apply).
 */

/** Consul's structs.SerfCheckID: the default (and only) node check of a session. */
export const SERF_CHECK_ID = 'serfHealth';
/** Default LockDelay: 15 s, in ns. */
export const DEFAULT_LOCK_DELAY_NS = 15_000_000_000;
/** Consul's structs.SessionTTLMax: 24 h, in ns. */
export const SESSION_TTL_MAX_NS = 86_400_000_000_000n;
/** Consul's lockDelayMinThreshold: a LockDelay under 1000 (ns) is read as seconds. */
const LOCK_DELAY_SECONDS_THRESHOLD = 1000n;

/** What normalization needs to know about the agent. */
export interface SessionDefaults {
  /** This agent's node name: the default Node. */
  nodeName: string;
  /** Consul session_ttl_min (10 s), in ms. */
  sessionTtlMinMs: number;
}

/** The normalized session (without its ID) and its parsed TTL. */
export interface NormalizedSession {
  fields: Omit<SessionFields, 'ID'>;
  /** The TTL in ms (0: none). */
  ttlMs: number;
}

/**
 * Validates and normalizes `req`. Throws BAD_REQUEST `Request decode failed: …` for a field of
 * the wrong type or an unparsable LockDelay, and SESSION_REJECTED with Consul's RPC texts for
 * an empty Node, a bad Behavior or a TTL that is unparsable or outside [min, 24h].
 */
export function normalizeSessionCreate(req: SessionCreateRequest | undefined, defaults: SessionDefaults): NormalizedSession {
  const body = (req ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw decodeFailed('the body must be a JSON object');
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(body, k) && body[k] !== undefined;

  const name = optionalString(body, 'Name') ?? '';
  const node = has('Node') ? (optionalString(body, 'Node') ?? '') : defaults.nodeName;
  if (node === '') throw rejected('Must provide Node');

  const lockDelay = has('LockDelay') ? parseLockDelay(body['LockDelay']) : DEFAULT_LOCK_DELAY_NS;

  const behaviorRaw = optionalString(body, 'Behavior') ?? '';
  if (behaviorRaw !== '' && behaviorRaw !== 'release' && behaviorRaw !== 'delete') throw rejected(`Invalid Behavior setting '${behaviorRaw}'`);
  const behavior = behaviorRaw === 'delete' ? 'delete' : 'release';

  const ttl = optionalString(body, 'TTL') ?? '';
  const ttlMs = ttl === '' ? 0 : parseTtl(ttl, defaults.sessionTtlMinMs);

  // An explicit NodeChecks or (legacy) Checks, even empty, replaces the default ["serfHealth"].
  const legacy = has('Checks') ? stringList(body['Checks'], 'Checks') : undefined;
  let nodeChecks: string[] | null;
  if (has('NodeChecks')) nodeChecks = body['NodeChecks'] === null ? null : stringList(body['NodeChecks'], 'NodeChecks');
  else if (legacy === undefined) nodeChecks = [SERF_CHECK_ID];
  else nodeChecks = legacy.length === 1 && legacy[0] === SERF_CHECK_ID ? [SERF_CHECK_ID] : [];
  // The legacy list is kept (and shown) only when it says something NodeChecks does not.
  const checks = legacy && !(legacy.length === 1 && legacy[0] === SERF_CHECK_ID && nodeChecks?.includes(SERF_CHECK_ID)) ? legacy : [];

  const serviceChecks = has('ServiceChecks') && body['ServiceChecks'] !== null ? parseServiceChecks(body['ServiceChecks']) : null;

  return {
    fields: { Name: name, Node: node, LockDelay: lockDelay, Behavior: behavior, TTL: ttl, NodeChecks: nodeChecks, ServiceChecks: serviceChecks, Checks: checks },
    ttlMs,
  };
}

/**
 * Consul's FixupLockDelay: a Go duration string or a number of ns (a JSON number is truncated to
 * an integer, as time.Duration(float64) does); either under 1000 ns means seconds. Negative
 * values mean no delay. Returns ns.
 */
export function parseLockDelay(v: unknown): number {
  let ns: bigint;
  if (typeof v === 'string') {
    try {
      ns = parseGoDuration(v);
    } catch (e) {
      throw decodeFailed(isSextantError(e) ? e.message : String(e));
    }
  } else if (typeof v === 'number' && Number.isFinite(v)) {
    ns = BigInt(Math.trunc(v));
  } else {
    throw decodeFailed('LockDelay must be a duration string or a number');
  }
  if (ns < LOCK_DELAY_SECONDS_THRESHOLD) ns *= 1_000_000_000n;
  if (ns < 0n) return 0;
  const n = Number(ns);
  if (!Number.isSafeInteger(n)) throw decodeFailed('LockDelay is too large');
  return n;
}

/** Consul's TTL rule: a Go duration, 0 (no TTL) or within [min, 24h]; returns ms (0 = none). */
export function parseTtl(ttl: string, minMs: number): number {
  let ns: bigint;
  try {
    ns = parseGoDuration(ttl);
  } catch (e) {
    throw rejected(`Session TTL '${ttl}' invalid: ${isSextantError(e) ? e.message : String(e)}`);
  }
  if (ns === 0n) return 0;
  const minNs = BigInt(Math.round(minMs * 1e6));
  if (ns < minNs || ns > SESSION_TTL_MAX_NS) {
    throw rejected(`Invalid Session TTL '${ns}', must be between [${formatGoDuration(minNs)}=${formatGoDuration(SESSION_TTL_MAX_NS)}]`);
  }
  return Number(ns) / 1e6;
}

/**
 * Consul's UUID index check on a session ID (go-memdb UUIDFieldIndex.parseString with the length
 * enforced): throws SESSION_REJECTED `failed session lookup: …` with memdb's text when the ID is
 * not 36 characters, has more than 4 hyphens, or is not (hyphens aside) an even-length hex
 * string. memdb is looser than the UUID format: `'1' * 36` (18 hex bytes) or a UUID with its
 * hyphens moved is a valid lookup that simply finds nothing (a 404 on renew, `[]` on info).
 */
export function checkSessionId(id: string): void {
  const length = Buffer.byteLength(id, 'utf8');
  if (length !== 36) throw rejected('failed session lookup: UUID must be 36 characters');
  const hyphens = id.split('-').length - 1;
  if (hyphens > 4) throw rejected(`failed session lookup: UUID should have maximum of 4 "-"; got ${hyphens}`);
  const sanitized = Buffer.from(id.replaceAll('-', ''), 'utf8');
  if (sanitized.length % 2 !== 0) throw rejected('failed session lookup: Input (without hyphens) must be even length');
  const bad = goHexInvalidByte(sanitized);
  if (bad !== undefined) throw rejected(`failed session lookup: Invalid UUID: ${bad}`);
}

/** Go's encoding/hex error for the first non-hex byte of `b` (`encoding/hex: invalid byte: U+0078 'x'`), else undefined. */
function goHexInvalidByte(b: Buffer): string | undefined {
  for (const c of b) {
    const isHex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (isHex) continue;
    const cp = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    // Go prints the byte as a rune with %#U: `U+0078 'x'`, or just the code point when unprintable.
    const printable = (c >= 0x20 && c < 0x7f) || (c >= 0xa1 && c !== 0xad);
    return `encoding/hex: invalid byte: ${cp}${printable ? ` '${String.fromCodePoint(c)}'` : ''}`;
  }
  return undefined;
}

function parseServiceChecks(v: unknown): SessionServiceCheck[] {
  if (!Array.isArray(v)) throw decodeFailed('ServiceChecks must be a list');
  return v.map((x) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw decodeFailed('ServiceChecks entries must be objects');
    const o = x as Record<string, unknown>;
    const id = o['ID'] ?? o['id'] ?? o['Id'];
    const ns = o['Namespace'] ?? o['namespace'] ?? '';
    if (typeof id !== 'string' || typeof ns !== 'string') throw decodeFailed('ServiceChecks entries need a string ID');
    return { ID: id, Namespace: ns };
  });
}

function optionalString(body: Record<string, unknown>, k: string): string | undefined {
  const v = body[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw decodeFailed(`${k} must be a string`);
  return v;
}

function stringList(v: unknown, k: string): string[] {
  if (v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw decodeFailed(`${k} must be a list of strings`);
  return [...(v as string[])];
}

function decodeFailed(reason: string): SextantError {
  return new SextantError(ErrorCode.BadRequest, `Request decode failed: ${reason}`);
}

function rejected(message: string): SextantError {
  return new SextantError(ErrorCode.SessionRejected, message);
}
