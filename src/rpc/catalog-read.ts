import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Clock } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { CatalogReader } from '../state/catalog-reader.js';
import type { CoordinateReader } from '../state/coordinate-reader.js';
import { blockingQuery, type BlockingQuerySpec } from './blocking-query.js';
import type { BlockingWaitConfig } from './blocking-wait.js';

/** Settings of the catalog and health endpoints. */
export interface CatalogEndpointConfig extends BlockingWaitConfig {
  /** This agent's datacenter (Consul `datacenter`): filled into registrations and listed by datacenters(). */
  datacenter: string;
}

/** Constructor dependencies shared by CatalogEndpoint and HealthEndpoint. */
export interface CatalogEndpointDeps {
  /** The local replicated state (a StateStore): its catalog read side, and its coordinates for `?near` (absent: no sorting). */
  store: { readonly catalog: CatalogReader; readonly coordinates?: Pick<CoordinateReader, 'forNode'> };
  /** Raft: read barriers, leader/contact meta, and proposals for writes. */
  raft: RaftApi;
  /** Times blocking queries out. */
  clock: Clock;
  config: CatalogEndpointConfig;
}

/**
 * Runs one catalog read with the blocking-query loop, bounding a wait that arrived unclamped
 * (waitMs ≤ 0 → the default query time; above max + max/16 → that ceiling).
 */
export function catalogRead<T>(deps: CatalogEndpointDeps, opts: QueryOptions, spec: BlockingQuerySpec<T>): Promise<QueryResult<T>> {
  const { config } = deps;
  const ceiling = config.maxQueryTimeMs + config.maxQueryTimeMs / 16;
  const waitMs = opts.waitMs > 0 ? Math.min(opts.waitMs, ceiling) : config.defaultQueryTimeMs;
  return blockingQuery(deps, { ...opts, waitMs }, spec);
}
