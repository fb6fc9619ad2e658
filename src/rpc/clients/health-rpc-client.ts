import type { ServiceEntry } from '../../../contracts/model/catalog.js';
import type { HealthCheck } from '../../../contracts/model/health.js';
import type { QueryOptions, QueryResult } from '../../../contracts/model/query.js';
import type { CatalogFilter, HealthApi } from '../../../contracts/services/catalog-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** HealthApi as the surfaces see it on every agent: the Health RPCs. */
export class HealthRpcClient implements HealthApi {
  constructor(private readonly rpc: RpcCaller) {}

  /** Health.NodeChecks. */
  nodeChecks(node: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    return this.rpc.call('Health.NodeChecks', { node, f }, opts);
  }

  /** Health.ServiceChecks. */
  serviceChecks(service: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    return this.rpc.call('Health.ServiceChecks', { service, f }, opts);
  }

  /** Health.ServiceNodes. */
  serviceHealth(service: string, q: { tags: string[]; passingOnly: boolean }, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>> {
    return this.rpc.call('Health.ServiceNodes', { service, tags: q.tags, passingOnly: q.passingOnly, f }, opts);
  }

  /** Health.ChecksInState. */
  checksInState(state: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    return this.rpc.call('Health.ChecksInState', { state, f }, opts);
  }
}
