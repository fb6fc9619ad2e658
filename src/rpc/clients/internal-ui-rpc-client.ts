import type { QueryOptions, QueryResult } from '../../../contracts/model/query.js';
import type { UiNodeInfo, UiServiceSummary } from '../../../contracts/model/ui-dump.js';
import type { CatalogFilter } from '../../../contracts/services/catalog-service.js';
import type { InternalUiApi } from '../../../contracts/services/internal-ui-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** InternalUiApi as the surfaces see it on every agent: the Internal.ServiceDump / Internal.NodeDump RPCs. */
export class InternalUiRpcClient implements InternalUiApi {
  constructor(private readonly rpc: RpcCaller) {}

  /** Internal.ServiceDump. */
  serviceSummaries(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<UiServiceSummary[]>> {
    return this.rpc.call('Internal.ServiceDump', { f }, opts);
  }

  /** Internal.NodeDump. */
  nodeDump(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<UiNodeInfo[]>> {
    return this.rpc.call('Internal.NodeDump', { f }, opts);
  }
}
