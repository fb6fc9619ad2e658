import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { hasLocalChanges, type AgentServiceHealth } from '../../contracts/services/local-agent-service.js';
import { aggregatedHttpStatus } from 'sextant/plugin-sdk';
import { filterMap, flagParam, goBoolParam, localAgentOf, readJsonBody, wantsText } from './agent-local-common.js';
import { waitForHashChange } from './hash-blocking.js';
import { effectiveWaitMs, parseWaitMs } from './query-options.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendEmpty, sendJson, sendText } from './respond.js';

/**
 * /v1/agent/service*, /v1/agent/maintenance and /v1/agent/health/service/* — the agent's own
 * services (Consul's agent_endpoint.go). Writes are PUT (any other method: 405
 * `method GET not allowed`, as Consul ≥ 1.0) and answer 200 with an empty body once the change
 * is in the catalog (Consul's syncChanges: a failed sync is logged and the write stands).
 */

/** GET /v1/agent/services — local services by id (`?filter`). */
export const getAgentServices: Handler = async (scope) => {
  sendJson(scope, filterMap(scope, localAgentOf(scope).services()));
};

/**
 * GET /v1/agent/service/:id — one local service with its ContentHash (header
 * X-Consul-ContentHash); 404 when unknown. `?hash=<ContentHash>` blocks (up to `?wait`, default
 * 5 min) until the service changes or goes away, as Consul's hash-based blocking does.
 */
export const getAgentService: Handler = async (scope) => {
  const id = scope.params['id'] ?? '';
  const agent = localAgentOf(scope);
  const hash = scope.query.get('hash');
  if (hash !== null && hash !== '' && hasLocalChanges(agent)) {
    const { config, clock, random } = scope.deps;
    await waitForHashChange({
      hash,
      current: () => agent.service(id)?.ContentHash,
      subscribe: (l) => agent.onChange(l),
      waitMs: effectiveWaitMs(parseWaitMs(scope.query), config, random),
      clock,
      signal: scope.signal,
    });
  }
  const svc = agent.service(id);
  if (!svc) return sendText(scope.ctx, 404, `unknown service ID: ${id}`);
  if (svc.ContentHash) scope.ctx.set('X-Consul-ContentHash', svc.ContentHash);
  sendJson(scope, svc);
};

/** PUT /v1/agent/service/register — a service definition in any key case; `?replace-existing-checks`. */
export const putAgentServiceRegister: Handler = async (scope) => {
  const body = await readJsonBody(scope);
  const agent = localAgentOf(scope);
  await agent.registerService(body, { replaceExistingChecks: flagParam(scope.query, 'replace-existing-checks') });
  await agent.syncChanges();
  sendEmpty(scope.ctx, 200);
};

/** PUT /v1/agent/service/deregister/:id — removes the service and its checks; 404 for an unknown id. */
export const putAgentServiceDeregister: Handler = async (scope) => {
  const agent = localAgentOf(scope);
  await agent.deregisterService(scope.params['id'] ?? '');
  await agent.syncChanges();
  sendEmpty(scope.ctx, 200);
};

function enableParam(scope: RequestScope): boolean {
  const enable = goBoolParam(scope.query, 'enable');
  if (enable === 'missing') throw new SextantError(ErrorCode.BadRequest, 'Missing value for enable');
  return enable;
}

/** PUT /v1/agent/service/maintenance/:id?enable=true|false[&reason=…]. */
export const putAgentServiceMaintenance: Handler = async (scope) => {
  const enable = enableParam(scope);
  const agent = localAgentOf(scope);
  await agent.serviceMaintenance(scope.params['id'] ?? '', enable, scope.query.get('reason') ?? '');
  await agent.syncChanges();
  sendEmpty(scope.ctx, 200);
};

/** PUT /v1/agent/maintenance?enable=true|false[&reason=…] — node maintenance. */
export const putAgentMaintenance: Handler = async (scope) => {
  const enable = enableParam(scope);
  const agent = localAgentOf(scope);
  await agent.nodeMaintenance(enable, scope.query.get('reason') ?? '');
  await agent.syncChanges();
  sendEmpty(scope.ctx, 200);
};

function sendHealth(scope: RequestScope, code: number, status: string, payload: unknown): void {
  if (wantsText(scope)) return sendText(scope.ctx, code, status);
  sendJson(scope, payload, code);
}

/**
 * GET /v1/agent/health/service/id/:id — `{AggregatedStatus, Service, Checks}` with 200 passing,
 * 429 warning, 503 critical/maintenance; 404 for an unknown id. `?format=text` / `Accept:
 * text/plain`: the status word only.
 */
export const getAgentHealthById: Handler = async (scope) => {
  const id = scope.params['id'] ?? '';
  const h = localAgentOf(scope).serviceHealthById(id);
  if (!h) {
    const reason = `ServiceId ${id} not found`;
    if (wantsText(scope)) return sendText(scope.ctx, 404, reason);
    return sendJson(scope, { AggregatedStatus: 'critical', Service: null, Checks: null }, 404);
  }
  sendHealth(scope, aggregatedHttpStatus(h.AggregatedStatus), h.AggregatedStatus, h);
};

/** GET /v1/agent/health/service/name/:name — every local instance; the status is the worst one. */
export const getAgentHealthByName: Handler = async (scope) => {
  const name = scope.params['name'] ?? '';
  const all: AgentServiceHealth[] = localAgentOf(scope).serviceHealthByName(name);
  if (all.length === 0) {
    const reason = `ServiceName ${name} Not Found`;
    if (wantsText(scope)) return sendText(scope.ctx, 404, reason);
    return sendJson(scope, [], 404);
  }
  let code = 0;
  let status = 'passing';
  for (const h of all) {
    const c = aggregatedHttpStatus(h.AggregatedStatus);
    if (c > code) {
      code = c;
      status = h.AggregatedStatus;
    }
  }
  sendHealth(scope, code, status, all);
};
