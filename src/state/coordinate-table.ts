import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { NodeCoordinate } from '../../contracts/model/coordinate.js';
import { Coordinate } from '../gossip/coordinate/coordinate.js';
import type { CoordinateReader } from './coordinate-reader.js';
import type { KvRead } from './kv-reader.js';
import type { StateTxn, Undoable } from './state-txn.js';
import { WatchRegistry, type WakeReason, type WatchHandle } from './watch-registry.js';

/** Serialized form of the coordinates table inside a state snapshot. */
export interface CoordinateTableSnapshot {
  /** The table index. */
  index: number;
  /** Every row, by node then segment. */
  rows: NodeCoordinate[];
}

const TABLE_KEY = 't:coordinates';
const nodeKey = (node: string): string => `n:${node.toLowerCase()}`;
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Undo journal code of the table index (the row map is journaled by the transaction itself). */
const UNDO_INDEX = 0;
const EMPTY: readonly NodeCoordinate[] = Object.freeze([]);

/** True when every component of `c` is a finite number (serf's Coordinate.IsValid). */
export function isValidCoordinate(c: NodeCoordinate['Coord']): boolean {
  return Coordinate.fromJSON(c).isValid();
}

/**
 * The coordinates table of the replicated state (Consul's agent/consul/state/coordinate.go):
 * one LAN coordinate per node and network segment, one table index (Consul's "coordinates"
 * index), watchers of the table and of one node. Write methods are called only by the state
 * machine inside its StateTxn. A batch skips coordinates that are not valid and those of nodes
 * the catalog does not know (Consul drops them silently: coordinates are cleaned up with their
 * node) and moves the index even when it wrote nothing, as Consul's CoordinateBatchUpdate does.
 */
export class CoordinateTable implements CoordinateReader, Undoable {
  /** memdb's "id" index: lower-cased node → lower-cased segment → row. A node's map is replaced, never mutated, once stored. */
  private readonly rows = new Map<string, ReadonlyMap<string, NodeCoordinate>>();
  private index = 0;
  private sorted: readonly NodeCoordinate[] | undefined;
  private readonly watches: WatchRegistry;

  /**
   * @param tx the transaction every write runs in (the StateStore's).
   * @param onWatcherError told when a watcher callback throws (apply goes on).
   */
  constructor(
    private readonly tx: StateTxn,
    onWatcherError?: (e: unknown) => void,
  ) {
    this.watches = new WatchRegistry(onWatcherError);
  }

  // ---- writes (state machine only) ----

  /** Upserts `updates` at `idx` (Consul's CoordinateBatchUpdate); `nodeExists` tells which nodes the catalog has. */
  batchUpdate(idx: number, updates: readonly NodeCoordinate[], nodeExists: (node: string) => boolean): void {
    const keys = [TABLE_KEY];
    for (const u of updates) {
      if (!isValidCoordinate(u.Coord) || !nodeExists(u.Node)) continue;
      const node = u.Node.toLowerCase();
      const segments = new Map(this.rows.get(node));
      segments.set(u.Segment.toLowerCase(), freezeRow(u));
      this.tx.mapSet(this.rows, node, segments);
      keys.push(nodeKey(u.Node));
    }
    this.dropSorted();
    this.bump(idx);
    this.tx.defer(this.watches, keys, undefined);
  }

  /** Deletes every coordinate of `node` at `idx` (its catalog entry went away); nothing happens when it has none. */
  deleteNode(idx: number, node: string): void {
    if (!this.tx.mapDelete(this.rows, node.toLowerCase())) return;
    this.dropSorted();
    this.bump(idx);
    this.tx.defer(this.watches, [TABLE_KEY, nodeKey(node)], undefined);
  }

  // ---- reads ----

  /** See CoordinateReader.list. */
  list(): KvRead<readonly NodeCoordinate[]> {
    if (!this.sorted) {
      const out: NodeCoordinate[] = [];
      for (const node of [...this.rows.keys()].sort(byString)) out.push(...this.forNode(node).value);
      this.sorted = Object.freeze(out);
    }
    return { value: this.sorted, index: this.tableIndex() };
  }

  /** See CoordinateReader.forNode. */
  forNode(node: string): KvRead<readonly NodeCoordinate[]> {
    const segments = this.rows.get(node.toLowerCase());
    if (!segments) return { value: EMPTY, index: this.tableIndex() };
    return { value: [...segments.keys()].sort(byString).map((k) => segments.get(k)!), index: this.tableIndex() };
  }

  /** See CoordinateReader.tableIndex. */
  tableIndex(): number {
    return Math.max(1, this.index);
  }

  /** See CoordinateReader.watchTable. */
  watchTable(fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(TABLE_KEY, fn);
  }

  /** See CoordinateReader.watchNode. */
  watchNode(node: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(nodeKey(node), fn);
  }

  /** See CoordinateReader.watcherCount. */
  watcherCount(): number {
    return this.watches.count();
  }

  /** Wakes (and removes) every parked watcher with reason `reset` (the store is closing). */
  wakeWatchers(): void {
    this.watches.wakeAll();
  }

  // ---- snapshot ----

  /** The whole table, by node then segment. */
  toSnapshot(): CoordinateTableSnapshot {
    return { index: this.index, rows: [...this.list().value] };
  }

  /**
   * Replaces everything with `snap` (undefined = empty, for images written before coordinates)
   * and wakes every watcher with `reset`. Invalid coordinates are skipped, as Consul's restore
   * does. Throws STORAGE_CORRUPT (nothing changed) when the image is malformed.
   */
  load(snap: unknown): void {
    const parsed = parseSnapshot(snap);
    const fresh = new Map<string, Map<string, NodeCoordinate>>();
    for (const r of parsed.rows) {
      if (!isValidCoordinate(r.Coord)) continue;
      const node = r.Node.toLowerCase();
      let segments = fresh.get(node);
      if (!segments) fresh.set(node, (segments = new Map()));
      segments.set(r.Segment.toLowerCase(), freezeRow(r));
    }
    this.rows.clear();
    for (const [k, v] of fresh) this.rows.set(k, v);
    this.index = parsed.index;
    this.sorted = undefined;
    this.watches.wakeAll();
  }

  // ---- transaction ----

  /** See Undoable: puts back the table index (and drops the sorted view). */
  undoRecord(code: number, a: unknown): void {
    if (code !== UNDO_INDEX) throw new SextantError(ErrorCode.Internal, `unknown coordinates undo record ${code}`);
    this.index = a as number;
    this.sorted = undefined;
  }

  private bump(idx: number): void {
    this.tx.record(this, UNDO_INDEX, this.index, undefined);
    if (idx > this.index) this.index = idx;
  }

  private dropSorted(): void {
    this.sorted = undefined;
  }
}

/** A frozen copy of one row. */
function freezeRow(u: NodeCoordinate): NodeCoordinate {
  const c = u.Coord;
  return Object.freeze({ Node: u.Node, Segment: u.Segment, Coord: Object.freeze({ Vec: Object.freeze([...c.Vec]) as number[], Error: c.Error, Adjustment: c.Adjustment, Height: c.Height }) });
}

function parseSnapshot(snap: unknown): CoordinateTableSnapshot {
  if (snap === undefined || snap === null) return { index: 0, rows: [] };
  const bad = (what: string): SextantError => new SextantError(ErrorCode.StorageCorrupt, `corrupt coordinates snapshot: ${what}`);
  if (typeof snap !== 'object') throw bad('not a record');
  const s = snap as Record<string, unknown>;
  if (typeof s.index !== 'number' || !Number.isSafeInteger(s.index) || s.index < 0 || !Array.isArray(s.rows)) throw bad('missing index or rows');
  const rows: NodeCoordinate[] = [];
  for (const raw of s.rows as unknown[]) {
    const r = raw as Partial<NodeCoordinate> | null;
    if (typeof r !== 'object' || r === null || typeof r.Node !== 'string' || typeof r.Segment !== 'string') throw bad('a row has a bad Node or Segment');
    const c = r.Coord as Partial<NodeCoordinate['Coord']> | undefined;
    if (typeof c !== 'object' || c === null || !Array.isArray(c.Vec) || !c.Vec.every((x) => typeof x === 'number')
      || typeof c.Error !== 'number' || typeof c.Adjustment !== 'number' || typeof c.Height !== 'number') {
      throw bad(`the coordinate of node ${r.Node} is malformed`);
    }
    rows.push({ Node: r.Node, Segment: r.Segment, Coord: { Vec: c.Vec, Error: c.Error, Adjustment: c.Adjustment, Height: c.Height } });
  }
  return { index: s.index, rows };
}
