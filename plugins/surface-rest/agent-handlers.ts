import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { Handler } from './request-scope.js';
import { sendEmpty, sendJson, sendText } from './respond.js';

/** /v1/agent/* — operations on the local agent (no ?dc, no Raft). */

/** GET /v1/agent/self — the agent's configuration, member and stats document. */
export const getSelf: Handler = async (scope) => {
  sendJson(scope, scope.deps.agent.self());
};

/** GET /v1/agent/members — the LAN pool, or the WAN pool with a non-empty ?wan (Consul reads `Get("wan") != ""`). */
export const getMembers: Handler = async (scope) => {
  sendJson(scope, scope.deps.agent.members((scope.query.get('wan') ?? '') !== ''));
};

/** PUT /v1/agent/reload — re-reads the config; 200 with an empty body, or 500 with why it was refused. */
export const putReload: Handler = async (scope) => {
  await scope.deps.agent.reload();
  sendEmpty(scope.ctx, 200);
};

/**
 * PUT /v1/agent/join/:address — joins the LAN pool through one agent (Consul's AgentJoin); `?wan`
 * with a non-empty value asks for the WAN pool (Consul reads `Get("wan") != ""`). 200 with an
 * empty body, or 500 with the join's error.
 */
export const putJoin: Handler = async (scope) => {
  const address = scope.params['address'] ?? '';
  const wan = (scope.query.get('wan') ?? '') !== '';
  await scope.deps.agent.join([address], wan);
  sendEmpty(scope.ctx, 200);
};

/**
 * PUT /v1/agent/leave — leaves the pool gracefully, then the agent shuts down (Consul's AgentLeave:
 * Leave then ShutdownAgent). 200 with an empty body once the pool was left; the shutdown follows.
 */
export const putLeave: Handler = async (scope) => {
  await scope.deps.agent.leave();
  sendEmpty(scope.ctx, 200);
};

/**
 * PUT /v1/agent/force-leave/:node — forces a failed member out (Consul's AgentForceLeave; `?prune`
 * forgets it at once, `?wan` asks for the WAN pool). Consul's agent answers an unknown node with its
 * plain error, so 500 `agent: No node found with name '<node>'` (not 404).
 */
export const putForceLeave: Handler = async (scope) => {
  const node = scope.params['node'] ?? '';
  try {
    await scope.deps.agent.forceLeave(node, scope.query.has('prune'), scope.query.has('wan'));
  } catch (e) {
    if (isSextantError(e) && e.code === ErrorCode.NotFound) {
      sendText(scope.ctx, 500, e.message);
      return;
    }
    throw e;
  }
  sendEmpty(scope.ctx, 200);
};
