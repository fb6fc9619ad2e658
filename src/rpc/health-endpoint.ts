import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { ServiceEntry } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { CatalogFilter, HealthApi } from '../../contracts/services/catalog-service.js';
import type { CatalogTableName } from '../state/catalog-reader.js';
import { catalogRead, type CatalogEndpointDeps } from './catalog-read.js';
import { checkView, filterOf, hasAllTags, hasNodeMeta, matchesNodeMeta, serviceEntry } from './catalog-views.js';
import { sortNear } from './near-sort.js';

/** The states /v1/health/state/:state accepts. */
export const HEALTH_STATES: readonly string[] = ['any', 'passing', 'warning', 'critical'];

/**
 * The kernel's HealthApi (Consul's Health RPC endpoint): checks by node, by service and by
 * state, and the `{Node, Service, Checks}` entries of a service, served from the local state
 * machine with the same consistency and blocking rules as the catalog. `/health/service` blocks
 * on the service's own index, which also moves when a node it runs on (its fields or its node
 * checks) changes.
 */
/** How many distinct /health/service queries keep a reusable answer. */
const MEMO_ENTRIES = 256;

export class HealthEndpoint implements HealthApi {
  /** Recent /health/service answers by query, each valid while the service's index is unchanged. */
  private readonly memo = new Map<string, { value: ServiceEntry[]; index: number }>();

  constructor(private readonly deps: CatalogEndpointDeps) {}

  /** The checks of `node` by CheckID (`?filter` over HealthCheck); index: the checks table; watch: that node. */
  async nodeChecks(node: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.nodeChecks(node);
        return { value: value.map(checkView).filter((c) => !filter || filter(c)), index };
      },
      watch: (wake) => cat.watchNode(node, wake),
    });
  }

  /** The checks of every instance of `service` (by node, CheckID); index and watch: the service's. */
  async serviceChecks(service: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.serviceInstances(service);
        const out: HealthCheck[] = [];
        for (const inst of value) {
          if (!matchesNodeMeta(inst.node.Meta, f.nodeMeta)) continue;
          for (const c of inst.serviceChecks) {
            const view = checkView(c);
            if (!filter || filter(view)) out.push(view);
          }
        }
        return { value: sortNear(this.deps, opts, out, (c) => c.Node), index };
      },
      watch: (wake) => cat.watchService(service, wake),
    });
  }

  /**
   * One `{Node, Service, Checks}` per instance (by node name); Checks are the node's checks then
   * the instance's, each by CheckID. `tags` must all be present (case-insensitive); with
   * `passingOnly` an instance is left out when any of those checks is not passing. `?filter`
   * sees the entry (`Service.Tags`, `Node.Meta.env`, `Checks.Status`). Unknown service: [].
   */
  async serviceHealth(service: string, q: { tags: string[]; passingOnly: boolean }, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    const memoKey = JSON.stringify([service.toLowerCase(), q.tags, q.passingOnly, f.filter ?? '', f.nodeMeta ?? {}]);
    const sorted = (r: { value: ServiceEntry[]; index: number }): { value: ServiceEntry[]; index: number } =>
      opts.near ? { value: sortNear(this.deps, opts, r.value, (e) => e.Node.Node), index: r.index } : r;
    return catalogRead(this.deps, opts, {
      run: () => {
        // The service's own index moves with every change that can alter this answer (its
        // instances, their checks, their nodes), so an answer computed at the same index is reused:
        // repeated reads and woken watchers of a busy service share one result.
        const known = this.memo.get(memoKey);
        if (known && known.index === cat.serviceIndexFor(service)) return sorted(known);
        const { value, index } = cat.serviceInstances(service);
        // Without a condition on them the records themselves are not read: on a big catalog every
        // record touched is a likely cache miss.
        const byTags = q.tags.length > 0;
        const byMeta = f.nodeMeta !== undefined;
        const out: ServiceEntry[] = [];
        for (const inst of value) {
          if (byTags && !hasAllTags(inst.service.Tags, q.tags)) continue;
          if (byMeta && !matchesNodeMeta(inst.node.Meta, f.nodeMeta)) continue;
          if (q.passingOnly && !(allPassing(inst.nodeChecks) && allPassing(inst.serviceChecks))) continue;
          const entry = serviceEntry(inst);
          if (!filter || filter(entry)) out.push(entry);
        }
        const result = { value: out, index };
        this.memo.delete(memoKey);
        this.memo.set(memoKey, result);
        if (this.memo.size > MEMO_ENTRIES) this.memo.delete(this.memo.keys().next().value!);
        return sorted(result);
      },
      watch: (wake) => cat.watchService(service, wake),
    });
  }

  /**
   * Checks whose Status is `state` (`any`: all), by node then CheckID; BAD_REQUEST for another
   * state. Index and watch: the checks table (with `?node-meta`, also the nodes table).
   */
  async checksInState(state: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    if (!HEALTH_STATES.includes(state)) {
      throw new SextantError(ErrorCode.BadRequest, `Invalid check state ${JSON.stringify(state)}: must be one of any, passing, warning, critical`);
    }
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    const byMeta = hasNodeMeta(f);
    const tables: CatalogTableName[] = byMeta ? ['checks', 'nodes'] : ['checks'];
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value } = cat.allChecks();
        let metaOk: ((node: string) => boolean) | undefined;
        if (byMeta) {
          const ok = new Set(cat.nodes().value.filter((n) => matchesNodeMeta(n.Meta, f.nodeMeta)).map((n) => n.Node));
          metaOk = (n) => ok.has(n);
        }
        const out: HealthCheck[] = [];
        for (const c of value) {
          if (state !== 'any' && c.Status !== state) continue;
          if (metaOk && !metaOk(c.Node)) continue;
          const view = checkView(c);
          if (!filter || filter(view)) out.push(view);
        }
        return { value: sortNear(this.deps, opts, out, (c) => c.Node), index: cat.tableIndex(...tables) };
      },
      watch: (wake) => cat.watchTables(tables, wake),
    });
  }
}

function allPassing(checks: readonly HealthCheck[]): boolean {
  for (const c of checks) if (c.Status !== 'passing') return false;
  return true;
}
