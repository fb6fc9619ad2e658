import type { CatalogNode, CatalogService, CatalogServiceNode, DeregisterRequest, RegisterRequest, ServiceEntry } from '../model/catalog.js';
import type { HealthCheck } from '../model/health.js';
import type { QueryOptions, QueryResult, RequestContext } from '../model/query.js';

/** Filters the catalog and health reads accept (Consul's legacy params plus ?filter). */
export interface CatalogFilter {
  /** `?node-meta=k:v`, repeatable: all must match. */
  nodeMeta?: Record<string, string>;
  /** `?filter=` in Consul's expression language; a syntax error rejects with BAD_REQUEST. */
  filter?: string;
}

/**
 * The replicated catalog, as surfaces and the anti-entropy loop use it. Writes are Raft
 * commands (a write that changes nothing bumps no index and wakes nobody); reads block per
 * QueryOptions on exactly what they read (one service's instances, one node, or a table).
 */
export interface CatalogApi {
  /** Registers or updates a node and optionally one service and checks, atomically. Rejects with
   * BAD_REQUEST for a missing Node/Address or a check/service that does not belong together. */
  register(req: RegisterRequest, ctx?: RequestContext): Promise<void>;
  /** Removes a check, a service (with its checks), or a whole node (with everything on it). */
  deregister(req: DeregisterRequest, ctx?: RequestContext): Promise<void>;
  /** Known datacenters, the agent's own first. Works without a leader. */
  datacenters(ctx?: RequestContext): Promise<string[]>;
  /** All nodes, sorted by name. */
  nodes(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>>;
  /** Service name → union of tags (`{"consul": [], "web": ["rails"]}`). */
  services(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<Record<string, string[]>>>;
  /** Instances of a service, flattened; `tags` must all be present. Index: the service's own. */
  serviceNodes(service: string, tags: string[], f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<CatalogServiceNode[]>>;
  /** A node and its services, or null when the node is unknown. */
  nodeServices(node: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<{ Node: CatalogNode; Services: CatalogService[] } | null>>;
}

/** The health endpoints' reads. */
export interface HealthApi {
  /** Checks of a node (node-level and service-level). */
  nodeChecks(node: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>>;
  /** Checks of every instance of a service. */
  serviceChecks(service: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>>;
  /** `{Node, Service, Checks}` per instance, node checks included; `passingOnly` drops instances
   * with any non-passing check. Index: the service's own. Unknown service: []. */
  serviceHealth(service: string, q: { tags: string[]; passingOnly: boolean }, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>>;
  /** Checks in a state: `any`, `passing`, `warning` or `critical` (else BAD_REQUEST). */
  checksInState(state: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<HealthCheck[]>>;
}
