import type { Handler } from './request-scope.js';
import { sendEmpty, sendJson } from './respond.js';

/** /v1/agent/* — operations on the local agent (no ?dc, no Raft). */

/** GET /v1/agent/self — the agent's configuration, member and stats document. */
export const getSelf: Handler = async (scope) => {
  sendJson(scope, scope.deps.agent.self());
};

/** GET /v1/agent/members — the LAN pool, or the WAN pool with ?wan. */
export const getMembers: Handler = async (scope) => {
  sendJson(scope, scope.deps.agent.members(scope.query.has('wan')));
};

/** PUT /v1/agent/reload — re-reads the config; 200 with an empty body, or 500 with why it was refused. */
export const putReload: Handler = async (scope) => {
  await scope.deps.agent.reload();
  sendEmpty(scope.ctx, 200);
};
