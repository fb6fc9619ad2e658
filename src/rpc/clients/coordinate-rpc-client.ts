import type { DatacenterMap, NodeCoordinate } from '../../../contracts/model/coordinate.js';
import type { QueryOptions, QueryResult, RequestContext } from '../../../contracts/model/query.js';
import type { CoordinateApi } from '../../../contracts/services/coordinate-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** CoordinateApi as the surfaces and the agent's coordinate sync see it on every agent: the Coordinate RPCs. */
export class CoordinateRpcClient implements CoordinateApi {
  constructor(private readonly rpc: RpcCaller) {}

  /** Coordinate.Update (a write: forwarded to the leader, which batches it). */
  async update(req: NodeCoordinate, ctx?: RequestContext): Promise<void> {
    await this.rpc.call('Coordinate.Update', { req }, ctx);
  }

  /** Coordinate.ListDatacenters. */
  datacenters(ctx?: RequestContext): Promise<DatacenterMap[]> {
    return this.rpc.call('Coordinate.ListDatacenters', {}, ctx);
  }

  /** Coordinate.ListNodes. */
  nodes(opts: QueryOptions): Promise<QueryResult<NodeCoordinate[]>> {
    return this.rpc.call('Coordinate.ListNodes', {}, opts);
  }

  /** Coordinate.Node. */
  node(node: string, opts: QueryOptions): Promise<QueryResult<NodeCoordinate[]>> {
    return this.rpc.call('Coordinate.Node', { node }, opts);
  }
}
