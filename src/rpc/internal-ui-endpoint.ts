import type { CatalogNode, CatalogService } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { UiNodeInfo, UiServiceSummary } from '../../contracts/model/ui-dump.js';
import type { CatalogFilter } from '../../contracts/services/catalog-service.js';
import type { InternalUiApi } from '../../contracts/services/internal-ui-service.js';
import type { CatalogReader, CatalogTableName } from '../state/catalog-reader.js';
import { catalogRead, type CatalogEndpointDeps } from './catalog-read.js';
import { checkView, filterOf, serviceEntry, serviceView } from './catalog-views.js';

/** The tables both dumps read, so both block on (Consul's catalogMaxIndex with checks). */
const DUMP_TABLES: readonly CatalogTableName[] = ['nodes', 'services', 'checks'];
/** Consul's structs.MetaExternalSource. */
const EXTERNAL_SOURCE = 'external-source';
const NO_GATEWAY: Record<string, never> = Object.freeze({}) as Record<string, never>;

/**
 * The server side of Consul's Internal.ServiceDump and Internal.NodeDump as the UI endpoints use
 * them (agent/consul/internal_endpoint.go, agent/ui_endpoint.go's summarizeServices): computed
 * from the local catalog, blocking on its nodes, services and checks tables. An unfiltered
 * answer is kept for its index, so the many idle pages a change wakes share one computation.
 */
export class InternalUiEndpoint implements InternalUiApi {
  private servicesMemo: { index: number; value: UiServiceSummary[] } | undefined;
  private nodesMemo: { index: number; value: UiNodeInfo[] } | undefined;

  constructor(private readonly deps: CatalogEndpointDeps) {}

  /**
   * One summary per service name, sorted. A service's checks are the distinct (node, CheckID)
   * checks of its instances, node checks included, so a failing serfHealth counts once per
   * service on that node. With `?filter` only the instances it accepts (as `{Node, Service,
   * Checks}`) count.
   */
  async serviceSummaries(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<UiServiceSummary[]>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    return catalogRead(this.deps, opts, {
      run: () => {
        const index = cat.tableIndex(...DUMP_TABLES);
        if (!filter && this.servicesMemo?.index === index) return this.servicesMemo;
        const checks = checksByOwner(cat);
        const sums = new Map<string, Summary>();
        const hasProxy = new Set<string>();
        for (const inst of cat.allInstances().value) {
          const { node, service } = inst;
          const nodeKey = node.Node.toLowerCase();
          const nodeChecks = checks.node.get(nodeKey) ?? [];
          const svcChecks = checks.service.get(`${nodeKey}\u0000${service.ID}`) ?? [];
          if (filter) {
            const entry = serviceEntry({ node, service, nodeChecks, serviceChecks: svcChecks });
            if (!filter(entry)) continue;
          }
          const sum = summaryOf(sums, service.Service);
          sum.nodes.add(node.Node);
          sum.kind = service.Kind ?? '';
          sum.datacenter = node.Datacenter;
          sum.instances += 1;
          if (service.Connect?.['Native'] === true) sum.connectNative = true;
          for (const t of service.Tags) sum.tags.add(t);
          const source = service.Meta[EXTERNAL_SOURCE];
          if (source) sum.sources.add(source);
          for (const c of nodeChecks) sum.checks.set(`${node.Node}\u0000${c.CheckID}`, c.Status);
          for (const c of svcChecks) sum.checks.set(`${node.Node}\u0000${c.CheckID}`, c.Status);
          if (service.Kind === 'connect-proxy') {
            const dest = service.Proxy?.['DestinationServiceName'];
            if (typeof dest === 'string' && dest !== '') {
              hasProxy.add(dest);
              const target = summaryOf(sums, dest);
              for (const c of [...nodeChecks, ...svcChecks]) target.checks.set(`${node.Node}\u0000${c.CheckID}`, c.Status);
            }
          }
        }
        const value = [...sums.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((s) => render(s, hasProxy.has(s.name)));
        const result = { index, value };
        if (!filter) this.servicesMemo = result;
        return result;
      },
      watch: (wake) => cat.watchTables(DUMP_TABLES, wake),
    });
  }

  /** Every node with its services (by ID, services without checks too) and its checks (by CheckID), sorted by name. */
  async nodeDump(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<UiNodeInfo[]>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    return catalogRead(this.deps, opts, {
      run: () => {
        const index = cat.tableIndex(...DUMP_TABLES);
        if (!filter && this.nodesMemo?.index === index) return this.nodesMemo;
        const services = new Map<string, CatalogService[]>();
        for (const inst of cat.allInstances().value) {
          const key = inst.node.Node.toLowerCase();
          let list = services.get(key);
          if (!list) services.set(key, (list = []));
          list.push(serviceView(inst.service));
        }
        const checks = new Map<string, HealthCheck[]>();
        for (const c of cat.allChecks().value) {
          const key = c.Node.toLowerCase();
          let list = checks.get(key);
          if (!list) checks.set(key, (list = []));
          list.push(checkView(c));
        }
        const value: UiNodeInfo[] = [];
        for (const node of cat.nodes().value) {
          const key = node.Node.toLowerCase();
          const info = nodeInfo(node, (services.get(key) ?? []).sort(byId), checks.get(key) ?? []);
          if (!filter || filter(info)) value.push(info);
        }
        const result = { index, value };
        if (!filter) this.nodesMemo = result;
        return result;
      },
      watch: (wake) => cat.watchTables(DUMP_TABLES, wake),
    });
  }
}

/** A service name's roll-up while it is built. */
interface Summary {
  name: string;
  kind: string;
  datacenter: string;
  tags: Set<string>;
  nodes: Set<string>;
  sources: Set<string>;
  instances: number;
  connectNative: boolean;
  /** Status by node + CheckID: each check counts once per service. */
  checks: Map<string, string>;
}

function summaryOf(sums: Map<string, Summary>, name: string): Summary {
  let sum = sums.get(name);
  if (!sum) {
    sum = { name, kind: '', datacenter: '', tags: new Set(), nodes: new Set(), sources: new Set(), instances: 0, connectNative: false, checks: new Map() };
    sums.set(name, sum);
  }
  return sum;
}

function render(s: Summary, connectedWithProxy: boolean): UiServiceSummary {
  let passing = 0;
  let warning = 0;
  let critical = 0;
  for (const status of s.checks.values()) {
    if (status === 'passing') passing++;
    else if (status === 'warning') warning++;
    else if (status === 'critical') critical++;
  }
  const out = {} as UiServiceSummary;
  if (s.kind !== '') out.Kind = s.kind;
  out.Name = s.name;
  out.Datacenter = s.datacenter;
  out.Tags = s.tags.size > 0 ? [...s.tags].sort() : null;
  out.Nodes = [...s.nodes].sort();
  out.ExternalSources = s.sources.size > 0 ? [...s.sources] : null;
  out.InstanceCount = s.instances;
  out.ChecksPassing = passing;
  out.ChecksWarning = warning;
  out.ChecksCritical = critical;
  out.GatewayConfig = NO_GATEWAY;
  out.TransparentProxy = false;
  out.ConnectNative = s.connectNative;
  out.ConnectedWithProxy = connectedWithProxy;
  out.ConnectedWithGateway = false;
  return out;
}

/** Every check split by owner: node checks by node name, service checks by node name + service ID (lower-cased node names). */
function checksByOwner(cat: CatalogReader): { node: Map<string, HealthCheck[]>; service: Map<string, HealthCheck[]> } {
  const node = new Map<string, HealthCheck[]>();
  const service = new Map<string, HealthCheck[]>();
  for (const c of cat.allChecks().value) {
    const nodeKey = c.Node.toLowerCase();
    const [map, key] = c.ServiceID ? [service, `${nodeKey}\u0000${c.ServiceID}`] : [node, nodeKey];
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(c);
  }
  return { node, service };
}

function nodeInfo(node: CatalogNode, services: CatalogService[], checks: HealthCheck[]): UiNodeInfo {
  return {
    ID: node.ID,
    Node: node.Node,
    Address: node.Address,
    TaggedAddresses: node.TaggedAddresses,
    Meta: node.Meta,
    Services: services,
    Checks: checks,
  };
}

function byId(a: CatalogService, b: CatalogService): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}
