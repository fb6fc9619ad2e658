import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { isPlainObject } from 'sextant/plugin-sdk';
import { filterMap, localAgentOf, readJsonBody } from './agent-local-common.js';
import type { Handler } from './request-scope.js';
import { sendEmpty, sendJson } from './respond.js';

/**
 * /v1/agent/check* — the agent's own checks (Consul's agent_endpoint.go). Writes are PUT and
 * answer 200 with an empty body once the change is in the catalog (Consul's syncChanges: a
 * failed sync is logged by the agent and the write stands); pass/warn/fail/update feed TTL checks.
 */

/** GET /v1/agent/checks — local checks by id (`?filter`). */
export const getAgentChecks: Handler = async (scope) => {
  sendJson(scope, filterMap(scope, localAgentOf(scope).checks()));
};

/** PUT /v1/agent/check/register — a check definition in any key case. */
export const putAgentCheckRegister: Handler = async (scope) => {
  const agent = localAgentOf(scope);
  await agent.registerCheck(await readJsonBody(scope));
  await agent.syncChanges();
  sendEmpty(scope.ctx, 200);
};

/** PUT /v1/agent/check/deregister/:id — 404 for an unknown id. */
export const putAgentCheckDeregister: Handler = async (scope) => {
  const agent = localAgentOf(scope);
  await agent.deregisterCheck(scope.params['id'] ?? '');
  await agent.syncChanges();
  sendEmpty(scope.ctx, 200);
};

function ttlHandler(status: 'passing' | 'warning' | 'critical'): Handler {
  return async (scope) => {
    const agent = localAgentOf(scope);
    await agent.updateTtl(scope.params['id'] ?? '', status, scope.query.get('note') ?? '');
    await agent.syncChanges();
    sendEmpty(scope.ctx, 200);
  };
}

/** PUT /v1/agent/check/pass/:id?note=… — TTL check passing. */
export const putAgentCheckPass: Handler = ttlHandler('passing');
/** PUT /v1/agent/check/warn/:id?note=… — TTL check warning. */
export const putAgentCheckWarn: Handler = ttlHandler('warning');
/** PUT /v1/agent/check/fail/:id?note=… — TTL check critical. */
export const putAgentCheckFail: Handler = ttlHandler('critical');

/** PUT /v1/agent/check/update/:id — body `{"Status": "passing|warning|critical", "Output": "…"}` (keys in any case). */
export const putAgentCheckUpdate: Handler = async (scope) => {
  const body = await readJsonBody(scope);
  if (!isPlainObject(body)) throw new SextantError(ErrorCode.BadRequest, 'Request decode failed: the body must be a JSON object with Status and Output');
  let status: unknown;
  let output: unknown = '';
  for (const [k, v] of Object.entries(body)) {
    if (k.toLowerCase() === 'status') status = v;
    else if (k.toLowerCase() === 'output') output = v;
  }
  if (status !== 'passing' && status !== 'warning' && status !== 'critical') {
    throw new SextantError(ErrorCode.BadRequest, `Invalid check status: '${typeof status === 'string' ? status : String(status ?? '')}'`);
  }
  if (typeof output !== 'string') throw new SextantError(ErrorCode.BadRequest, 'Request decode failed: Output must be a string');
  const agent = localAgentOf(scope);
  await agent.updateTtl(scope.params['id'] ?? '', status, output);
  await agent.syncChanges();
  sendEmpty(scope.ctx, 200);
};
