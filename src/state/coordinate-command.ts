import type { NodeCoordinate } from '../../contracts/model/coordinate.js';

/**
 * The coordinates' replicated command (wire tag 66 in CommandTag; Consul's
 * CoordinateBatchUpdateType): one batch of LAN coordinate updates the leader gathered over a
 * coordinate_update_period (at most coordinate_update_batch_size of them).
 */
export interface CoordinateBatchUpdateCommand {
  type: 'coordinate.batch-update';
  /** The updates, each `{Node, Segment, Coord}`; the last one for a node and segment wins. */
  updates: NodeCoordinate[];
}
