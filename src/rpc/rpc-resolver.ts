import type { CatalogNode, ServiceEntry } from '../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Resolver, ServiceQuery } from '../../contracts/ports/resolver.js';
import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import { canonicalIp, healthRank } from './catalog-resolver.js';

/**
 * The Resolver answered through the Catalog and Health RPCs (Consul's DNS server does the same):
 * what a client agent's DNS uses, and what a server uses when the read must be answered by the
 * leader or another datacenter. Orders instances as the kernel's CatalogResolver does (passing,
 * then warning, then critical; node order within a rank).
 */
export class RpcResolver implements Resolver {
  constructor(private readonly deps: { catalog: CatalogApi; health: HealthApi }) {}

  /** Health.ServiceNodes, ranked by health. */
  async serviceInstances(q: ServiceQuery, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    const res = await this.deps.health.serviceHealth(q.service, { tags: q.tags ?? [], passingOnly: q.passingOnly === true }, {}, withDc(opts, q.datacenter));
    const ranked = [...res.value].sort((a, b) => healthRank(a) - healthRank(b));
    return { value: ranked, meta: res.meta };
  }

  /** Catalog.NodeServices, the node alone. */
  async node(name: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode | null>> {
    const res = await this.deps.catalog.nodeServices(name, {}, withDc(opts, datacenter));
    return { value: res.value ? res.value.Node : null, meta: res.meta };
  }

  /** Catalog.ListDatacenters. */
  datacenters(): Promise<string[]> {
    return this.deps.catalog.datacenters();
  }

  /** Catalog.ListNodes, those whose Address is the IP `ip`. */
  async nodesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>> {
    const res = await this.deps.catalog.nodes({}, withDc(opts, datacenter));
    const want = canonicalIp(ip);
    return { value: want === undefined ? [] : res.value.filter((n) => canonicalIp(n.Address) === want), meta: res.meta };
  }

  /** Catalog.ListServices, then each service's instances whose own Address is the IP `ip` (entries without checks). */
  async servicesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    const o = withDc({ ...opts, minIndex: 0 }, datacenter);
    const names = await this.deps.catalog.services({}, o);
    const want = canonicalIp(ip);
    const out: ServiceEntry[] = [];
    let index = names.meta.index;
    if (want !== undefined) {
      for (const name of Object.keys(names.value)) {
        const res = await this.deps.health.serviceHealth(name, { tags: [], passingOnly: false }, {}, o);
        index = Math.max(index, res.meta.index);
        for (const e of res.value) if (e.Service.Address !== '' && canonicalIp(e.Service.Address) === want) out.push({ ...e, Checks: [] });
      }
    }
    return { value: out, meta: { ...names.meta, index } };
  }

  /** Holds nothing. */
  close(): void {}
}

/** The read's context with the DNS name's datacenter (lower-cased: DNS names are case-insensitive). */
function withDc(opts: QueryOptions, datacenter: string | undefined): QueryOptions {
  return datacenter === undefined ? opts : { ...opts, datacenter: datacenter.toLowerCase() };
}
