import type { CatalogService, DeregisterRequest, RegisterRequest } from '../../contracts/model/catalog.js';
import { DEREGISTER_SHAPE, REGISTER_SHAPE, decodeCatalogBody } from './catalog-body.js';
import { catalogOf, parseCatalogFilter, parseTags, requiredParam } from './catalog-query.js';
import { checkDatacenter, parseQueryOptions } from './query-options.js';
import { readBody } from './read-body.js';
import type { Handler } from './request-scope.js';
import { sendJson, setQueryMeta } from './respond.js';

/**
 * /v1/catalog/* — Consul's catalog endpoint (agent/catalog_endpoint.go): register and
 * deregister (PUT, JSON bodies with case-insensitive field names, answer `true`), and the
 * blocking-capable reads with X-Consul-Index & co. `?near` is accepted and ignored (results
 * stay sorted by node name); `?cached` is accepted and served uncached.
 */

/** Largest register/deregister body accepted (Consul reads them whole; 8 MiB bounds memory). */
const MAX_CATALOG_BODY = 8 * 1024 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;

/** PUT /v1/catalog/register — a node, optionally a service and checks; `true`. */
export const putCatalogRegister: Handler = async (scope) => {
  const { query: q, deps } = scope;
  checkDatacenter(q, deps.config);
  const body = decodeCatalogBody(await readBody(scope.ctx.req, MAX_CATALOG_BODY, tooLarge), REGISTER_SHAPE) ?? {};
  await catalogOf(scope).register(body as RegisterRequest);
  sendJson(scope, true);
};

/** PUT /v1/catalog/deregister — a check, a service, or a whole node; `true`. */
export const putCatalogDeregister: Handler = async (scope) => {
  const { query: q, deps } = scope;
  checkDatacenter(q, deps.config);
  const body = decodeCatalogBody(await readBody(scope.ctx.req, MAX_CATALOG_BODY, tooLarge), DEREGISTER_SHAPE) ?? {};
  await catalogOf(scope).deregister(body as DeregisterRequest);
  sendJson(scope, true);
};

/** GET /v1/catalog/datacenters — names, this agent's first; works without a leader. */
export const getCatalogDatacenters: Handler = async (scope) => {
  sendJson(scope, await catalogOf(scope).datacenters());
};

/** GET /v1/catalog/nodes — all nodes (`?node-meta`, `?filter`). */
export const getCatalogNodes: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  checkDatacenter(q, deps.config);
  const res = await catalogOf(scope).nodes(parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/catalog/services — `{"name": [tags…]}`. */
export const getCatalogServices: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  checkDatacenter(q, deps.config);
  const res = await catalogOf(scope).services(parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/catalog/service/:service — flattened instances (`?tag` repeatable, `?node-meta`, `?filter`). */
export const getCatalogService: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const service = requiredParam(scope, 'service', 'service name');
  checkDatacenter(q, deps.config);
  const res = await catalogOf(scope).serviceNodes(service, parseTags(q), parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value);
};

/** GET /v1/catalog/node/:node — `{"Node": {…}, "Services": {"<id>": {…}}}`, or `null` for an unknown node. */
export const getCatalogNode: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const node = requiredParam(scope, 'node', 'node name');
  checkDatacenter(q, deps.config);
  const res = await catalogOf(scope).nodeServices(node, parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  if (res.value === null) return sendJson(scope, null);
  const services: Record<string, CatalogService> = {};
  for (const s of res.value.Services) services[s.ID] = s;
  sendJson(scope, { Node: res.value.Node, Services: services });
};

/** GET /v1/catalog/node-services/:node — `{"Node": {…}, "Services": [ … ]}`; `{"Node": null, "Services": []}` for an unknown node. */
export const getCatalogNodeServices: Handler = async (scope) => {
  const { ctx, query: q, deps } = scope;
  const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
  const node = requiredParam(scope, 'node', 'node name');
  checkDatacenter(q, deps.config);
  const res = await catalogOf(scope).nodeServices(node, parseCatalogFilter(q), opts);
  setQueryMeta(ctx, res.meta, opts.consistency);
  sendJson(scope, res.value ?? { Node: null, Services: [] });
};
