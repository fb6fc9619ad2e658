import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { KvOp } from '../../contracts/services/kv-service.js';
import { toDirEntry } from './dir-entry.js';
import { goQueryEncode, parseGoUint64 } from './go-query.js';
import { requestContext, writeContext } from './request-context.js';
import { kvTooLarge, readBody } from './read-body.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendEmpty, sendJson, setQueryMeta } from './respond.js';

/**
 * /v1/kv/*key — Consul's KV endpoint (agent/kvs_endpoint.go): GET (single, ?recurse, ?keys,
 * ?raw), PUT (?flags, ?cas, ?acquire, ?release) and DELETE (?recurse, ?cas).
 * Every method first parses the shared query options, as Consul does, so a bad ?wait or
 * ?stale&consistent is a 400 on any method.
 */

function keyOf(scope: RequestScope): string {
  return scope.params['key'] ?? '';
}

function missingKey(): SextantError {
  return new SextantError(ErrorCode.MissingKey, 'Missing key name');
}

/** Consul's conflictingFlags: more than one of `flags` present → 400 `Conflicting flags: <query>\n`
 * (Consul writes this one text with Fprintf and a trailing newline, unlike its other errors). */
function rejectConflicting(q: URLSearchParams, flags: readonly string[]): void {
  if (flags.filter((f) => q.has(f)).length > 1) {
    throw new SextantError(ErrorCode.ConflictingFlags, `Conflicting flags: ${goQueryEncode(q)}\n`);
  }
}

/** A uint64 query parameter; 400 `Invalid <name>: <Go's strconv text>` when malformed. */
function uintParam(q: URLSearchParams, name: string): bigint | undefined {
  if (!q.has(name)) return undefined;
  const n = parseGoUint64(q.get(name) ?? '');
  if (typeof n === 'string') throw new SextantError(ErrorCode.BadRequest, `Invalid ${name} value: ${n}`);
  return n;
}

/** GET /v1/kv/:key — one entry, a prefix (?recurse) or its keys (?keys, ?separator). */
export const getKv: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = requestContext(scope);
  const key = keyOf(scope);

  if (q.has('keys')) {
    // Historic misspelling: both are accepted, `separator` wins.
    const sep = q.has('separator') ? (q.get('separator') ?? '') : q.has('seperator') ? (q.get('seperator') ?? '') : '';
    const res = await deps.kv.keys(key, sep, opts);
    setQueryMeta(ctx, res.meta, opts.consistency);
    if (res.value.length === 0 && key !== '') return sendEmpty(ctx, 404);
    return sendJson(scope, res.value);
  }

  const recurse = q.has('recurse');
  if (!recurse && key === '') throw missingKey();
  if (recurse) {
    const res = await deps.kv.list(key, opts);
    setQueryMeta(ctx, res.meta, opts.consistency);
    if (res.value.length === 0) return sendEmpty(ctx, 404);
    return sendJson(scope, res.value.map(toDirEntry));
  }
  const res = await deps.kv.get(key, opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  if (res.value === null) return sendEmpty(ctx, 404);
  if (q.has('raw')) {
    ctx.status = 200;
    ctx.body = Buffer.from(res.value.value);
    ctx.set('Content-Type', 'text/plain');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', 'sandbox');
    return;
  }
  return sendJson(scope, [toDirEntry(res.value)]);
};

/**
 * PUT /v1/kv/:key — set (always `true`), check-and-set (?cas), lock (?acquire=<session>) or
 * unlock (?release=<session>), the last three answering `true`/`false`. An unknown session is
 * a 500 `invalid session "<id>"`; more than one of cas/acquire/release a 400.
 */
export const putKv: Handler = async (scope) => {
  const { query: q, deps } = scope;
  requestContext(scope);
  const key = keyOf(scope);
  if (key === '') throw missingKey();
  rejectConflicting(q, ['cas', 'acquire', 'release']);
  const flags = (uintParam(q, 'flags') ?? 0n).toString();
  const cas = uintParam(q, 'cas');
  const value = await readBody(scope.ctx.req, deps.config.limits.kvMaxValueSize, kvTooLarge);
  let op: KvOp;
  if (q.has('acquire')) op = { verb: 'lock', key, value, flags, session: q.get('acquire') ?? '' };
  else if (q.has('release')) op = { verb: 'unlock', key, value, flags, session: q.get('release') ?? '' };
  else if (cas !== undefined) op = { verb: 'cas', key, value, flags, index: Number(cas) };
  else op = { verb: 'set', key, value, flags };
  const ok = await deps.kv.apply(op, writeContext(scope));
  sendJson(scope, op.verb === 'set' ? true : ok);
};

/** DELETE /v1/kv/:key — one key (`true`), a prefix (?recurse, `true`), or check-and-delete (?cas). */
export const deleteKv: Handler = async (scope) => {
  const { query: q, deps } = scope;
  requestContext(scope);
  rejectConflicting(q, ['recurse', 'cas']);
  const key = keyOf(scope);
  const recurse = q.has('recurse');
  if (!recurse && key === '') throw missingKey();
  const cas = uintParam(q, 'cas');
  let op: KvOp;
  if (recurse) op = { verb: 'delete-tree', prefix: key };
  else if (cas !== undefined) op = { verb: 'delete-cas', key, index: Number(cas) };
  else op = { verb: 'delete', key };
  const ok = await deps.kv.apply(op, writeContext(scope));
  sendJson(scope, op.verb === 'delete-cas' ? ok : true);
};
