import type { CatalogService, DeregisterRequest, RegisterRequest } from '../../contracts/model/catalog.js';
import type { QueryOptions } from '../../contracts/model/query.js';
import type { CatalogApi } from '../../contracts/services/catalog-service.js';
import { blockingRead } from './blocking-read.js';
import { DEREGISTER_SHAPE, REGISTER_SHAPE, decodeCatalogBody } from './catalog-body.js';
import { catalogOf, parseCatalogFilter, parseTags } from './catalog-query.js';
import { encodeRecordsJson } from './json-encode.js';
import { requiredParam } from './required-param.js';
import { writeContext } from './request-context.js';
import { readBody } from './read-body.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson } from './respond.js';

/**
 * /v1/catalog/* — Consul's catalog endpoint (agent/catalog_endpoint.go): register and
 * deregister (PUT, JSON bodies with case-insensitive field names, answer `true`), and the
 * blocking-capable reads with X-Consul-Index & co. `?near=<node>|_agent` sorts node lists by
 * estimated RTT (the server does it); `?cached` is accepted and served uncached.
 */

/** Largest register/deregister body accepted (Consul reads them whole; 8 MiB bounds memory). */
const MAX_CATALOG_BODY = 8 * 1024 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;

/** PUT /v1/catalog/register — a node, optionally a service and checks; `true`. */
export const putCatalogRegister: Handler = async (scope) => {
  const body = decodeCatalogBody(await readBody(scope.ctx.req, MAX_CATALOG_BODY, tooLarge), REGISTER_SHAPE) ?? {};
  await catalogOf(scope).register(body as RegisterRequest, writeContext(scope));
  sendJson(scope, true);
};

/** PUT /v1/catalog/deregister — a check, a service, or a whole node; `true`. */
export const putCatalogDeregister: Handler = async (scope) => {
  const body = decodeCatalogBody(await readBody(scope.ctx.req, MAX_CATALOG_BODY, tooLarge), DEREGISTER_SHAPE) ?? {};
  await catalogOf(scope).deregister(body as DeregisterRequest, writeContext(scope));
  sendJson(scope, true);
};

/** GET /v1/catalog/datacenters — names, this agent's first; works without a leader. */
export const getCatalogDatacenters: Handler = async (scope) => {
  sendJson(scope, await catalogOf(scope).datacenters(writeContext(scope)));
};

/** GET /v1/catalog/nodes — all nodes (`?node-meta`, `?filter`). */
export const getCatalogNodes = blockingRead((scope, opts) => catalogOf(scope).nodes(parseCatalogFilter(scope.query), opts), { encode: encodeRecordsJson });

/** GET /v1/catalog/services — `{"name": [tags…]}`. */
export const getCatalogServices = blockingRead((scope, opts) => catalogOf(scope).services(parseCatalogFilter(scope.query), opts));

/** GET /v1/catalog/service/:service — flattened instances (`?tag` repeatable, `?node-meta`, `?filter`). */
export const getCatalogService = blockingRead(
  (scope, opts) => catalogOf(scope).serviceNodes(requiredParam(scope, 'service', 'service name'), parseTags(scope.query), parseCatalogFilter(scope.query), opts),
  { encode: encodeRecordsJson },
);

const readNodeServices = (scope: RequestScope, opts: QueryOptions): ReturnType<CatalogApi['nodeServices']> =>
  catalogOf(scope).nodeServices(requiredParam(scope, 'node', 'node name'), parseCatalogFilter(scope.query), opts);

/** GET /v1/catalog/node/:node — `{"Node": {…}, "Services": {"<id>": {…}}}`, or `null` for an unknown node. */
export const getCatalogNode = blockingRead(readNodeServices, {
  shape: (value) => {
    if (value === null) return null;
    const services: Record<string, CatalogService> = {};
    for (const s of value.Services) services[s.ID] = s;
    return { Node: value.Node, Services: services };
  },
  encode: encodeRecordsJson,
});

/** GET /v1/catalog/node-services/:node — `{"Node": {…}, "Services": [ … ]}`; `{"Node": null, "Services": []}` for an unknown node. */
export const getCatalogNodeServices = blockingRead(readNodeServices, { shape: (value) => value ?? { Node: null, Services: [] }, encode: encodeRecordsJson });
