import type { CatalogNode, CatalogService, CatalogServiceNode, ServiceEntry } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { CatalogFilter } from '../../contracts/services/catalog-service.js';
import { compileFilter, type FilterPredicate } from '../filter/compile-filter.js';
import type { CatalogInstance } from '../state/catalog-reader.js';

/**
 * How catalog records look on the wire (Consul's JSON, CE), and the legacy filters
 * (`?node-meta`, `?tag`) the catalog and health reads share. Views of stored records are
 * frozen all the way down (the records are, and the defaults filled in are shared frozen
 * constants), so an encoder may keep their text.
 */

/** Consul's empty Proxy and Connect, and a check's Definition when none was given. */
const NO_PROXY = Object.freeze({ MeshGateway: Object.freeze({}), Expose: Object.freeze({}) });
const NO_OBJECT: Readonly<Record<string, unknown>> = Object.freeze({});

const serviceViews = new WeakMap<CatalogService, CatalogService>();
const serviceNodeViews = new WeakMap<CatalogService, { node: CatalogNode; view: CatalogServiceNode }>();

/**
 * A service as /catalog/node, /health/service and the agent show it (Consul's NodeService JSON).
 * Frozen and memoized per stored record (records are immutable), so hot reads build nothing.
 */
export function serviceView(svc: CatalogService): CatalogService {
  let view = serviceViews.get(svc);
  if (!view) {
    view = Object.freeze(buildServiceView(svc));
    serviceViews.set(svc, view);
  }
  return view;
}

function buildServiceView(svc: CatalogService): CatalogService {
  // Members in Consul's NodeService order (omitempty ones only when set).
  const out: CatalogService = {} as CatalogService;
  if (svc.Kind !== undefined && svc.Kind !== '') out.Kind = svc.Kind;
  out.ID = svc.ID;
  out.Service = svc.Service;
  out.Tags = svc.Tags;
  out.Address = svc.Address;
  if (svc.TaggedAddresses !== undefined) out.TaggedAddresses = svc.TaggedAddresses;
  out.Meta = svc.Meta;
  out.Port = svc.Port;
  if (svc.SocketPath !== undefined && svc.SocketPath !== '') out.SocketPath = svc.SocketPath;
  out.Weights = svc.Weights;
  out.EnableTagOverride = svc.EnableTagOverride;
  out.Proxy = svc.Proxy ?? NO_PROXY;
  out.Connect = svc.Connect ?? NO_OBJECT;
  out.CreateIndex = svc.CreateIndex;
  out.ModifyIndex = svc.ModifyIndex;
  return out;
}

const checkViews = new WeakMap<HealthCheck, HealthCheck>();

/**
 * A check as the health endpoints show it: Consul's HealthCheck JSON, members in its order,
 * Interval/Timeout '' and ExposedPort 0 when unset, Definition `{}` when none was given.
 * Frozen and memoized per stored record.
 */
export function checkView(c: HealthCheck): HealthCheck {
  let view = checkViews.get(c);
  if (!view) {
    view = Object.freeze({
      Node: c.Node,
      CheckID: c.CheckID,
      Name: c.Name,
      Status: c.Status,
      Notes: c.Notes,
      Output: c.Output,
      ServiceID: c.ServiceID,
      ServiceName: c.ServiceName,
      ServiceTags: c.ServiceTags,
      Type: c.Type,
      Interval: c.Interval ?? '',
      Timeout: c.Timeout ?? '',
      ExposedPort: c.ExposedPort ?? 0,
      Definition: c.Definition ?? NO_OBJECT,
      CreateIndex: c.CreateIndex,
      ModifyIndex: c.ModifyIndex,
    });
    checkViews.set(c, view);
  }
  return view;
}

const entryViews = new WeakMap<CatalogInstance, ServiceEntry>();

/**
 * An instance as /health/service shows it: `{Node, Service, Checks}`, Checks the node's checks
 * then the instance's (each by CheckID). Frozen and memoized per instance (the catalog hands out
 * the same instance object while its node, service and checks are unchanged).
 */
export function serviceEntry(inst: CatalogInstance): ServiceEntry {
  let entry = entryViews.get(inst);
  if (!entry) {
    const checks: HealthCheck[] = [];
    for (const c of inst.nodeChecks) checks.push(checkView(c));
    for (const c of inst.serviceChecks) checks.push(checkView(c));
    entry = Object.freeze({ Node: inst.node, Service: serviceView(inst.service), Checks: Object.freeze(checks) as HealthCheck[] });
    entryViews.set(inst, entry);
  }
  return entry;
}

/** /catalog/service's flattened node + service (Consul's ServiceNode); ServiceAddress '' when the service has none. Frozen, memoized. */
export function serviceNodeView(node: CatalogNode, svc: CatalogService): CatalogServiceNode {
  const hit = serviceNodeViews.get(svc);
  if (hit && hit.node === node) return hit.view;
  const view = Object.freeze(buildServiceNodeView(node, svc));
  serviceNodeViews.set(svc, { node, view });
  return view;
}

function buildServiceNodeView(node: CatalogNode, svc: CatalogService): CatalogServiceNode {
  // Members in Consul's ServiceNode order (omitempty ones only when set).
  const out = {
    ID: node.ID,
    Node: node.Node,
    Address: node.Address,
    Datacenter: node.Datacenter,
    TaggedAddresses: node.TaggedAddresses,
    NodeMeta: node.Meta,
    ServiceKind: svc.Kind ?? '',
    ServiceID: svc.ID,
    ServiceName: svc.Service,
    ServiceTags: svc.Tags,
    ServiceAddress: svc.Address,
  } as CatalogServiceNode;
  if (svc.TaggedAddresses !== undefined) out.ServiceTaggedAddresses = svc.TaggedAddresses;
  out.ServiceWeights = svc.Weights;
  out.ServiceMeta = svc.Meta;
  out.ServicePort = svc.Port;
  if (svc.SocketPath !== undefined && svc.SocketPath !== '') out.ServiceSocketPath = svc.SocketPath;
  out.ServiceEnableTagOverride = svc.EnableTagOverride;
  out.ServiceProxy = svc.Proxy ?? NO_PROXY;
  out.ServiceConnect = svc.Connect ?? NO_OBJECT;
  out.CreateIndex = svc.CreateIndex;
  out.ModifyIndex = svc.ModifyIndex;
  return out;
}

/** True when `meta` has every `?node-meta` pair (none: true). */
export function matchesNodeMeta(meta: Readonly<Record<string, string>>, want: Readonly<Record<string, string>> | undefined): boolean {
  if (!want) return true;
  for (const [k, v] of Object.entries(want)) if (meta[k] !== v) return false;
  return true;
}

/** True when the service carries every tag in `tags`, compared case-insensitively as Consul does. */
export function hasAllTags(serviceTags: readonly string[], tags: readonly string[]): boolean {
  if (tags.length === 0) return true;
  const have = new Set(serviceTags.map((t) => t.toLowerCase()));
  return tags.every((t) => have.has(t.toLowerCase()));
}

/** The compiled `?filter` of `f` (throws BAD_REQUEST on a syntax error). */
export function filterOf(f: CatalogFilter): FilterPredicate | undefined {
  return compileFilter(f.filter);
}

/** True when `f` restricts by node meta. */
export function hasNodeMeta(f: CatalogFilter): boolean {
  return f.nodeMeta !== undefined && Object.keys(f.nodeMeta).length > 0;
}
