import type { DatacenterMap, NodeCoordinate } from '../model/coordinate.js';
import type { QueryOptions, QueryResult, RequestContext } from '../model/query.js';

/**
 * Network coordinates as the catalog keeps them (Consul's Coordinate RPC endpoint): the agents
 * send their LAN coordinate with `update`; the servers batch the updates into the replicated
 * state; surfaces read them (`/v1/coordinate/*`, `sextant rtt`) and the catalog and health
 * reads sort by them (`?near`).
 */
export interface CoordinateApi {
  /**
   * Queues `req` (`{Node, Segment, Coord}`) for the next batch the leader writes (within
   * coordinate_update_period, 5 s); resolves once queued, not once written. Rejects with
   * COORDINATE_REJECTED `invalid coordinate` when a component is NaN or infinite and
   * `incompatible coordinate` when its dimensionality differs from the server's. A coordinate of
   * a node the catalog does not know is dropped when the batch is applied (Consul's rule).
   */
  update(req: NodeCoordinate, ctx?: RequestContext): Promise<void>;
  /** Every datacenter with its servers' WAN coordinates (this datacenter only, area "WAN"), by node name. Works without a leader. */
  datacenters(ctx?: RequestContext): Promise<DatacenterMap[]>;
  /** Every node's LAN coordinates, by node then segment; blocking on the coordinates table. */
  nodes(opts: QueryOptions): Promise<QueryResult<NodeCoordinate[]>>;
  /** The LAN coordinates of `node` (one per segment; empty when it has none); blocking on the coordinates table. */
  node(node: string, opts: QueryOptions): Promise<QueryResult<NodeCoordinate[]>>;
}
