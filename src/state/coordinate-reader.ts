import type { NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { KvRead } from './kv-reader.js';
import type { WakeReason, WatchHandle } from './watch-registry.js';

/**
 * The read side of the coordinates table (Consul's agent/consul/state/coordinate.go): what the
 * Coordinate endpoint and the `?near` sort may use. Rows are frozen and shared with the table.
 * Node names and segments match case-insensitively, as Consul's lower-cased memdb indexes do.
 * Every read reports the table's index (Consul's "coordinates" index).
 */
export interface CoordinateReader {
  /** Every coordinate, by node then segment. Index: the coordinates table. */
  list(): KvRead<readonly NodeCoordinate[]>;
  /** The coordinates of `node`, by segment (empty when it has none). Index: the coordinates table. */
  forNode(node: string): KvRead<readonly NodeCoordinate[]>;
  /** The highest index at which a batch was applied or a node's coordinates were deleted (min 1). */
  tableIndex(): number;
  /** Parks a one-shot watcher on any change of the table. */
  watchTable(fn: (reason: WakeReason) => void): WatchHandle;
  /** Parks a one-shot watcher on the coordinates of `node`. */
  watchNode(node: string, fn: (reason: WakeReason) => void): WatchHandle;
  /** Number of parked watchers. */
  watcherCount(): number;
}
