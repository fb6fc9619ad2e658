import type { Context } from 'koa';
import type { Consistency, QueryMeta } from '../../contracts/model/query.js';
import { encodeJson, type JsonEncoder } from './json-encode.js';
import type { RequestScope } from './request-scope.js';

/**
 * Writers for the REST surface's answers: JSON as Consul's Go server writes it, plain text,
 * empty bodies, and the blocking-query headers.
 */

/** True when the answer should be indented: `?pretty`, or always in dev mode. */
export function wantsPretty(scope: RequestScope): boolean {
  return scope.query.has('pretty') || scope.deps.config.dev;
}

/**
 * 200 (or `status`) with `value` as JSON (`Content-Type: application/json`), encoded by `encode`
 * (encodeJson, or encodeRecordsJson for answers built from stored records: same text). The body
 * is a string with its type set first, so koa neither sniffs it nor copies it into a Buffer,
 * and Node writes headers and body in one go.
 */
export function sendJson(scope: RequestScope, value: unknown, status = 200, encode: JsonEncoder = encodeJson): void {
  const { ctx } = scope;
  ctx.status = status;
  if (!ctx.res.headersSent) ctx.res.setHeader('Content-Type', 'application/json');
  const pretty = wantsPretty(scope);
  const cached = typeof value === 'object' && value !== null ? encodedBodies.get(value)?.[pretty ? 1 : 0] : undefined;
  if (cached) {
    ctx.body = cached;
    return;
  }
  const text = encode(value, pretty);
  if (text.length <= LARGE_BODY) {
    ctx.body = text;
    return;
  }
  // A large body is encoded to UTF-8 once here (as a string koa would measure it and Node encode
  // it again). When the same value is sent a second time (an endpoint reusing an unchanged
  // answer: health of a busy service, its woken watchers) the body is kept with it, so further
  // sends skip encoding entirely; an answer sent once is not kept (it would only load the GC).
  const body = Buffer.from(text, 'utf8');
  if (typeof value === 'object' && value !== null) {
    if (sentOnce.has(value)) {
      const pair = encodedBodies.get(value) ?? [undefined, undefined];
      pair[pretty ? 1 : 0] = body;
      encodedBodies.set(value, pair);
    } else {
      sentOnce.add(value);
    }
  }
  ctx.body = body;
}

/** Encoded large answers by the value they encode: [compact, pretty]. Values are never mutated after sending. */
const encodedBodies = new WeakMap<object, [Buffer | undefined, Buffer | undefined]>();
/** Large answers sent once (a second send keeps the body). */
const sentOnce = new WeakSet<object>();

/** Bodies longer than this (in UTF-16 units) are sent as a Buffer (and kept when sent twice). */
const LARGE_BODY = 16 * 1024;

/** A plain-text answer (Consul's error bodies). */
export function sendText(ctx: Context, status: number, text: string): void {
  ctx.status = status;
  ctx.set('Content-Type', 'text/plain; charset=utf-8');
  ctx.body = text;
}

/** An answer with an empty body (e.g. a KV miss: 404, no body, headers still set). */
export function sendEmpty(ctx: Context, status: number): void {
  ctx.body = null; // koa: explicit null → no body, no Content-Type (it also sets 204, overridden next)
  ctx.status = status;
}

const EFFECTIVE: Readonly<Record<Consistency, string>> = { default: 'leader', stale: 'stale', consistent: 'consistent' };

/**
 * Consul's setMeta: X-Consul-Index (never 0), X-Consul-KnownLeader, X-Consul-LastContact,
 * X-Consul-Effective-Consistency and X-Consul-Query-Backend on every read answer, 404s included.
 */
export function setQueryMeta(ctx: Context, meta: QueryMeta, consistency: Consistency): void {
  const res = ctx.res;
  if (res.headersSent) return;
  res.setHeader('X-Consul-Index', String(Math.max(1, meta.index)));
  res.setHeader('X-Consul-KnownLeader', meta.knownLeader ? 'true' : 'false');
  res.setHeader('X-Consul-LastContact', String(Math.max(0, Math.floor(meta.lastContactMs))));
  res.setHeader('X-Consul-Effective-Consistency', EFFECTIVE[meta.consistency ?? consistency]);
  res.setHeader('X-Consul-Query-Backend', 'blocking-query');
}
