import type { ServiceEntry, CatalogNode } from '../model/catalog.js';
import type { QueryOptions, QueryResult } from '../model/query.js';

/**
 * Resolver port: answers discovery questions for the surfaces (DNS, REST health endpoints)
 * with the index and leader metadata a blocking query needs.
 */

export interface ServiceQuery {
  service: string;
  /** All of these tags must be present (AND). */
  tags?: string[];
  /** Only instances whose every check is passing. */
  passingOnly?: boolean;
  /** Datacenter; undefined means the agent's own. */
  datacenter?: string;
}

export interface Resolver {
  /** Healthy-first instances of a service. Blocks per `opts` until the service's own index moves. */
  serviceInstances(q: ServiceQuery, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>>;
  /** A node by name, or null when unknown. */
  node(name: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode | null>>;
  /** The datacenters this agent knows, its own first. */
  datacenters(): Promise<string[]>;
}
