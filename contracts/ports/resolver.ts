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
  /**
   * Healthy-first instances of a service. Blocks per `opts` until the service's own index moves.
   * Each entry carries the node's and the instance's checks. An unknown datacenter rejects with
   * NO_PATH_TO_DATACENTER; an unknown service is `[]`. While the data is unchanged, repeated
   * calls may return the same (frozen) array, so callers may memoize on its identity.
   */
  serviceInstances(q: ServiceQuery, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>>;
  /** A node by name, or null when unknown. An unknown datacenter rejects with NO_PATH_TO_DATACENTER. */
  node(name: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode | null>>;
  /** The datacenters this agent knows, its own first. */
  datacenters(): Promise<string[]>;
  /**
   * Nodes whose Address is the IP `ip` (any textual form of the same IPv4/IPv6 address matches),
   * sorted by node name; [] when `ip` is not an IP address. Used for PTR answers.
   */
  nodesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>>;
  /**
   * Service instances whose own (service) Address is the IP `ip`, sorted by service name then
   * node name; the entries carry no checks. Used for PTR answers.
   */
  servicesByAddress(ip: string, datacenter: string | undefined, opts: QueryOptions): Promise<QueryResult<ServiceEntry[]>>;
  /**
   * The agent is stopping, after the surfaces that ask it have stopped: drops memoized answers
   * and the watches behind them. No other method is called after close. Idempotent; never throws.
   */
  close(): void;
}
