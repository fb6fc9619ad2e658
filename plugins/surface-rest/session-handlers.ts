import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { SessionCreateRequest } from '../../contracts/model/session.js';
import type { SessionApi } from '../../contracts/services/session-service.js';
import { decodeJsonBody } from './json-body.js';
import { checkDatacenter, parseQueryOptions } from './query-options.js';
import { readBody } from './read-body.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson, sendText, setQueryMeta } from './respond.js';

/**
 * /v1/session/* — Consul's session endpoint (agent/session_endpoint.go): create (PUT, optional
 * JSON body with case-insensitive field names → `{"ID": …}`), destroy (`true`), renew
 * (`[session]`, or 404 `Session id '<id>' not found`), and the blocking-capable reads info,
 * node and list (always a JSON array, `[]` when empty) with X-Consul-Index & co.
 */

/** Field names of a create body, matched case-insensitively. */
const CREATE_FIELDS = ['Name', 'Node', 'LockDelay', 'Behavior', 'TTL', 'NodeChecks', 'ServiceChecks', 'Checks', 'ID', 'Namespace'] as const;
/** A session body is small; Consul reads it whole. */
const MAX_SESSION_BODY = 1024 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;

/** The surface's SessionApi (NOT_IMPLEMENTED when the agent was built without one). */
export function sessionOf(scope: RequestScope): SessionApi {
  const s = scope.deps.session;
  if (!s) throw new SextantError(ErrorCode.NotImplemented, 'sessions are not available on this agent');
  return s;
}

function pathParam(scope: RequestScope, name: string, missing: string): string {
  const v = scope.params[name] ?? '';
  if (v === '') throw new SextantError(ErrorCode.BadRequest, missing);
  return v;
}

/** PUT /v1/session/create — `{"ID": "<uuid>"}`. */
export const putSessionCreate: Handler = async (scope) => {
  const { query: q, deps } = scope;
  checkDatacenter(q, deps.config);
  const body = decodeJsonBody(await readBody(scope.ctx.req, MAX_SESSION_BODY, tooLarge), CREATE_FIELDS);
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new SextantError(ErrorCode.BadRequest, 'Request decode failed: the body must be a JSON object');
  }
  const id = await sessionOf(scope).create((body ?? {}) as SessionCreateRequest);
  sendJson(scope, { ID: id });
};

/** PUT /v1/session/destroy/:id — `true`. */
export const putSessionDestroy: Handler = async (scope) => {
  const { query: q, deps } = scope;
  const id = pathParam(scope, 'id', 'Missing session');
  checkDatacenter(q, deps.config);
  sendJson(scope, await sessionOf(scope).destroy(id));
};

/** PUT /v1/session/renew/:id — `[session]`, or 404 `Session id '<id>' not found`. */
export const putSessionRenew: Handler = async (scope) => {
  const { query: q, deps } = scope;
  const id = pathParam(scope, 'id', 'Missing session');
  checkDatacenter(q, deps.config);
  const s = await sessionOf(scope).renew(id);
  if (!s) return sendText(scope.ctx, 404, `Session id '${id}' not found`);
  sendJson(scope, [s]);
};

/** GET /v1/session/info/:id — `[session]` or `[]`. */
export const getSessionInfo: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const id = pathParam(scope, 'id', 'Missing session');
  checkDatacenter(q, deps.config);
  const res = await sessionOf(scope).info(id, opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/session/node/:node — the node's sessions. */
export const getSessionNode: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const node = pathParam(scope, 'node', 'Missing node name');
  checkDatacenter(q, deps.config);
  const res = await sessionOf(scope).node(node, opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/session/list — every session. */
export const getSessionList: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  checkDatacenter(q, deps.config);
  const res = await sessionOf(scope).list(opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};
