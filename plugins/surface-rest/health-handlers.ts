import { blockingRead } from './blocking-read.js';
import { healthOf, parseCatalogFilter, parsePassing, parseTags } from './catalog-query.js';
import { encodeRecordsJson } from './json-encode.js';
import { requiredParam } from './required-param.js';

/**
 * /v1/health/* — Consul's health endpoint (agent/health_endpoint.go): checks by node, by
 * service and by state, and a service's `{Node, Service, Checks}` entries; all blocking-capable
 * with the standard headers. `?near=<node>|_agent` sorts by estimated RTT (except /health/node). The answers
 * are made of frozen catalog views, so they are encoded with encodeRecordsJson.
 */

const records = { encode: encodeRecordsJson };

/** GET /v1/health/node/:node — the node's checks (node and service level). */
export const getHealthNode = blockingRead(
  (scope, opts) => healthOf(scope).nodeChecks(requiredParam(scope, 'node', 'node name'), parseCatalogFilter(scope.query), opts),
  records,
);

/** GET /v1/health/checks/:service — the checks of every instance of the service. */
export const getHealthChecks = blockingRead(
  (scope, opts) => healthOf(scope).serviceChecks(requiredParam(scope, 'service', 'service name'), parseCatalogFilter(scope.query), opts),
  records,
);

/** GET /v1/health/service/:service — `[{Node, Service, Checks}]` (`?passing`, `?tag`, `?node-meta`, `?filter`). */
export const getHealthService = blockingRead((scope, opts) => {
  const q = scope.query;
  const service = requiredParam(scope, 'service', 'service name');
  return healthOf(scope).serviceHealth(service, { tags: parseTags(q), passingOnly: parsePassing(q) }, parseCatalogFilter(q), opts);
}, records);

/** GET /v1/health/state/:state — checks in `any`, `passing`, `warning` or `critical` (else 400). */
export const getHealthState = blockingRead(
  (scope, opts) => healthOf(scope).checksInState(requiredParam(scope, 'state', 'check state'), parseCatalogFilter(scope.query), opts),
  records,
);
