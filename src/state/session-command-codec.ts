import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { SessionServiceCheck } from '../../contracts/model/session.js';
import type { SessionCreateCommand, SessionFields } from './session-command.js';

/**
 * Payload codec of session.create: one msgpack map with the normalized session fields plus
 * `ttlMs` and `now`. Decoding checks every field's type, so the state machine never sees a
 * malformed record; it throws COMMAND_INVALID naming the field. (The other session and lock
 * commands are flat records: see their entries in session-command-entries.ts and
 * kv-command-entries.ts.)
 */

/** The payload of a session.create record. */
export function sessionCreatePayload(cmd: SessionCreateCommand): Record<string, unknown> {
  return { session: cmd.session, ttlMs: cmd.ttlMs, now: cmd.now };
}

/** Decodes and type-checks a session.create payload. */
export function decodeSessionCreate(raw: unknown): SessionCreateCommand {
  const p = rec(raw, 'create');
  const s = rec(p['session'], 'session');
  const behavior = str(s, 'Behavior');
  if (behavior !== 'release' && behavior !== 'delete') throw invalid(`session.Behavior ${JSON.stringify(behavior)} is not release or delete`);
  const session: SessionFields = {
    ID: str(s, 'ID'),
    Name: str(s, 'Name'),
    Node: str(s, 'Node'),
    LockDelay: nonNegative(s['LockDelay'], 'session.LockDelay', true),
    Behavior: behavior,
    TTL: str(s, 'TTL'),
    NodeChecks: s['NodeChecks'] === null ? null : strList(s['NodeChecks'], 'session.NodeChecks'),
    ServiceChecks: s['ServiceChecks'] === null ? null : serviceChecks(s['ServiceChecks']),
    Checks: strList(s['Checks'], 'session.Checks'),
  };
  return { type: 'session.create', session, ttlMs: nonNegative(p['ttlMs'], 'ttlMs', false), now: nonNegative(p['now'], 'now', false) };
}

function serviceChecks(v: unknown): SessionServiceCheck[] {
  if (!Array.isArray(v)) throw invalid('session.ServiceChecks is not a list');
  return v.map((x, i) => {
    const c = rec(x, `session.ServiceChecks[${i}]`);
    return { ID: str(c, 'ID'), Namespace: str(c, 'Namespace') };
  });
}

function rec(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw invalid(`${where} is not a map`);
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw invalid(`session.${k} is not a string`);
  return v;
}

function strList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(`${where} is not a list of strings`);
  return v as string[];
}

function nonNegative(v: unknown, where: string, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isSafeInteger(v))) throw invalid(`${where} is not a non-negative number`);
  return v;
}

function invalid(message: string): SextantError {
  return new SextantError(ErrorCode.CommandInvalid, `session command: ${message}`);
}
