import type { CatalogNode, CatalogService } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { KvRead } from './kv-reader.js';
import type { WakeReason, WatchHandle } from './watch-registry.js';

/** A catalog table whose index a read may report. */
export type CatalogTableName = 'nodes' | 'services' | 'checks';

/** One instance of a service: its node, the service, and the checks of both. */
export interface CatalogInstance {
  readonly node: CatalogNode;
  readonly service: CatalogService;
  /** The node's own checks (ServiceID ''), by CheckID; empty in allInstances(). */
  readonly nodeChecks: readonly HealthCheck[];
  /** The instance's checks, by CheckID; empty in allInstances(). */
  readonly serviceChecks: readonly HealthCheck[];
}

/**
 * The read side of the replicated catalog: what endpoints may use. Every record returned is
 * frozen and shared with the table. Node and service names are matched case-insensitively, as
 * Consul's indexes do. Indexes follow Consul: table indexes for table-wide reads, and a
 * per-service index for a service's instances and checks (bumped by that service's own changes
 * and by any change to a node it runs on: node fields or node checks).
 */
export interface CatalogReader {
  /** All nodes sorted by name. Index: the nodes table. */
  nodes(): KvRead<readonly CatalogNode[]>;
  /** A node and its services (by ID), or null. Index: max(nodes, services). */
  node(name: string): KvRead<{ node: CatalogNode; services: CatalogService[] } | null>;
  /** Every service instance, sorted by service name, node name, ID (no checks). Index: the services table. */
  allInstances(): KvRead<CatalogInstance[]>;
  /**
   * Instances of `service`, sorted by node name then service ID, each with its checks; the list
   * and its instances are frozen, and an unchanged instance is the same object from one read to
   * the next. Index: the service's own index; for an unknown service the index of the last
   * service that disappeared, else the catalog's highest table index.
   */
  serviceInstances(service: string): KvRead<readonly CatalogInstance[]>;
  /** The index serviceInstances(service) would report, without building the instances. */
  serviceIndexFor(service: string): number;
  /** The checks of `node` (node and service level), by CheckID. Index: the checks table. */
  nodeChecks(node: string): KvRead<HealthCheck[]>;
  /** The checks bound to instances of `service`, by node then CheckID. Index: as serviceInstances. */
  serviceChecks(service: string): KvRead<HealthCheck[]>;
  /** Check `checkId` (case-sensitive) on `node`, or undefined. */
  check(node: string, checkId: string): HealthCheck | undefined;
  /** Every check, by node then CheckID. Index: the checks table. */
  allChecks(): KvRead<HealthCheck[]>;
  /** The highest index of the named tables (min 1). */
  tableIndex(...tables: CatalogTableName[]): number;
  /** Parks a one-shot watcher on any write to one of the tables. */
  watchTables(tables: readonly CatalogTableName[], fn: (reason: WakeReason) => void): WatchHandle;
  /** Parks a one-shot watcher on `service`'s instances and their health (also wakes when it appears or disappears). */
  watchService(service: string, fn: (reason: WakeReason) => void): WatchHandle;
  /** Parks a one-shot watcher on `node`: its fields, services and checks. */
  watchNode(node: string, fn: (reason: WakeReason) => void): WatchHandle;
  /** Number of parked catalog watchers. */
  watcherCount(): number;
}
