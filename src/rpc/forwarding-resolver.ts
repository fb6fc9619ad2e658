import type { CatalogNode, ServiceEntry } from '../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Resolver, ServiceQuery } from '../../contracts/ports/resolver.js';

/**
 * A server's Resolver: the local CatalogResolver (cached, in-process) when this server may
 * answer the read itself — this datacenter, and a stale read or this server leads — and the
 * RPC path otherwise (forwarded to the leader, or refused for another datacenter by the forward
 * step), so a follower forwards instead of failing.
 */
export class ForwardingResolver implements Resolver {
  constructor(
    private readonly local: Resolver,
    private readonly remote: Resolver,
    /** True when this server answers a read in `opts` for `datacenter` (undefined: this one). */
    private readonly answersHere: (opts: QueryOptions, datacenter: string | undefined) => boolean,
  ) {}

  /** See Resolver.serviceInstances. */
  serviceInstances(q: ServiceQuery, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    return this.pick(opts, q.datacenter).serviceInstances(q, opts);
  }

  /** See Resolver.node. */
  node(name: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode | null>> {
    return this.pick(opts, datacenter).node(name, datacenter, opts);
  }

  /** See Resolver.datacenters (answered here). */
  datacenters(): Promise<string[]> {
    return this.local.datacenters();
  }

  /** See Resolver.nodesByAddress. */
  nodesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>> {
    return this.pick(opts, datacenter).nodesByAddress(ip, datacenter, opts);
  }

  /** See Resolver.servicesByAddress. */
  servicesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    return this.pick(opts, datacenter).servicesByAddress(ip, datacenter, opts);
  }

  /** Closes both. */
  close(): void {
    this.local.close();
    this.remote.close();
  }

  private pick(opts: QueryOptions, datacenter: string | undefined): Resolver {
    return this.answersHere(opts, datacenter) ? this.local : this.remote;
  }
}
