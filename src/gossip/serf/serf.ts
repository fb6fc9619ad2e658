/**
 * HashiCorp serf (serf/serf.go, delegate.go, event_delegate.go, conflict_delegate.go,
 * ping_delegate.go, query.go) on top of the memberlist engine, speaking serf's wire protocol so
 * Sextant nodes and `serf agent`s share one pool: Lamport clocks, join/leave intents, member
 * states alive/leaving/left/failed with serf's member events, reconnect and reaping, tombstones,
 * name-conflict resolution, user events with the event buffer, queries with acks, responses and
 * relays, the internal queries (keyring, conflict, ping), push/pull user state and Vivaldi
 * coordinates carried in acks. Time and randomness only through the Clock and Random ports.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Clock, Logger, Random, TimerHandle } from '../../../contracts/platform.js';
import { MemberStatus } from '../../../contracts/ports/membership.js';
import type { ConnectionTransport, PacketTransport } from '../../../contracts/ports/transport.js';
import { CoordinateClient } from '../coordinate/client.js';
import { defaultCoordinateConfig } from '../coordinate/config.js';
import type { Coordinate } from '../coordinate/coordinate.js';
import { TransmitLimitedQueue } from '../memberlist/broadcast-queue.js';
import { type Member as MlMember, parseAddress } from '../memberlist/member.js';
import { META_MAX_SIZE, Memberlist, type MemberlistConfig } from '../memberlist/memberlist.js';
import { LAN_TIMINGS } from '../memberlist/timing.js';
import { decodeCoordinatePayload, encodeCoordinatePayload } from './coordinate-payload.js';
import { handleInternalQuery, INTERNAL_QUERY_PREFIX } from './internal-queries.js';
import { ipToString, joinHostPort } from './ip.js';
import { KeyManager } from './key-manager.js';
import { LamportClock } from './lamport-clock.js';
import {
  type BufferedEvents,
  decodeConflictResponse,
  decodeFilter,
  decodeJoin,
  decodeLeave,
  decodePushPull,
  decodeQuery,
  decodeQueryResponse,
  decodeRelay,
  decodeUserEvent,
  encodeFilter,
  encodeJoin,
  encodeLeave,
  encodePushPull,
  encodeQuery,
  encodeQueryResponse,
  encodeRelay,
  encodeUserEvent,
  type JoinMessage,
  type LeaveMessage,
  QUERY_FLAG_ACK,
  QUERY_FLAG_NO_BROADCAST,
  type QueryMessage,
  type QueryResponseMessage,
  SerfMessageType,
  type UserEventMessage,
  type WireMember,
} from './messages.js';
import { QueryResponse } from './query-response.js';
import type { SerfSnapshot } from './serf-snapshot.js';
import { decodeTags, encodeTags } from './tags.js';

/** serf's ProtocolVersionMin / ProtocolVersionMax, and the version spoken (serf's default, Consul's). */
export const SERF_PROTOCOL_MIN = 2;
export const SERF_PROTOCOL_MAX = 5;
export const SERF_PROTOCOL_VERSION = 4;
/** serf's UserEventSizeLimit: the sane limit on a user event's name and payload. */
export const USER_EVENT_SANE_LIMIT = 9 * 1024;
/** serf's BroadcastTimeout. */
const BROADCAST_TIMEOUT_MS = 5000;
/** serf's RecentIntentTimeout. */
const RECENT_INTENT_TIMEOUT_MS = 5 * 60_000;
/** How often the member clock is recorded in the snapshot (serf's clockUpdateInterval). */
const CLOCK_UPDATE_INTERVAL_MS = 500;
/** serf's QueueCheckInterval and QueueDepthWarning; the queue limit is Consul's MinQueueDepth (4096) or 2 × members if more. */
const QUEUE_CHECK_INTERVAL_MS = 30_000;
const QUEUE_DEPTH_WARNING = 128;
const MIN_QUEUE_DEPTH = 4096;

/** Serf's settings; serf's defaults (Consul's where it differs: leave propagate delay 3s). */
export interface SerfConfig {
  nodeName: string;
  tags: Record<string, string>;
  /** memberlist settings (timings, keyring, advertiseAddress, enableCompression); name and vsn are set by Serf. */
  memberlist: Omit<MemberlistConfig, 'name' | 'vsn'>;
  /** How often a reconnect to a failed member is tried (serf 30s). */
  reconnectIntervalMs?: number;
  /** How long a failed member is kept before it is reaped (serf 24h; Consul passes 72h). */
  reconnectTimeoutMs?: number;
  /** How long a left member is kept as a tombstone (24h). */
  tombstoneTimeoutMs?: number;
  /** How often reaping runs (15s). */
  reapIntervalMs?: number;
  /** How long a leave waits after memberlist's leave for the news to spread (Consul's 3s; serf's own default is 1s). */
  leavePropagateDelayMs?: number;
  /** The size limit of a user event's name and payload, before and after encoding (512). */
  userEventSizeLimit?: number;
  /** The default query timeout is gossip interval × this × ceil(log10(N+1)) (16). */
  queryTimeoutMult?: number;
  /** Encoded size limits of a query response and of a query (1024 each). */
  queryResponseSizeLimit?: number;
  querySizeLimit?: number;
  /** Lamport times of user events (and queries) kept for de-duplication (serf's 512). */
  eventBuffer?: number;
  queryBuffer?: number;
  /** No Vivaldi coordinates (acks carry none). */
  disableCoordinates?: boolean;
  /** Called with the whole keyring (base64, primary first) after install/use/remove changed it (the lead persists local.keyring). */
  onKeyringChange?: (keys: string[]) => void;
}

/** What Serf runs on. */
export interface SerfDeps {
  clock: Clock;
  random: Random;
  logger: Logger;
  packets: PacketTransport;
  connections: ConnectionTransport;
  /** Records members and clocks for a restart (serf's snapshotter); recovered() is used at start. */
  snapshot?: SerfSnapshot;
}

/** A member of the pool as serf reports it (serf's Member). */
export interface SerfMember {
  name: string;
  /** The IP address. */
  addr: string;
  port: number;
  tags: Record<string, string>;
  /** MemberStatus: 1 alive, 2 leaving, 3 left, 4 failed. */
  status: number;
  protocolMin: number;
  protocolMax: number;
  protocolCur: number;
  delegateMin: number;
  delegateMax: number;
  delegateCur: number;
}

/** What Serf delivers to its listeners. */
export type SerfEvent =
  | { kind: 'member'; type: 'join' | 'leave' | 'failed' | 'update' | 'reap'; members: SerfMember[] }
  | { kind: 'user'; name: string; payload: Uint8Array; ltime: number; coalesce: boolean }
  | { kind: 'query'; name: string; payload: Uint8Array; ltime: number; sourceNode: string; respond(payload: Uint8Array): Promise<void> };

/** Query parameters (serf's QueryParam). */
export interface QueryParams {
  /** Only these nodes process the query. */
  filterNodes?: string[];
  /** Tag name → regular expression the node's tag must match. */
  filterTags?: Record<string, string>;
  requestAck?: boolean;
  /** How many other members also relay each response (0–255). */
  relayFactor?: number;
  /** Default: serf's DefaultQueryTimeout. */
  timeoutMs?: number;
}

/** What a query collected by its deadline. */
export interface QueryResult {
  acks: string[];
  responses: Array<{ from: string; payload: Uint8Array }>;
}

interface MemberState {
  member: SerfMember;
  /** Lamport time of the last join/leave intent. */
  statusLTime: number;
  /** Clock ms of the leave or failure (0: none). */
  leaveTime: number;
}

interface NodeIntent {
  type: 'join' | 'leave';
  wallTime: number;
  ltime: number;
}

type SerfState = 'alive' | 'leaving' | 'left' | 'shutdown';

const EMPTY = new Uint8Array(0);

/** One serf node. */
export class Serf {
  private readonly clock = new LamportClock();
  private readonly eventClock = new LamportClock();
  private readonly queryClock = new LamportClock();
  private readonly broadcasts: TransmitLimitedQueue;
  private readonly eventBroadcasts: TransmitLimitedQueue;
  private readonly queryBroadcasts: TransmitLimitedQueue;
  private readonly members_ = new Map<string, MemberState>();
  private failedMembers: MemberState[] = [];
  private leftMembers: MemberState[] = [];
  private readonly recentIntents = new Map<string, NodeIntent>();
  private readonly eventBuffer: Array<BufferedEvents | null>;
  private eventMinTime = 0;
  private eventJoinIgnore = false;
  private readonly queryBuffer: Array<{ ltime: number; ids: number[] } | null>;
  private queryMinTime = 0;
  private readonly queryResponses = new Map<number, QueryResponse>();
  private readonly listeners = new Set<(e: SerfEvent) => void>();
  private readonly timers: TimerHandle[] = [];
  private state: SerfState = 'alive';
  private leaving: Promise<void> | undefined;
  private tags: Record<string, string>;
  private readonly memberlist: Memberlist;
  private readonly keys: KeyManager;
  private readonly coordClient: CoordinateClient | undefined;
  private readonly coordCache = new Map<string, Coordinate>();
  private lastSnapshotClock = 0;
  private readonly cfg: Required<Omit<SerfConfig, 'onKeyringChange' | 'memberlist' | 'tags' | 'nodeName'>>;

  constructor(
    private readonly config: SerfConfig,
    private readonly deps: SerfDeps,
  ) {
    this.cfg = {
      reconnectIntervalMs: config.reconnectIntervalMs ?? 30_000,
      reconnectTimeoutMs: config.reconnectTimeoutMs ?? 24 * 3600_000,
      tombstoneTimeoutMs: config.tombstoneTimeoutMs ?? 24 * 3600_000,
      reapIntervalMs: config.reapIntervalMs ?? 15_000,
      leavePropagateDelayMs: config.leavePropagateDelayMs ?? 3000,
      userEventSizeLimit: config.userEventSizeLimit ?? 512,
      queryTimeoutMult: config.queryTimeoutMult ?? 16,
      queryResponseSizeLimit: config.queryResponseSizeLimit ?? 1024,
      querySizeLimit: config.querySizeLimit ?? 1024,
      eventBuffer: config.eventBuffer ?? 512,
      queryBuffer: config.queryBuffer ?? 512,
      disableCoordinates: config.disableCoordinates ?? false,
    };
    if (this.cfg.userEventSizeLimit > USER_EVENT_SANE_LIMIT) {
      throw new SextantError(ErrorCode.ConfigInvalid, `user event size limit exceeds limit of ${USER_EVENT_SANE_LIMIT} bytes`);
    }
    this.tags = { ...config.tags };
    if (encodeTags(this.tags, SERF_PROTOCOL_VERSION).length > META_MAX_SIZE) {
      throw new SextantError(ErrorCode.ConfigInvalid, `Encoded length of tags exceeds limit of ${META_MAX_SIZE} bytes`);
    }
    const retransmitMult = config.memberlist.retransmitMult ?? LAN_TIMINGS.retransmitMult;
    const numNodes = (): number => this.members_.size;
    this.broadcasts = new TransmitLimitedQueue(retransmitMult, numNodes);
    this.eventBroadcasts = new TransmitLimitedQueue(retransmitMult, numNodes);
    this.queryBroadcasts = new TransmitLimitedQueue(retransmitMult, numNodes);
    this.eventBuffer = new Array<BufferedEvents | null>(this.cfg.eventBuffer).fill(null);
    this.queryBuffer = new Array<{ ltime: number; ids: number[] } | null>(this.cfg.queryBuffer).fill(null);
    if (!this.cfg.disableCoordinates) {
      this.coordClient = new CoordinateClient(defaultCoordinateConfig(), deps.random);
      this.coordCache.set(config.nodeName, this.coordClient.getCoordinate());
    }
    this.clock.increment();
    this.eventClock.increment();
    this.queryClock.increment();
    this.memberlist = new Memberlist(
      { ...config.memberlist, name: config.nodeName, vsn: Uint8Array.from([1, 5, 2, SERF_PROTOCOL_MIN, SERF_PROTOCOL_MAX, SERF_PROTOCOL_VERSION]) },
      {
        clock: deps.clock,
        random: deps.random,
        logger: deps.logger,
        packets: deps.packets,
        connections: deps.connections,
        delegate: {
          nodeMeta: (limit) => {
            const meta = encodeTags(this.tags, SERF_PROTOCOL_VERSION);
            if (meta.length > limit) throw new SextantError(ErrorCode.ConfigInvalid, `Node tags exceed length limit of ${limit} bytes`);
            return meta;
          },
          notifyMsg: (msg) => this.notifyMsg(msg),
          getBroadcasts: (overhead, limit) => this.getBroadcasts(overhead, limit),
          localState: () => this.localState(),
          mergeRemoteState: (buf, join) => this.mergeRemoteState(buf, join),
          ...(this.coordClient
            ? {
                ackPayload: () => encodeCoordinatePayload(this.coordClient!.getCoordinate()),
                notifyPingComplete: (node: MlMember, rttMs: number, payload: Uint8Array | null) => this.notifyPingComplete(node, rttMs, payload),
              }
            : {}),
          notifyConflict: (existing, other) => this.handleNodeConflict(existing, other),
        },
        events: {
          onJoin: (n) => this.handleNodeJoin(n),
          onLeave: (n) => this.handleNodeLeave(n),
          onUpdate: (n) => this.handleNodeUpdate(n),
        },
      },
    );
    this.keys = new KeyManager({
      startInternalQuery: (name, payload, relayFactor) => this.startQuery(INTERNAL_QUERY_PREFIX + name, payload, { relayFactor }),
      numMembers: () => this.memberlist.numMembers(),
    });
  }

  // ---- lifecycle ----

  /** Starts memberlist (this node joins its own pool) and the reap/reconnect timers; with a snapshot, restores the clocks and tries to rejoin the members it recorded alive (in the background, as serf does). */
  async start(): Promise<void> {
    const { clock } = this.deps;
    const snap = this.deps.snapshot?.recovered();
    if (snap) {
      this.clock.witness(snap.lastClock);
      this.eventClock.witness(snap.lastEventClock);
      this.queryClock.witness(snap.lastQueryClock);
      this.eventMinTime = snap.lastEventClock + 1;
      this.queryMinTime = snap.lastQueryClock + 1;
    }
    await this.memberlist.start();
    this.timers.push(clock.setInterval(() => this.reap(), this.cfg.reapIntervalMs));
    this.timers.push(clock.setInterval(() => this.reconnect(), this.cfg.reconnectIntervalMs));
    this.timers.push(clock.setInterval(() => this.checkQueueDepth(), QUEUE_CHECK_INTERVAL_MS));
    if (this.deps.snapshot) {
      this.timers.push(clock.setInterval(() => this.snapshotClock(), CLOCK_UPDATE_INTERVAL_MS));
      const prev = (snap?.aliveNodes ?? []).filter((p) => p.name !== this.config.nodeName);
      if (prev.length > 0) void this.rejoin(prev);
    }
  }

  private async rejoin(prev: ReadonlyArray<{ readonly name: string; readonly addr: string }>): Promise<void> {
    for (const p of prev) {
      if (this.state === 'shutdown') return;
      this.deps.logger.info(`serf: Attempting re-join to previously known node: ${p.name}: ${p.addr}`);
      try {
        await this.memberlist.join([p.addr]);
        this.deps.logger.info(`serf: Re-joined to previously known node: ${p.name}: ${p.addr}`);
        return;
      } catch {
        // try the next one
      }
    }
    this.deps.logger.warn('serf: Failed to re-join any previously known node');
  }

  /**
   * Joins the pool through `addresses` (`host:port`, or `host` with our own port) as serf's Join:
   * memberlist push/pull with each, then our join intent is broadcast. `ignoreOld`: user events
   * sent before the join are not delivered. Resolves with how many were contacted; rejects with
   * JOIN_FAILED when none was (the message lists why), SHUTDOWN after leave or shutdown.
   */
  async join(addresses: readonly string[], ignoreOld: boolean): Promise<number> {
    if (this.state !== 'alive') throw new SextantError(ErrorCode.Shutdown, "Serf can't Join after Leave or Shutdown");
    const ownPort = parseAddress(this.localAddress()).port;
    if (ignoreOld) this.eventJoinIgnore = true;
    let num = 0;
    const errors: string[] = [];
    try {
      // memberlist's Join: each address in turn, counting those that answered a push/pull.
      for (const a of addresses) {
        const target = withDefaultPort(a, ownPort);
        try {
          num += await this.memberlist.join([target]);
        } catch (e) {
          errors.push(`Failed to join ${target}: ${(e as Error).message.replace(/^failed to join: [^:]*:\d+: /, '')}`);
        }
      }
    } finally {
      if (ignoreOld) this.eventJoinIgnore = false;
    }
    if (num === 0 && errors.length > 0) throw new SextantError(ErrorCode.JoinFailed, errors.join('; '));
    if (num > 0) this.broadcastJoin(this.clock.time());
    return num;
  }

  /**
   * Leaves gracefully (serf's Leave): our leave intent is broadcast (waiting until it was sent
   * out, at most serf's broadcast timeout), memberlist leaves, then the leave propagate delay
   * passes. The pool sees this node `left`. Idempotent (a second call waits for the first).
   */
  leave(): Promise<void> {
    if (this.state === 'left') return Promise.resolve();
    if (this.state === 'shutdown') return Promise.reject(new SextantError(ErrorCode.Shutdown, 'Leave called after Shutdown'));
    if (this.leaving) return this.leaving;
    this.state = 'leaving';
    this.leaving = this.doLeave();
    return this.leaving;
  }

  private async doLeave(): Promise<void> {
    this.deps.snapshot?.leave();
    const msg: LeaveMessage = { ltime: this.clock.time(), node: this.config.nodeName, prune: false };
    this.clock.increment();
    this.handleNodeLeaveIntent(msg);
    if (this.hasAliveMembers()) {
      this.broadcasts.queue(encodeLeave(msg));
      if (!(await this.waitQueueDrained(this.broadcasts, BROADCAST_TIMEOUT_MS))) this.deps.logger.warn('serf: timeout while waiting for graceful leave');
    }
    await this.memberlist.leave(BROADCAST_TIMEOUT_MS);
    await this.sleep(this.cfg.leavePropagateDelayMs);
    if (this.state !== 'shutdown') this.state = 'left';
  }

  /** Stops everything without a leave (serf's Shutdown): timers, memberlist, transports, the snapshot. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.state === 'shutdown') return;
    if (this.state !== 'left') this.deps.logger.warn('serf: Shutdown without a Leave');
    this.state = 'shutdown';
    for (const t of this.timers.splice(0)) t.cancel();
    for (const q of this.queryResponses.values()) q.close();
    this.queryResponses.clear();
    this.snapshotClock();
    await this.memberlist.shutdown();
    await this.deps.snapshot?.close();
  }

  // ---- queries of state ----

  /** This node as a member (before start: as it will join). */
  localMember(): SerfMember {
    const ms = this.members_.get(this.config.nodeName);
    if (ms) return copyMember(ms.member);
    const { addr, port } = parseAddress(this.localAddress());
    return {
      name: this.config.nodeName,
      addr: ipToString(addr),
      port,
      tags: { ...this.tags },
      status: MemberStatus.Alive,
      protocolMin: 1,
      protocolMax: 5,
      protocolCur: 2,
      delegateMin: SERF_PROTOCOL_MIN,
      delegateMax: SERF_PROTOCOL_MAX,
      delegateCur: SERF_PROTOCOL_VERSION,
    };
  }

  /** Every known member (left and failed ones until reaped), sorted by name; fresh copies. */
  members(): SerfMember[] {
    return [...this.members_.values()].map((m) => copyMember(m.member)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The Lamport clocks (member, event, query): for tests and stats. */
  clocks(): { member: number; event: number; query: number } {
    return { member: this.clock.time(), event: this.eventClock.time(), query: this.queryClock.time() };
  }

  /** Calls `listener` for every event from now on, synchronously and in order; returns the unsubscribe function. A throwing listener is logged. */
  onEvent(listener: (e: SerfEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The key manager (keyring operations across the pool). */
  keyManager(): KeyManager {
    return this.keys;
  }

  /** Whether gossip is encrypted (memberlist has a keyring). */
  encryptionEnabled(): boolean {
    return this.config.memberlist.keyring !== undefined;
  }

  /** This node's network coordinate (a copy), undefined when coordinates are disabled. */
  getCoordinate(): Coordinate | undefined {
    return this.coordClient?.getCoordinate();
  }

  /** The last coordinate seen for `name` (ours included), undefined when unknown or disabled. */
  getCachedCoordinate(name: string): Coordinate | undefined {
    return this.coordCache.get(name)?.clone();
  }

  /** serf's Stats(): counts, clocks, queue depths, encryption and coordinate resets, as `consul info` shows them under serf_lan. */
  stats(): Record<string, string> {
    const out: Record<string, string> = {
      members: String(this.members_.size),
      failed: String(this.failedMembers.length),
      left: String(this.leftMembers.length),
      health_score: String(this.memberlist.healthScore()),
      member_time: String(this.clock.time()),
      event_time: String(this.eventClock.time()),
      query_time: String(this.queryClock.time()),
      intent_queue: String(this.broadcasts.numQueued()),
      event_queue: String(this.eventBroadcasts.numQueued()),
      query_queue: String(this.queryBroadcasts.numQueued()),
      encrypted: String(this.encryptionEnabled()),
    };
    if (this.coordClient) out.coordinate_resets = String(this.coordClient.stats().resets);
    return out;
  }

  /** memberlist's count of alive and suspect members. */
  numMembers(): number {
    return this.memberlist.numMembers();
  }

  // ---- actions ----

  /** Replaces our tags and tells the pool (memberlist re-advertises our meta; an `update` event). Rejects BAD_REQUEST when the encoded tags exceed 512 bytes. */
  async setTags(tags: Record<string, string>): Promise<void> {
    if (encodeTags(tags, SERF_PROTOCOL_VERSION).length > META_MAX_SIZE) {
      throw new SextantError(ErrorCode.BadRequest, `Encoded length of tags exceeds limit of ${META_MAX_SIZE} bytes`);
    }
    this.tags = { ...tags };
    this.memberlist.updateMeta();
  }

  /** Broadcasts a user event (delivered to us too). Rejects EVENT_REJECTED over the size limits, with serf's texts. */
  async userEvent(name: string, payload: Uint8Array, coalesce: boolean): Promise<void> {
    if (this.state === 'shutdown') throw new SextantError(ErrorCode.Shutdown, 'serf is shut down');
    const size = Buffer.byteLength(name) + payload.length;
    if (size > this.cfg.userEventSizeLimit) {
      throw new SextantError(ErrorCode.EventRejected, `user event exceeds configured limit of ${this.cfg.userEventSizeLimit} bytes before encoding`);
    }
    if (size > USER_EVENT_SANE_LIMIT) throw new SextantError(ErrorCode.EventRejected, `user event exceeds sane limit of ${USER_EVENT_SANE_LIMIT} bytes before encoding`);
    const msg: UserEventMessage = { ltime: this.eventClock.time(), name, payload, cc: coalesce };
    const raw = encodeUserEvent(msg);
    if (raw.length > this.cfg.userEventSizeLimit) {
      throw new SextantError(ErrorCode.EventRejected, `encoded user event exceeds configured limit of ${this.cfg.userEventSizeLimit} bytes after encoding`);
    }
    if (raw.length > USER_EVENT_SANE_LIMIT) throw new SextantError(ErrorCode.EventRejected, `encoded user event exceeds sane limit of ${USER_EVENT_SANE_LIMIT} bytes before encoding`);
    this.eventClock.increment();
    this.handleUserEvent(msg);
    this.eventBroadcasts.queue(raw);
  }

  /** serf's DefaultQueryTimeout: gossip interval × queryTimeoutMult × ceil(log10(N+1)), in ms. */
  defaultQueryTimeoutMs(): number {
    const n = this.memberlist.numMembers();
    const gossip = this.config.memberlist.gossipIntervalMs ?? LAN_TIMINGS.gossipIntervalMs;
    return gossip * this.cfg.queryTimeoutMult * Math.ceil(Math.log10(n + 1));
  }

  /** Sends a query to the pool and resolves with the acks and responses collected by its timeout. Rejects BAD_REQUEST when it exceeds the query size limit, SHUTDOWN once shut down. */
  async query(name: string, payload: Uint8Array, params: QueryParams = {}): Promise<QueryResult> {
    const resp = this.startQuery(name, payload, params);
    await new Promise<void>((r) => resp.onClose(r));
    return { acks: [...resp.acks], responses: resp.responses.map((x) => ({ from: x.from, payload: x.payload })) };
  }

  /** Starts a query and returns its collector (serf's Query). */
  startQuery(name: string, payload: Uint8Array, params: QueryParams = {}): QueryResponse {
    if (this.state === 'shutdown') throw new SextantError(ErrorCode.Shutdown, 'serf is shut down');
    const timeoutMs = params.timeoutMs && params.timeoutMs > 0 ? Math.ceil(params.timeoutMs) : this.defaultQueryTimeoutMs();
    const filters: Uint8Array[] = [];
    if (params.filterNodes && params.filterNodes.length > 0) filters.push(encodeFilter({ nodes: params.filterNodes }));
    for (const [tag, expr] of Object.entries(params.filterTags ?? {})) filters.push(encodeFilter({ tag, expr }));
    const local = parseAddress(this.localAddress());
    const q: QueryMessage = {
      ltime: this.queryClock.time(),
      id: this.deps.random.int(0x80000000),
      addr: local.addr,
      port: local.port,
      sourceNode: this.config.nodeName,
      filters: filters.length > 0 ? filters : null,
      flags: params.requestAck ? QUERY_FLAG_ACK : 0,
      relayFactor: Math.min(255, Math.max(0, Math.floor(params.relayFactor ?? 0))),
      timeoutNs: timeoutMs * 1e6,
      name,
      payload,
    };
    const raw = encodeQuery(q);
    if (raw.length > this.cfg.querySizeLimit) throw new SextantError(ErrorCode.BadRequest, `query exceeds limit of ${this.cfg.querySizeLimit} bytes`);
    const resp = new QueryResponse(q.id, q.ltime, this.deps.clock.now() + timeoutMs, params.requestAck ?? false);
    this.queryResponses.set(q.ltime, resp);
    this.deps.clock.setTimeout(() => {
      if (this.queryResponses.get(q.ltime) === resp) this.queryResponses.delete(q.ltime);
      resp.close();
    }, timeoutMs);
    this.handleQuery(q);
    this.queryBroadcasts.queue(raw);
    return resp;
  }

  /** Forces a failed (or, with `prune`, also a left) member out (serf's RemoveFailedNode[Prune]): a leave intent on its behalf. Rejects NOT_FOUND for an unknown member. */
  async removeFailedNode(name: string, prune: boolean): Promise<void> {
    if (!this.members_.has(name)) throw new SextantError(ErrorCode.NotFound, `node not found: ${name}`);
    const msg: LeaveMessage = { ltime: this.clock.time(), node: name, prune };
    this.clock.increment();
    this.handleNodeLeaveIntent(msg);
    if (!this.hasAliveMembers()) return;
    this.broadcasts.queue(encodeLeave(msg));
    if (!(await this.waitQueueDrained(this.broadcasts, BROADCAST_TIMEOUT_MS))) {
      throw new SextantError(ErrorCode.Timeout, 'timed out broadcasting node removal');
    }
  }

  // ---- helpers ----

  private localAddress(): string {
    const self = this.memberlist.members().find((m) => m.name === this.config.nodeName);
    return self?.address ?? this.config.memberlist.advertiseAddress ?? this.deps.packets.localAddress;
  }

  private emit(e: SerfEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.deps.logger.error('serf: an event listener threw', { error: (err as Error).message });
      }
    }
  }

  private memberEvent(type: 'join' | 'leave' | 'failed' | 'update' | 'reap', m: SerfMember): void {
    this.emit({ kind: 'member', type, members: [copyMember(m)] });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.deps.clock.setTimeout(r, ms));
  }

  private async waitQueueDrained(q: TransmitLimitedQueue, timeoutMs: number): Promise<boolean> {
    const deadline = this.deps.clock.now() + timeoutMs;
    const step = this.config.memberlist.gossipIntervalMs ?? LAN_TIMINGS.gossipIntervalMs;
    while (q.numQueued() > 0) {
      if (this.deps.clock.now() >= deadline || this.state === 'shutdown') return false;
      await this.sleep(step);
    }
    return true;
  }

  private hasAliveMembers(): boolean {
    for (const m of this.members_.values()) if (m.member.name !== this.config.nodeName && m.member.status === MemberStatus.Alive) return true;
    return false;
  }

  private broadcastJoin(ltime: number): void {
    const msg: JoinMessage = { ltime, node: this.config.nodeName };
    this.clock.witness(ltime);
    this.handleNodeJoinIntent(msg);
    this.broadcasts.queue(encodeJoin(msg));
  }

  private decodeTagsSafe(meta: Uint8Array): Record<string, string> {
    try {
      return decodeTags(meta);
    } catch (e) {
      this.deps.logger.error('serf: Failed to decode tags', { error: (e as Error).message });
      return {};
    }
  }

  private checkQueueDepth(): void {
    const max = Math.max(MIN_QUEUE_DEPTH, 2 * this.members_.size);
    for (const [name, q] of [['Intent', this.broadcasts], ['Event', this.eventBroadcasts], ['Query', this.queryBroadcasts]] as const) {
      const n = q.numQueued();
      if (n >= QUEUE_DEPTH_WARNING) this.deps.logger.warn(`serf: ${name} queue depth: ${n}`);
      if (n > max) {
        this.deps.logger.warn(`serf: ${name} queue depth (${n}) exceeds limit (${max}), dropping messages!`);
        q.prune(max);
      }
    }
  }

  /** Tells the snapshot the member clock's current time (it records time - 1, the last time seen, as serf's snapshotter does). */
  private snapshotClock(): void {
    const now = this.clock.time();
    if (now > this.lastSnapshotClock) {
      this.lastSnapshotClock = now;
      this.deps.snapshot?.updateClock(now);
    }
  }

  // ---- memberlist events (serf's eventDelegate) ----

  private handleNodeJoin(n: MlMember): void {
    let ms = this.members_.get(n.name);
    let oldStatus: number = MemberStatus.None;
    if (!ms) {
      ms = { member: { ...nodeToMember(n, this.decodeTagsSafe(n.meta)), status: MemberStatus.Alive }, statusLTime: 0, leaveTime: 0 };
      const intent = this.recentIntents.get(n.name);
      if (intent?.type === 'join') ms.statusLTime = intent.ltime;
      if (intent?.type === 'leave') {
        ms.member.status = MemberStatus.Leaving;
        ms.statusLTime = intent.ltime;
      }
      this.members_.set(n.name, ms);
    } else {
      oldStatus = ms.member.status;
      ms.member = { ...nodeToMember(n, this.decodeTagsSafe(n.meta)), status: MemberStatus.Alive };
      ms.leaveTime = 0;
    }
    if (oldStatus === MemberStatus.Failed || oldStatus === MemberStatus.Left) {
      this.failedMembers = this.failedMembers.filter((m) => m.member.name !== n.name);
      this.leftMembers = this.leftMembers.filter((m) => m.member.name !== n.name);
    }
    this.deps.logger.info(`serf: EventMemberJoin: ${ms.member.name} ${ms.member.addr}`);
    this.deps.snapshot?.memberAlive(ms.member.name, joinHostPort(n.addr, n.port));
    this.memberEvent('join', ms.member);
  }

  private handleNodeLeave(n: MlMember): void {
    const ms = this.members_.get(n.name);
    if (!ms) return;
    if (ms.member.status === MemberStatus.Leaving) {
      ms.member.status = MemberStatus.Left;
      ms.leaveTime = this.deps.clock.now();
      this.leftMembers.push(ms);
    } else if (ms.member.status === MemberStatus.Alive) {
      ms.member.status = MemberStatus.Failed;
      ms.leaveTime = this.deps.clock.now();
      this.failedMembers.push(ms);
    } else {
      this.deps.logger.warn(`serf: Bad state when leave: ${ms.member.status}`);
      return;
    }
    const left = ms.member.status === MemberStatus.Left;
    this.deps.logger.info(`serf: ${left ? 'EventMemberLeave' : 'EventMemberFailed'}: ${ms.member.name} ${ms.member.addr}`);
    this.deps.snapshot?.memberNotAlive(ms.member.name);
    this.memberEvent(left ? 'leave' : 'failed', ms.member);
  }

  private handleNodeUpdate(n: MlMember): void {
    const ms = this.members_.get(n.name);
    if (!ms) return;
    ms.member = { ...nodeToMember(n, this.decodeTagsSafe(n.meta)), status: ms.member.status };
    this.deps.logger.info(`serf: EventMemberUpdate: ${ms.member.name}`);
    this.memberEvent('update', ms.member);
  }

  // ---- intents ----

  private upsertIntent(node: string, type: 'join' | 'leave', ltime: number): boolean {
    const cur = this.recentIntents.get(node);
    if (!cur || ltime > cur.ltime) {
      this.recentIntents.set(node, { type, wallTime: this.deps.clock.now(), ltime });
      return true;
    }
    return false;
  }

  private handleNodeLeaveIntent(msg: LeaveMessage): boolean {
    this.clock.witness(msg.ltime);
    const ms = this.members_.get(msg.node);
    if (!ms) return this.upsertIntent(msg.node, 'leave', msg.ltime);
    if (msg.ltime <= ms.statusLTime) return false;
    if (msg.node === this.config.nodeName && this.state === 'alive') {
      this.deps.logger.debug('serf: Refuting an older leave intent');
      this.broadcastJoin(this.clock.time());
      return false;
    }
    ms.statusLTime = msg.ltime;
    switch (ms.member.status) {
      case MemberStatus.Alive:
        ms.member.status = MemberStatus.Leaving;
        if (msg.prune) this.handlePrune(ms);
        return true;
      case MemberStatus.Failed:
        ms.member.status = MemberStatus.Left;
        this.failedMembers = this.failedMembers.filter((m) => m !== ms);
        this.leftMembers.push(ms);
        this.deps.logger.info(`serf: EventMemberLeave (forced): ${ms.member.name} ${ms.member.addr}`);
        this.deps.snapshot?.memberNotAlive(ms.member.name);
        this.memberEvent('leave', ms.member);
        if (msg.prune) this.handlePrune(ms);
        return true;
      case MemberStatus.Leaving:
      case MemberStatus.Left:
        if (msg.prune) this.handlePrune(ms);
        return true;
      default:
        return false;
    }
  }

  private handlePrune(ms: MemberState): void {
    const erase = (): void => {
      if (this.members_.get(ms.member.name) !== ms) return;
      this.deps.logger.info(`serf: EventMemberReap (forced): ${ms.member.name} ${ms.member.addr}`);
      this.leftMembers = this.leftMembers.filter((m) => m !== ms);
      this.eraseNode(ms);
    };
    // A leaving member is given the time to finish its leave first (serf sleeps for it).
    if (ms.member.status === MemberStatus.Leaving) this.deps.clock.setTimeout(erase, BROADCAST_TIMEOUT_MS + this.cfg.leavePropagateDelayMs);
    else erase();
  }

  private handleNodeJoinIntent(msg: JoinMessage): boolean {
    this.clock.witness(msg.ltime);
    const ms = this.members_.get(msg.node);
    if (!ms) return this.upsertIntent(msg.node, 'join', msg.ltime);
    if (msg.ltime <= ms.statusLTime) return false;
    ms.statusLTime = msg.ltime;
    if (ms.member.status === MemberStatus.Leaving) ms.member.status = MemberStatus.Alive;
    return true;
  }

  // ---- user events and queries ----

  private handleUserEvent(msg: UserEventMessage): boolean {
    this.eventClock.witness(msg.ltime);
    if (msg.ltime < this.eventMinTime) return false;
    const cur = this.eventClock.time();
    const n = this.eventBuffer.length;
    if (cur > n && msg.ltime < cur - n) {
      this.deps.logger.warn(`serf: received old event ${msg.name} from time ${msg.ltime} (current: ${cur})`);
      return false;
    }
    const idx = msg.ltime % n;
    let seen = this.eventBuffer[idx] ?? null;
    const payload = msg.payload ?? EMPTY;
    if (seen && seen.ltime === msg.ltime) {
      if (seen.events.some((e) => e.name === msg.name && Buffer.from(e.payload ?? EMPTY).equals(Buffer.from(payload)))) return false;
    } else {
      seen = { ltime: msg.ltime, events: [] };
      this.eventBuffer[idx] = seen;
    }
    seen.events.push({ name: msg.name, payload: msg.payload });
    this.deps.snapshot?.updateEventClock(msg.ltime);
    this.emit({ kind: 'user', name: msg.name, payload, ltime: msg.ltime, coalesce: msg.cc });
    return true;
  }

  private handleQuery(q: QueryMessage): boolean {
    this.queryClock.witness(q.ltime);
    if (q.ltime < this.queryMinTime) return false;
    const cur = this.queryClock.time();
    const n = this.queryBuffer.length;
    if (cur > n && q.ltime < cur - n) {
      this.deps.logger.warn(`serf: received old query ${q.name} from time ${q.ltime} (current: ${cur})`);
      return false;
    }
    const idx = q.ltime % n;
    let seen = this.queryBuffer[idx] ?? null;
    if (seen && seen.ltime === q.ltime) {
      if (seen.ids.includes(q.id)) return false;
    } else {
      seen = { ltime: q.ltime, ids: [] };
      this.queryBuffer[idx] = seen;
    }
    seen.ids.push(q.id);
    const rebroadcast = (q.flags & QUERY_FLAG_NO_BROADCAST) === 0;
    if (!this.shouldProcessQuery(q.filters ?? [])) return rebroadcast;
    const dest = joinHostPort(q.addr, q.port);
    if ((q.flags & QUERY_FLAG_ACK) !== 0) {
      const ack: QueryResponseMessage = { ltime: q.ltime, id: q.id, from: this.config.nodeName, flags: QUERY_FLAG_ACK, payload: null };
      const raw = encodeQueryResponse(ack);
      this.memberlist.sendUser(dest, raw);
      this.relayResponse(q.relayFactor, q.addr, q.port, q.sourceNode, raw);
    }
    this.deps.snapshot?.updateQueryClock(q.ltime);
    const deadline = this.deps.clock.now() + q.timeoutNs / 1e6;
    let responded = false;
    const respondRaw = async (raw: Uint8Array): Promise<void> => {
      if (raw.length > this.cfg.queryResponseSizeLimit) throw new SextantError(ErrorCode.BadRequest, `response exceeds limit of ${this.cfg.queryResponseSizeLimit} bytes`);
      if (responded) throw new SextantError(ErrorCode.BadRequest, 'response already sent');
      if (this.deps.clock.now() > deadline) throw new SextantError(ErrorCode.Timeout, 'response is past the deadline');
      this.memberlist.sendUser(dest, raw);
      this.relayResponse(q.relayFactor, q.addr, q.port, q.sourceNode, raw);
      responded = true;
    };
    const createResponse = (payload: Uint8Array): QueryResponseMessage => ({ ltime: q.ltime, id: q.id, from: this.config.nodeName, flags: 0, payload });
    if (q.name.startsWith(INTERNAL_QUERY_PREFIX)) {
      void handleInternalQuery(
        {
          nodeName: this.config.nodeName,
          logger: this.deps.logger,
          keyring: this.config.memberlist.keyring,
          queryResponseSizeLimit: this.cfg.queryResponseSizeLimit,
          memberByName: (name) => this.wireMember(name),
          keyringChanged: () => this.keyringChanged(),
        },
        { name: q.name, payload: q.payload ?? EMPTY, createResponse, respondRaw: (raw) => respondRaw(raw) },
      );
    } else {
      this.emit({
        kind: 'query',
        name: q.name,
        payload: q.payload ?? EMPTY,
        ltime: q.ltime,
        sourceNode: q.sourceNode,
        respond: (payload) => respondRaw(encodeQueryResponse(createResponse(payload))),
      });
    }
    return rebroadcast;
  }

  private shouldProcessQuery(filters: Uint8Array[]): boolean {
    for (const raw of filters) {
      let f;
      try {
        f = decodeFilter(raw);
      } catch (e) {
        this.deps.logger.warn('serf: failed to decode query filter', { error: (e as Error).message });
        return false;
      }
      if ('nodes' in f) {
        if (!f.nodes.includes(this.config.nodeName)) return false;
      } else {
        let re: RegExp;
        try {
          re = new RegExp(f.expr);
        } catch (e) {
          this.deps.logger.warn(`serf: failed to compile filter regex (${f.expr}): ${(e as Error).message}`);
          return false;
        }
        if (!re.test(this.tags[f.tag] ?? '')) return false;
      }
    }
    return true;
  }

  /** Also sends a response through `relayFactor` random other alive members (serf's relayResponse). */
  private relayResponse(relayFactor: number, ip: Uint8Array | null, port: number, sourceNode: string, raw: Uint8Array): void {
    if (relayFactor === 0) return;
    const members = [...this.members_.values()].map((m) => m.member);
    if (members.length < relayFactor + 1) return;
    const relayed = encodeRelay({ destIp: ip, destPort: port, destName: sourceNode }, raw);
    if (relayed.length > this.cfg.queryResponseSizeLimit) {
      this.deps.logger.error(`serf: relayed response exceeds limit of ${this.cfg.queryResponseSizeLimit} bytes`);
      return;
    }
    const picked: SerfMember[] = [];
    for (let i = 0; i < 3 * members.length && picked.length < relayFactor; i++) {
      const m = members[this.deps.random.int(members.length)]!;
      if (m.status !== MemberStatus.Alive || m.protocolMax < 5 || m.name === this.config.nodeName) continue;
      if (picked.some((p) => p.name === m.name)) continue;
      picked.push(m);
    }
    for (const m of picked) this.memberlist.sendUser(`${m.addr.includes(':') ? `[${m.addr}]` : m.addr}:${m.port}`, relayed);
  }

  private handleQueryResponse(resp: QueryResponseMessage): void {
    const q = this.queryResponses.get(resp.ltime);
    if (!q) {
      this.deps.logger.warn(`serf: reply for non-running query (LTime: ${resp.ltime}, ID: ${resp.id}) From: ${resp.from}`);
      return;
    }
    if (q.id !== resp.id) {
      this.deps.logger.warn(`serf: query reply ID mismatch (Local: ${q.id}, Response: ${resp.id})`);
      return;
    }
    if (q.isClosed() || this.deps.clock.now() > q.deadline) return;
    if ((resp.flags & QUERY_FLAG_ACK) !== 0) q.addAck(resp.from);
    else q.addResponse({ from: resp.from, payload: resp.payload ?? EMPTY });
  }

  private wireMember(name: string): WireMember | null {
    const ms = this.members_.get(name);
    if (!ms) return null;
    const m = ms.member;
    return { ...m, addr: parseAddress(`${m.addr}:0`).addr, tags: { ...m.tags } };
  }

  private keyringChanged(): void {
    const keyring = this.config.memberlist.keyring;
    if (!keyring || !this.config.onKeyringChange) return;
    try {
      this.config.onKeyringChange(keyring.getKeys().map((k) => Buffer.from(k).toString('base64')));
    } catch (e) {
      this.deps.logger.error('serf: Failed to write keyring file', { error: (e as Error).message });
    }
  }

  // ---- name conflicts ----

  private handleNodeConflict(existing: MlMember, other: MlMember): void {
    if (existing.name !== this.config.nodeName) {
      this.deps.logger.warn(`serf: Name conflict for '${existing.name}' both ${existing.address} and ${other.address} are claiming`);
      return;
    }
    this.deps.logger.error(`serf: Node name conflicts with another node at ${other.address}. Names must be unique! (Resolution enabled: true)`);
    void this.resolveNodeConflict();
  }

  private async resolveNodeConflict(): Promise<void> {
    if (this.state === 'shutdown') return;
    const local = parseAddress(this.localAddress());
    let result: QueryResult;
    try {
      result = await this.query(INTERNAL_QUERY_PREFIX + 'conflict', new TextEncoder().encode(this.config.nodeName));
    } catch (e) {
      this.deps.logger.error(`serf: Failed to start name resolution query: ${(e as Error).message}`);
      return;
    }
    let responses = 0;
    let matching = 0;
    for (const r of result.responses) {
      if (r.payload.length < 1 || r.payload[0] !== SerfMessageType.ConflictResponse) {
        this.deps.logger.error('serf: Invalid conflict query response type');
        continue;
      }
      let member;
      try {
        member = decodeConflictResponse(r.payload);
      } catch (e) {
        this.deps.logger.error(`serf: Failed to decode conflict query response: ${(e as Error).message}`);
        continue;
      }
      responses++;
      if (ipToString(member.addr) === ipToString(local.addr) && member.port === local.port) matching++;
    }
    const majority = Math.floor(responses / 2) + 1;
    if (matching >= majority) {
      this.deps.logger.info(`serf: majority in name conflict resolution [${matching} / ${responses}]`);
      return;
    }
    this.deps.logger.warn(`serf: minority in name conflict resolution, quitting [${matching} / ${responses}]`);
    await this.shutdown();
  }

  // ---- reaping and reconnecting ----

  private eraseNode(ms: MemberState): void {
    this.members_.delete(ms.member.name);
    this.coordClient?.forgetNode(ms.member.name);
    this.coordCache.delete(ms.member.name);
    this.deps.snapshot?.memberNotAlive(ms.member.name);
    this.memberEvent('reap', ms.member);
  }

  private reap(): void {
    const now = this.deps.clock.now();
    const reapList = (list: MemberState[], timeout: number): MemberState[] =>
      list.filter((ms) => {
        if (now - ms.leaveTime <= timeout) return true;
        this.deps.logger.info(`serf: EventMemberReap: ${ms.member.name}`);
        this.eraseNode(ms);
        return false;
      });
    this.failedMembers = reapList(this.failedMembers, this.cfg.reconnectTimeoutMs);
    this.leftMembers = reapList(this.leftMembers, this.cfg.tombstoneTimeoutMs);
    for (const [node, intent] of this.recentIntents) if (now - intent.wallTime > RECENT_INTENT_TIMEOUT_MS) this.recentIntents.delete(node);
  }

  private reconnect(): void {
    const n = this.failedMembers.length;
    if (n === 0 || this.state !== 'alive') return;
    let numAlive = this.members_.size - this.failedMembers.length - this.leftMembers.length;
    if (numAlive === 0) numAlive = 1;
    if (this.deps.random.next() > n / numAlive) {
      this.deps.logger.debug('serf: forgoing reconnect for random throttling');
      return;
    }
    const mem = this.failedMembers[this.deps.random.int(n)]!.member;
    const addr = `${mem.addr.includes(':') ? `[${mem.addr}]` : mem.addr}:${mem.port}`;
    this.deps.logger.info(`serf: attempting reconnect to ${mem.name} ${addr}`);
    void this.memberlist.join([addr]).catch((e: Error) => this.deps.logger.debug('serf: reconnect failed', { node: mem.name, error: e.message }));
  }

  // ---- memberlist delegate ----

  private notifyMsg(buf: Uint8Array): void {
    if (buf.length === 0) return;
    let rebroadcast = false;
    let queue = this.broadcasts;
    try {
      switch (buf[0]) {
        case SerfMessageType.Leave:
          rebroadcast = this.handleNodeLeaveIntent(decodeLeave(buf));
          break;
        case SerfMessageType.Join:
          rebroadcast = this.handleNodeJoinIntent(decodeJoin(buf));
          break;
        case SerfMessageType.UserEvent:
          rebroadcast = this.handleUserEvent(decodeUserEvent(buf));
          queue = this.eventBroadcasts;
          break;
        case SerfMessageType.Query:
          rebroadcast = this.handleQuery(decodeQuery(buf));
          queue = this.queryBroadcasts;
          break;
        case SerfMessageType.QueryResponse:
          this.handleQueryResponse(decodeQueryResponse(buf));
          break;
        case SerfMessageType.Relay: {
          const { header, inner } = decodeRelay(buf);
          const dest = joinHostPort(header.destIp, header.destPort);
          this.deps.logger.debug(`serf: Relaying response to addr: ${dest}`);
          this.memberlist.sendUser(dest, inner);
          break;
        }
        default:
          this.deps.logger.warn(`serf: Received message of unknown type: ${buf[0]}`);
      }
    } catch (e) {
      this.deps.logger.error(`serf: Error decoding message type ${buf[0]}: ${(e as Error).message}`);
      return;
    }
    if (rebroadcast) queue.queue(buf.slice());
  }

  private getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const out = this.broadcasts.getBroadcasts(overhead, limit);
    let used = 0;
    for (const m of out) used += m.length + overhead;
    for (const q of [this.queryBroadcasts, this.eventBroadcasts]) {
      const more = q.getBroadcasts(overhead, limit - used);
      for (const m of more) used += m.length + overhead;
      out.push(...more);
    }
    return out;
  }

  private localState(): Uint8Array {
    const statusLTimes = new Map<string, number>();
    for (const [name, ms] of this.members_) statusLTimes.set(name, ms.statusLTime);
    return encodePushPull({
      ltime: this.clock.time(),
      statusLTimes,
      leftMembers: this.leftMembers.map((m) => m.member.name),
      eventLTime: this.eventClock.time(),
      events: this.eventBuffer,
      queryLTime: this.queryClock.time(),
    });
  }

  private mergeRemoteState(buf: Uint8Array, isJoin: boolean): void {
    if (buf.length === 0) {
      this.deps.logger.error('serf: Remote state is zero bytes');
      return;
    }
    if (buf[0] !== SerfMessageType.PushPull) {
      this.deps.logger.error(`serf: Remote state has bad type prefix: ${buf[0]}`);
      return;
    }
    let pp;
    try {
      pp = decodePushPull(buf);
    } catch (e) {
      this.deps.logger.error(`serf: Failed to decode remote state: ${(e as Error).message}`);
      return;
    }
    if (pp.ltime > 0) this.clock.witness(pp.ltime - 1);
    if (pp.eventLTime > 0) this.eventClock.witness(pp.eventLTime - 1);
    if (pp.queryLTime > 0) this.queryClock.witness(pp.queryLTime - 1);
    const left = new Set(pp.leftMembers);
    for (const name of pp.leftMembers) this.handleNodeLeaveIntent({ ltime: (pp.statusLTimes.get(name) ?? 0) + 1, node: name, prune: false });
    for (const [name, ltime] of pp.statusLTimes) if (!left.has(name)) this.handleNodeJoinIntent({ ltime, node: name });
    if (isJoin && this.eventJoinIgnore && pp.eventLTime > this.eventMinTime) this.eventMinTime = pp.eventLTime;
    for (const events of pp.events) {
      if (!events) continue;
      for (const e of events.events) this.handleUserEvent({ ltime: events.ltime, name: e.name, payload: e.payload, cc: false });
    }
  }

  private notifyPingComplete(node: MlMember, rttMs: number, payload: Uint8Array | null): void {
    const client = this.coordClient;
    if (!client || !payload || payload.length === 0) return;
    let coord: Coordinate;
    try {
      coord = decodeCoordinatePayload(payload);
    } catch (e) {
      this.deps.logger.error(`serf: ${(e as Error).message}`);
      return;
    }
    try {
      client.update(node.name, coord, rttMs / 1000);
    } catch (e) {
      this.deps.logger.trace(`serf: Rejected coordinate from ${node.name}: ${(e as Error).message}`);
      return;
    }
    this.coordCache.set(node.name, coord);
    this.coordCache.set(this.config.nodeName, client.getCoordinate());
  }
}

/** `addr` with `port` added when it has none (`host`, `ip`, `[v6]` or a bare IPv6 address). */
export function withDefaultPort(addr: string, port: number): string {
  if (addr.startsWith('[')) return /\]:\d+$/.test(addr) ? addr : `${addr}:${port}`;
  const colons = addr.split(':').length - 1;
  if (colons === 1) return addr;
  if (colons === 0) return `${addr}:${port}`;
  return `[${addr}]:${port}`;
}

function copyMember(m: SerfMember): SerfMember {
  return { ...m, tags: { ...m.tags } };
}

function nodeToMember(n: MlMember, tags: Record<string, string>): Omit<SerfMember, 'status'> {
  const v = n.vsn;
  return {
    name: n.name,
    addr: ipToString(n.addr),
    port: n.port,
    tags,
    protocolMin: v[0] ?? 0,
    protocolMax: v[1] ?? 0,
    protocolCur: v[2] ?? 0,
    delegateMin: v[3] ?? 0,
    delegateMax: v[4] ?? 0,
    delegateCur: v[5] ?? 0,
  };
}

