import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { DatacenterMap, NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import { MemberStatus, type Membership } from '../../contracts/ports/membership.js';
import type { CoordinateApi } from '../../contracts/services/coordinate-service.js';
import type { Clock } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { defaultCoordinateConfig } from '../gossip/coordinate/config.js';
import { Coordinate } from '../gossip/coordinate/coordinate.js';
import type { CoordinateReader } from '../state/coordinate-reader.js';
import { blockingQuery, type BlockingQuerySpec } from './blocking-query.js';
import type { BlockingWaitConfig } from './blocking-wait.js';
import type { CoordinateBatcher } from './coordinate-batcher.js';

/** What the Coordinate endpoint is built from. */
export interface CoordinateEndpointDeps {
  /** The local replicated state; only its coordinates read side is used. */
  store: { readonly coordinates: CoordinateReader };
  /** Raft: read barriers and leader/contact meta for the blocking reads. */
  raft: Pick<RaftApi, 'readBarrier' | 'leader' | 'lastContactMs'>;
  clock: Clock;
  /** Where accepted updates wait for the leader's next batch. */
  batcher: Pick<CoordinateBatcher, 'add'>;
  /** The LAN pool: this server's own coordinate (the dimensionality updates must match) and the servers for datacenters(). */
  membership: Pick<Membership, 'coordinate' | 'members' | 'localMember'>;
  config: BlockingWaitConfig & { datacenter: string };
}

/**
 * The kernel's CoordinateApi on a server (Consul's agent/consul/coordinate_endpoint.go):
 * Update validates and queues for the leader's batches (see CoordinateBatcher); ListNodes and
 * Node are blocking reads of the coordinates table; ListDatacenters lists this datacenter's
 * servers with their coordinates (there is no WAN pool yet: area "WAN", the servers' own
 * coordinates).
 */
export class CoordinateEndpoint implements CoordinateApi {
  constructor(private readonly deps: CoordinateEndpointDeps) {}

  /** Consul's Coordinate.Update: `invalid coordinate`, `incompatible coordinate`, else queued. */
  async update(req: NodeCoordinate): Promise<void> {
    let coord: Coordinate;
    try {
      coord = Coordinate.fromJSON(req.Coord);
    } catch {
      throw new SextantError(ErrorCode.CoordinateRejected, 'invalid coordinate');
    }
    if (!coord.isValid()) throw new SextantError(ErrorCode.CoordinateRejected, 'invalid coordinate');
    const own = this.deps.membership.coordinate();
    const dimensionality = own ? own.Vec.length : defaultCoordinateConfig().dimensionality;
    if (coord.vec.length !== dimensionality) throw new SextantError(ErrorCode.CoordinateRejected, 'incompatible coordinate');
    this.deps.batcher.add({ Node: String(req.Node ?? ''), Segment: String(req.Segment ?? ''), Coord: coord.toJSON() });
  }

  /**
   * Consul's Coordinate.ListDatacenters: this datacenter's alive servers with a coordinate, by
   * node name: the server's own from the pool for this agent, the replicated LAN coordinate for
   * the others.
   */
  async datacenters(): Promise<DatacenterMap[]> {
    const { membership, store, config } = this.deps;
    const self = membership.localMember().Name;
    const out: NodeCoordinate[] = [];
    for (const m of membership.members()) {
      if (m.Status !== MemberStatus.Alive || m.Tags['role'] !== 'consul' || m.Tags['dc'] !== config.datacenter) continue;
      const own = m.Name === self ? membership.coordinate() : undefined;
      const coord = own ?? store.coordinates.forNode(m.Name).value.find((c) => c.Segment === '')?.Coord;
      if (coord) out.push({ Node: m.Name, Segment: '', Coord: coord });
    }
    out.sort((a, b) => (a.Node < b.Node ? -1 : a.Node > b.Node ? 1 : 0));
    return [{ Datacenter: config.datacenter, AreaID: 'WAN', Coordinates: out }];
  }

  /** Consul's Coordinate.ListNodes: every coordinate, by node then segment; index and watch: the table. */
  nodes(opts: QueryOptions): Promise<QueryResult<NodeCoordinate[]>> {
    const coords = this.deps.store.coordinates;
    return this.read(opts, () => {
      const { value, index } = coords.list();
      return { value: [...value], index };
    }, (wake) => coords.watchTable(wake));
  }

  /** Consul's Coordinate.Node: `node`'s coordinates by segment (empty when none); index: the table; watch: that node. */
  node(node: string, opts: QueryOptions): Promise<QueryResult<NodeCoordinate[]>> {
    const coords = this.deps.store.coordinates;
    return this.read(opts, () => {
      const { value, index } = coords.forNode(node);
      return { value: [...value], index };
    }, (wake) => coords.watchNode(node, wake));
  }

  /** One blocking read, its wait bounded as catalogRead bounds it. */
  private read<T>(opts: QueryOptions, run: BlockingQuerySpec<T>['run'], watch: BlockingQuerySpec<T>['watch']): Promise<QueryResult<T>> {
    const { config } = this.deps;
    const ceiling = config.maxQueryTimeMs + config.maxQueryTimeMs / 16;
    const waitMs = opts.waitMs > 0 ? Math.min(opts.waitMs, ceiling) : config.defaultQueryTimeMs;
    return blockingQuery(this.deps, { ...opts, waitMs }, { run, watch });
  }
}
