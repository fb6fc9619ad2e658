import { isIP } from 'node:net';
import type { CatalogNode, ServiceEntry } from '../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Resolver, ServiceQuery } from '../../contracts/ports/resolver.js';
import type { WatchHandle } from '../state/watch-registry.js';
import { catalogRead, type CatalogEndpointDeps } from './catalog-read.js';
import { checkDatacenter } from './datacenter-check.js';
import { hasAllTags, serviceEntry, serviceView } from './catalog-views.js';

/** How many services' entries the resolver keeps built (least recently built evicted first). */
export const RESOLVER_CACHE_SERVICES = 1024;

interface CachedService {
  index: number;
  /** Every instance, health-ordered (passing, warning, critical), frozen. */
  entries: readonly ServiceEntry[];
  /** The passing-only subset, frozen; built on first use. */
  passing?: readonly ServiceEntry[];
  watch: WatchHandle;
}

const EMPTY: readonly ServiceEntry[] = Object.freeze([]);

/**
 * The kernel's Resolver: discovery reads over the local catalog (the state store's
 * CatalogReader) with the catalog endpoints' consistency and blocking rules. The entries of a
 * service are built once per change of that service and shared until its watch fires, so a hot
 * name (DNS) costs a map lookup; a call for unchanged data returns the same frozen array.
 */
export class CatalogResolver implements Resolver {
  private readonly cache = new Map<string, CachedService>();

  constructor(private readonly deps: CatalogEndpointDeps) {}

  /** Instances of `q.service` (tags AND-ed, case-insensitive), passing first, then warning, then critical. */
  async serviceInstances(q: ServiceQuery, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    this.checkDatacenter(q.datacenter);
    const cat = this.deps.store.catalog;
    const tags = q.tags ?? [];
    return catalogRead(this.deps, opts, {
      run: () => {
        const cached = this.built(q.service);
        let list = cached.entries;
        if (q.passingOnly) {
          cached.passing ??= Object.freeze(list.filter((e) => e.Checks.every((c) => c.Status === 'passing')));
          list = cached.passing;
        }
        if (tags.length > 0) list = list.filter((e) => hasAllTags(e.Service.Tags, tags));
        return { value: list as ServiceEntry[], index: cached.index };
      },
      watch: (wake) => cat.watchService(q.service, wake),
    });
  }

  /** A node by name (case-insensitive), or null. Index: max(nodes, services). */
  async node(name: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode | null>> {
    this.checkDatacenter(datacenter);
    const cat = this.deps.store.catalog;
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.node(name);
        return { value: value ? value.node : null, index };
      },
      watch: (wake) => cat.watchNode(name, wake),
    });
  }

  /** This agent's datacenter (the only one known until WAN federation exists). */
  async datacenters(): Promise<string[]> {
    return [this.deps.config.datacenter];
  }

  /** Nodes whose Address is the same IP as `ip`, by name. Index and watch: the nodes table. */
  async nodesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>> {
    this.checkDatacenter(datacenter);
    const cat = this.deps.store.catalog;
    const want = canonicalIp(ip);
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.nodes();
        if (want === undefined) return { value: [], index };
        return { value: value.filter((n) => canonicalIp(n.Address) === want), index };
      },
      watch: (wake) => cat.watchTables(['nodes'], wake),
    });
  }

  /** Instances whose service Address is the same IP as `ip`, by service then node. Index and watch: the services table. */
  async servicesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    this.checkDatacenter(datacenter);
    const cat = this.deps.store.catalog;
    const want = canonicalIp(ip);
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.allInstances();
        if (want === undefined) return { value: [], index };
        const out: ServiceEntry[] = [];
        for (const inst of value) {
          if (inst.service.Address !== '' && canonicalIp(inst.service.Address) === want) {
            out.push({ Node: inst.node, Service: serviceView(inst.service), Checks: [] });
          }
        }
        return { value: out, index };
      },
      watch: (wake) => cat.watchTables(['services'], wake),
    });
  }

  /** Drops every cached service and its watch (the agent is stopping). */
  close(): void {
    for (const c of this.cache.values()) c.watch.cancel();
    this.cache.clear();
  }

  /** DNS names are case-insensitive: so is the datacenter they name. */
  private checkDatacenter(dc: string | undefined): void {
    checkDatacenter(dc?.toLowerCase(), this.deps.config.datacenter.toLowerCase());
  }

  /** The service's entries, from the cache while its watch has not fired. */
  private built(service: string): CachedService {
    const key = service.toLowerCase();
    const hit = this.cache.get(key);
    if (hit) return hit;
    const cat = this.deps.store.catalog;
    const { value, index } = cat.serviceInstances(service);
    const entries: ServiceEntry[] = value.map(serviceEntry);
    entries.sort((a, b) => healthRank(a) - healthRank(b));
    const entry: CachedService = {
      index,
      entries: entries.length === 0 ? EMPTY : Object.freeze(entries),
      watch: cat.watchService(service, () => {
        if (this.cache.get(key) === entry) this.cache.delete(key);
      }),
    };
    if (this.cache.size >= RESOLVER_CACHE_SERVICES) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.get(oldest)?.watch.cancel();
      this.cache.delete(oldest);
    }
    this.cache.set(key, entry);
    return entry;
  }
}

/** 0 passing, 1 warning, 2 critical (or maintenance): Array.sort is stable, so node order is kept within a rank. */
export function healthRank(e: ServiceEntry): number {
  let r = 0;
  for (const c of e.Checks) {
    if (c.Status === 'warning') r = Math.max(r, 1);
    else if (c.Status !== 'passing') return 2;
  }
  return r;
}

/** A canonical text of an IP address (IPv6 fully expanded, lower-case), or undefined when `s` is not one. */
export function canonicalIp(s: string): string | undefined {
  const kind = isIP(s);
  if (kind === 4) return s;
  if (kind !== 6) return undefined;
  let text = s.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}
