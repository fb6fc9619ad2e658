import type { NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { QueryOptions } from '../../contracts/model/query.js';
import { Coordinate } from '../gossip/coordinate/coordinate.js';
import type { CoordinateReader } from '../state/coordinate-reader.js';

/** A node's coordinates by segment (Consul's lib.CoordinateSet). */
export type CoordinateSet = ReadonlyMap<string, NodeCoordinate['Coord']>;

/** The coordinates of `node` in `coords`, by segment. */
export function coordinateSetOf(coords: Pick<CoordinateReader, 'forNode'>, node: string): CoordinateSet {
  return new Map(coords.forNode(node).value.map((c) => [c.Segment, c.Coord]));
}

/**
 * Consul's CoordinateSet.Intersect: the pair of coordinates of `a` and `b` that can be
 * compared — in the default segment '', unless one side has exactly one segment (a client, which
 * lives in one segment only: its segment wins, the other side's single segment last). Either may
 * be undefined when there is no such pair.
 */
export function intersect(a: CoordinateSet, b: CoordinateSet): [NodeCoordinate['Coord'] | undefined, NodeCoordinate['Coord'] | undefined] {
  let segment = '';
  if (a.size === 1) segment = [...a.keys()][0]!;
  if (b.size === 1) segment = [...b.keys()][0]!;
  return [a.get(segment), b.get(segment)];
}

/**
 * The estimated RTT between two coordinates in seconds (Consul's computeDistance): +Infinity
 * when either is missing or they cannot be compared (different dimensionality).
 */
export function computeDistance(a: NodeCoordinate['Coord'] | undefined, b: NodeCoordinate['Coord'] | undefined): number {
  if (!a || !b) return Number.POSITIVE_INFINITY;
  const ca = Coordinate.fromJSON(a);
  const cb = Coordinate.fromJSON(b);
  if (!ca.isCompatibleWith(cb)) return Number.POSITIVE_INFINITY;
  return ca.distanceTo(cb);
}

/**
 * Consul's sortNodesByDistanceFrom for `?near=<node>`: sorts `items` in place, ascending by the
 * estimated RTT from `source` to each item's node (`nodeOf`), stably, items whose node has no
 * coordinate last. Nothing moves when there is no source, when the request is for another
 * datacenter (`sameDatacenter` false: coordinates cannot be compared across them) or when the
 * source node has no coordinate (an unknown node included). `_agent` must already be resolved to
 * the agent's node name by the surface (Consul's parseSource). Returns `items`.
 */
export function sortByDistance<T>(items: T[], nodeOf: (item: T) => string, source: string | undefined, coords: Pick<CoordinateReader, 'forNode'>, sameDatacenter = true): T[] {
  if (!source || !sameDatacenter || items.length < 2) return items;
  const from = coordinateSetOf(coords, source);
  if (from.size === 0) return items;
  const memo = new Map<string, number>();
  const distanceOf = (node: string): number => {
    const key = node.toLowerCase();
    let d = memo.get(key);
    if (d === undefined) {
      const [a, b] = intersect(from, coordinateSetOf(coords, node));
      d = computeDistance(a, b);
      memo.set(key, d);
    }
    return d;
  };
  const keyed = items.map((item, i) => ({ item, i, d: distanceOf(nodeOf(item)) }));
  keyed.sort((x, y) => (x.d < y.d ? -1 : x.d > y.d ? 1 : x.i - y.i));
  for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.item;
  return items;
}

/** What sortNear needs of an endpoint's dependencies. */
export interface NearSortDeps {
  store: { readonly coordinates?: Pick<CoordinateReader, 'forNode'> };
  config: { datacenter: string };
}

/**
 * Applies `opts.near` to a read's answer (see sortByDistance): a copy of `items` sorted by
 * distance from that node when the request is for this datacenter and coordinates exist;
 * `items` itself otherwise (so shared, memoized answers are never reordered in place).
 */
export function sortNear<T>(deps: NearSortDeps, opts: QueryOptions, items: T[], nodeOf: (item: T) => string): T[] {
  const coords = deps.store.coordinates;
  if (!opts.near || !coords || items.length < 2) return items;
  const dc = opts.datacenter;
  const sameDatacenter = dc === undefined || dc === '' || dc.toLowerCase() === deps.config.datacenter.toLowerCase();
  if (!sameDatacenter) return items;
  return sortByDistance([...items], nodeOf, opts.near, coords);
}
