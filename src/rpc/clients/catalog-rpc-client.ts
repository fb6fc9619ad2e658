import type { CatalogNode, CatalogService, CatalogServiceNode, DeregisterRequest, RegisterRequest } from '../../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult, RequestContext } from '../../../contracts/model/query.js';
import type { CatalogApi, CatalogFilter } from '../../../contracts/services/catalog-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** CatalogApi as the surfaces and anti-entropy see it on every agent: the Catalog RPCs. */
export class CatalogRpcClient implements CatalogApi {
  constructor(private readonly rpc: RpcCaller) {}

  /** Catalog.Register, routed to the body's Datacenter when the context names none (as Consul's parseDC leaves it). */
  async register(req: RegisterRequest, ctx?: RequestContext): Promise<void> {
    await this.rpc.call('Catalog.Register', { req }, routed(ctx, req.Datacenter));
  }

  /** Catalog.Deregister, routed like register. */
  async deregister(req: DeregisterRequest, ctx?: RequestContext): Promise<void> {
    await this.rpc.call('Catalog.Deregister', { req }, routed(ctx, req.Datacenter));
  }

  /** Catalog.ListDatacenters. */
  datacenters(ctx?: RequestContext): Promise<string[]> {
    return this.rpc.call('Catalog.ListDatacenters', {}, ctx);
  }

  /** Catalog.ListNodes. */
  nodes(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>> {
    return this.rpc.call('Catalog.ListNodes', { f }, opts);
  }

  /** Catalog.ListServices. */
  services(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<Record<string, string[]>>> {
    return this.rpc.call('Catalog.ListServices', { f }, opts);
  }

  /** Catalog.ServiceNodes. */
  serviceNodes(service: string, tags: string[], f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<CatalogServiceNode[]>> {
    return this.rpc.call('Catalog.ServiceNodes', { service, tags, f }, opts);
  }

  /** Catalog.NodeServices. */
  nodeServices(node: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<{ Node: CatalogNode; Services: CatalogService[] } | null>> {
    return this.rpc.call('Catalog.NodeServices', { node, f }, opts);
  }
}

/** The context, with `bodyDc` as its datacenter when it names none. */
function routed(ctx: RequestContext | undefined, bodyDc: unknown): RequestContext | undefined {
  if (ctx?.datacenter || typeof bodyDc !== 'string' || bodyDc === '') return ctx;
  return { ...ctx, datacenter: bodyDc };
}
