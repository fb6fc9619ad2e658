import type { QueryOptions, QueryResult } from '../model/query.js';
import type { UiNodeInfo, UiServiceSummary } from '../model/ui-dump.js';
import type { CatalogFilter } from './catalog-service.js';

/**
 * The catalog dumps Consul's web UI reads (the Internal.ServiceDump and Internal.NodeDump RPCs
 * behind /v1/internal/ui/services and /v1/internal/ui/nodes): one blocking read per list. Both
 * block on the catalog's nodes, services and checks tables (any change to what they show).
 */
export interface InternalUiApi {
  /** Every service name with its roll-up, sorted by name. `?filter` sees each instance as `{Node, Service, Checks}`. */
  serviceSummaries(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<UiServiceSummary[]>>;
  /** Every node with its services and checks, sorted by name. `?filter` sees each UiNodeInfo. */
  nodeDump(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<UiNodeInfo[]>>;
}
