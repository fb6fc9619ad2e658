import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { SessionCreateRequest } from '../../contracts/model/session.js';
import type { SessionApi } from '../../contracts/services/session-service.js';
import { decodeJsonBody } from './json-body.js';
import { blockingRead } from './blocking-read.js';
import { requiredParam } from './required-param.js';
import { writeContext } from './request-context.js';
import { readBody } from './read-body.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson, sendText } from './respond.js';

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

/** PUT /v1/session/create — `{"ID": "<uuid>"}`. */
export const putSessionCreate: Handler = async (scope) => {
  const body = decodeJsonBody(await readBody(scope.ctx.req, MAX_SESSION_BODY, tooLarge), CREATE_FIELDS);
  // Go decodes a JSON `null` into the session struct as a no-op: the defaults apply, as with no body.
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw new SextantError(ErrorCode.BadRequest, 'Request decode failed: the body must be a JSON object');
  }
  const id = await sessionOf(scope).create((body ?? {}) as SessionCreateRequest, writeContext(scope));
  sendJson(scope, { ID: id });
};

/** PUT /v1/session/destroy/:id — `true`. */
export const putSessionDestroy: Handler = async (scope) => {
  const id = requiredParam(scope, 'id', 'session');
  sendJson(scope, await sessionOf(scope).destroy(id, writeContext(scope)));
};

/** PUT /v1/session/renew/:id — `[session]`, or 404 `Session id '<id>' not found`. */
export const putSessionRenew: Handler = async (scope) => {
  const id = requiredParam(scope, 'id', 'session');
  const s = await sessionOf(scope).renew(id, writeContext(scope));
  if (!s) return sendText(scope.ctx, 404, `Session id '${id}' not found`);
  sendJson(scope, [s]);
};

/** GET /v1/session/info/:id — `[session]` or `[]`. */
export const getSessionInfo = blockingRead((scope, opts) => sessionOf(scope).info(requiredParam(scope, 'id', 'session'), opts));

/** GET /v1/session/node/:node — the node's sessions. */
export const getSessionNode = blockingRead((scope, opts) => sessionOf(scope).node(requiredParam(scope, 'node', 'node name'), opts));

/** GET /v1/session/list — every session. */
export const getSessionList = blockingRead((scope, opts) => sessionOf(scope).list(opts));
