import { healthOf, parseCatalogFilter, parsePassing, parseTags, requiredParam } from './catalog-query.js';
import { checkDatacenter, parseQueryOptions } from './query-options.js';
import type { Handler } from './request-scope.js';
import { sendJson, setQueryMeta } from './respond.js';

/**
 * /v1/health/* — Consul's health endpoint (agent/health_endpoint.go): checks by node, by
 * service and by state, and a service's `{Node, Service, Checks}` entries; all blocking-capable
 * with the standard headers. `?near` is accepted and ignored (sorted by node name).
 */

/** GET /v1/health/node/:node — the node's checks (node and service level). */
export const getHealthNode: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const node = requiredParam(scope, 'node', 'node name');
  checkDatacenter(q, deps.config);
  const res = await healthOf(scope).nodeChecks(node, parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/health/checks/:service — the checks of every instance of the service. */
export const getHealthChecks: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const service = requiredParam(scope, 'service', 'service name');
  checkDatacenter(q, deps.config);
  const res = await healthOf(scope).serviceChecks(service, parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/health/service/:service — `[{Node, Service, Checks}]` (`?passing`, `?tag`, `?node-meta`, `?filter`). */
export const getHealthService: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const service = requiredParam(scope, 'service', 'service name');
  const passingOnly = parsePassing(q);
  checkDatacenter(q, deps.config);
  const res = await healthOf(scope).serviceHealth(service, { tags: parseTags(q), passingOnly }, parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/health/state/:state — checks in `any`, `passing`, `warning` or `critical` (else 400). */
export const getHealthState: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const state = requiredParam(scope, 'state', 'check state');
  checkDatacenter(q, deps.config);
  const res = await healthOf(scope).checksInState(state, parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};
