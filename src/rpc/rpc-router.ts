import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { QueryOptions, QueryResult, RequestContext } from '../../contracts/model/query.js';
import { StreamProtocol, type StreamTransport } from '../../contracts/ports/transport.js';
import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { checkDatacenter } from './datacenter-check.js';
import { unknownMethod, type MethodTable } from './method-table.js';
import { decodeRpcReply, decodeRpcRequest, encodeRpcError, encodeRpcReply, encodeRpcRequest } from './rpc-codec.js';
import { RPC_IS_READ, type RpcArgs, type RpcKind, type RpcName, type RpcReply } from './rpc-schema.js';
import type { ServerPool } from './server-pool.js';

/** Consul's rpc_hold_timeout: how long a request waits for a leader (or a server) to appear. */
export const RPC_HOLD_TIMEOUT_MS = 7_000;
/** Consul's structs.JitterFraction: a retried request waits a random stagger below holdTimeout / 16. */
const JITTER_FRACTION = 16;
/** Requests forwarded more often than this are refused (a loop during an election). */
const MAX_HOPS = 2;
/** Time a remote call may take beyond the blocking wait it carries. */
const REMOTE_SLACK_MS = 30_000;

/**
 * The reads Consul's HTTP handlers re-do once on the leader when a stale answer is older than
 * `max_stale` (the `RETRY_ONCE` in agent/catalog_endpoint.go and agent/health_endpoint.go).
 * KV, session, txn and coordinate reads take `?max_stale` as plain `?stale`, as Consul's do.
 */
const REDONE_WHEN_TOO_STALE: ReadonlySet<RpcName> = new Set<RpcName>([
  'Catalog.ListNodes',
  'Catalog.ListServices',
  'Catalog.ServiceNodes',
  'Catalog.NodeServices',
  'Health.NodeChecks',
  'Health.ServiceChecks',
  'Health.ServiceNodes',
  'Health.ChecksInState',
]);

/** What this agent is, for the forward step. */
export type RpcRole =
  /** A server: it answers from its own method table, forwarding to the leader when it must. */
  | { kind: 'server'; table: MethodTable; raft: Pick<RaftApi, 'isLeader' | 'leader' | 'onLeaderChange'>; ownAddress: () => string }
  /** A client: it has no state and sends every request to a server of its pool. */
  | { kind: 'client'; servers: ServerPool };

/** What an RpcRouter is built from. */
export interface RpcRouterDeps {
  role: RpcRole;
  /** This agent's datacenter (live: it follows reloads). */
  datacenter: () => string;
  /** The stream plane calls go out on (and, on a server, come in on). */
  streams: Pick<StreamTransport, 'handle' | 'request'>;
  clock: Clock;
  logger: Logger;
  /** rpc_hold_timeout in ms (default 7 s). */
  holdTimeoutMs?: number;
  /** Draws the retry stagger (Consul's lib.RandomStagger); without it the stagger is half its bound. */
  random?: Random;
}

const DEFAULT_CONTEXT: QueryOptions = Object.freeze({ minIndex: 0, waitMs: 0, consistency: 'default' });

/**
 * The RPC layer (Consul's agent RPC + server ForwardRPC): every service call goes through
 * `call(method, args, ctx)`, which runs ONE forward step first and then answers in-process or
 * over the transport:
 * 1. another datacenter → `No path to datacenter` (until datacenters exist);
 * 2. a client agent → the first server of its pool (Consul's client.RPC): a server that fails is
 *    moved to the back of the pool; the request is tried again after a random stagger while it
 *    is safe (no leader, or a read whose connection broke, or a request that never left) and
 *    rpc_hold_timeout has not run out;
 * 3. on a server: `any` methods and stale reads → here; writes and default/consistent reads →
 *    here on the leader, else forwarded to the leader. While no leader is known (or the leader
 *    cannot be reached, or this server was deposed while answering a read) the request waits for
 *    the next leader change, up to rpc_hold_timeout, then fails with `No cluster leader`.
 * A stale catalog/health read whose X-Consul-LastContact exceeds `ctx.maxStaleMs` is re-done once
 * in default consistency (Consul's RETRY_ONCE). In-process calls pass their arguments and results
 * by reference (no copy, no encoding), so the single-server path costs one table look-up.
 */
export class RpcRouter {
  private readonly holdTimeoutMs: number;
  /** Set once this server left the pool (Consul's leaveCh): requests for the leader fail fast. */
  private leaving = false;

  constructor(private readonly deps: RpcRouterDeps) {
    this.holdTimeoutMs = deps.holdTimeoutMs ?? RPC_HOLD_TIMEOUT_MS;
  }

  /** Calls `name` with `args` in the request's context; resolves with the reply or rejects with the endpoint's (or the forward step's) SextantError. */
  call<N extends RpcName>(name: N, args: RpcArgs<N>, ctx?: RequestContext | QueryOptions): Promise<RpcReply<N>> {
    const opts = normalize(ctx);
    if (opts.consistency === 'stale' && (opts.maxStaleMs ?? 0) > 0 && REDONE_WHEN_TOO_STALE.has(name)) {
      return this.staleAtMost(name, args, opts) as Promise<RpcReply<N>>;
    }
    return this.route(name, args, opts, 0) as Promise<RpcReply<N>>;
  }

  /**
   * On a server: answers one request that arrived over the transport (stream protocol RPC).
   * Resolves with the encoded reply; a failure is encoded too (never rejects).
   */
  async serve(frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    try {
      const req = decodeRpcRequest(frame);
      const ctx: QueryOptions = { ...req.ctx, signal };
      const reply = await this.route(req.method as RpcName, req.args as never, ctx, req.hops);
      return encodeRpcReply(reply, this.knownLeader());
    } catch (e) {
      return encodeRpcError(e, this.knownLeader());
    }
  }

  /** The leader's RPC address as this server knows it (told to client agents in every reply). */
  private knownLeader(): string | undefined {
    const role = this.deps.role;
    if (role.kind !== 'server') return undefined;
    return role.raft.isLeader() ? role.ownAddress() : role.raft.leader()?.address;
  }

  /**
   * On a server that left the pool (Consul's close(leaveCh)): from now on every request that is
   * not answered locally fails at once with `No cluster leader`, so a client agent moves to
   * another server and retries there (canRetry) while this one drains.
   */
  startLeaving(): void {
    this.leaving = true;
  }

  /** On a server: starts answering RPCs from other agents; returns the function that stops it. */
  listen(): () => void {
    return this.deps.streams.handle(StreamProtocol.Rpc, { onRequest: (_from, frame, signal) => this.serve(frame, signal) });
  }

  /** Consul's `if AllowStale && MaxStaleDuration > 0 && MaxStaleDuration < LastContact → re-do without stale`. */
  private async staleAtMost(name: RpcName, args: unknown, opts: QueryOptions): Promise<unknown> {
    const reply = await this.route(name, args, opts, 0);
    const lastContact = (reply as Partial<QueryResult<unknown>> | null)?.meta?.lastContactMs;
    if (typeof lastContact !== 'number' || !(opts.maxStaleMs! < lastContact)) return reply;
    const { maxStaleMs: _dropped, ...rest } = opts;
    const again = (await this.route(name, args, { ...rest, consistency: 'default' }, 0)) as QueryResult<unknown>;
    return { ...again, meta: { ...again.meta, consistency: 'default' } };
  }

  private async route(name: RpcName, args: unknown, ctx: QueryOptions, hops: number): Promise<unknown> {
    checkDatacenter(ctx.datacenter, this.deps.datacenter());
    const role = this.deps.role;
    if (role.kind === 'client') return this.toServers(role.servers, name, args, ctx, hops);
    const method = role.table.get(name);
    if (!method) throw unknownMethod(name);
    if (answersLocally(method.kind, ctx)) return method.handler(args as never, ctx);
    if (this.leaving) throw new SextantError(ErrorCode.NoLeader, 'No cluster leader');
    if (role.raft.isLeader()) {
      // The common case stays one look-up; a leader deposed while answering a read goes on below.
      if (method.kind === 'write') return method.handler(args as never, ctx);
      return method.handler(args as never, ctx).catch((e: unknown) => {
        if (!lostLeadership(e)) throw e;
        return this.toLeader(role, method.kind, name, args, ctx, hops);
      });
    }
    return this.toLeader(role, method.kind, name, args, ctx, hops);
  }

  /**
   * Forwards to the leader (Consul's ForwardRPC CHECK_LEADER loop): answers here once this server
   * leads, sends to the known leader otherwise, and waits for the next leader change while no
   * leader is known or a retryable failure happened, until rpc_hold_timeout.
   */
  private async toLeader(
    role: Extract<RpcRole, { kind: 'server' }>,
    kind: RpcKind,
    name: RpcName,
    args: unknown,
    ctx: QueryOptions,
    hops: number,
  ): Promise<unknown> {
    const deadline = this.deps.clock.now() + this.holdTimeoutMs;
    for (;;) {
      const seen = leaderKey(role);
      let failure: unknown = new SextantError(ErrorCode.NoLeader, 'No cluster leader');
      let stagger = false;
      if (role.raft.isLeader()) {
        try {
          return await role.table.get(name)!.handler(args as never, ctx);
        } catch (e) {
          if (kind === 'write' || !lostLeadership(e)) throw e;
          failure = e;
        }
      } else {
        const leader = role.raft.leader();
        if (leader && leader.address !== role.ownAddress()) {
          if (hops >= MAX_HOPS) throw new SextantError(ErrorCode.NotLeader, 'this server is not the raft leader', { leader: leader.address });
          try {
            return await this.remote(leader.address, name, args, ctx, hops);
          } catch (e) {
            if (!canRetry(name, e)) throw e;
            this.deps.logger.debug('RPC to the leader failed, holding the request', { leader: leader.address, method: name, error: (e as Error).message });
            failure = e;
            stagger = true;
          }
        }
      }
      if (this.deps.clock.now() >= deadline || ctx.signal?.aborted) throw asNoLeader(failure);
      await this.leaderChange(role, seen, deadline, stagger ? this.stagger() : undefined, ctx.signal);
    }
  }

  /**
   * Resolves at the next leader change (at once when the leader already differs from `seen`), at
   * `deadline`, after `staggerMs` when given, or when `signal` aborts, whichever comes first.
   */
  private leaderChange(role: Extract<RpcRole, { kind: 'server' }>, seen: string, deadline: number, staggerMs: number | undefined, signal?: AbortSignal): Promise<void> {
    if (leaderKey(role) !== seen) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wait = Math.max(0, Math.min(deadline - this.deps.clock.now(), staggerMs ?? Infinity));
      const done = (): void => {
        off();
        timer.cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const off = role.raft.onLeaderChange(() => {
        if (leaderKey(role) !== seen) done();
      });
      const timer = this.deps.clock.setTimeout(done, wait);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * A client's call (Consul's client.RPC): the pool's first server, or for a request that ends on
   * the leader anyway (a write, a default or consistent read) the leader the servers named last;
   * on a failure the server goes to the back of the pool and, while canRetry allows, the request
   * is tried again after a stagger.
   */
  private async toServers(pool: ServerPool, name: RpcName, args: unknown, ctx: QueryOptions, hops: number): Promise<unknown> {
    const deadline = this.deps.clock.now() + this.holdTimeoutMs;
    const toLeader = !RPC_IS_READ[name] || ctx.consistency !== 'stale';
    const noteLeader = (addr: string | undefined): void => pool.noteLeader(addr);
    let last: unknown;
    for (;;) {
      const addr = toLeader ? pool.findLeader() : pool.find();
      if (addr !== undefined) {
        try {
          return await this.remote(addr, name, args, ctx, hops, noteLeader);
        } catch (e) {
          if (ctx.signal?.aborted) throw e;
          if (serverFailed(e)) {
            this.deps.logger.warn('RPC failed to server', { server: addr, method: name, error: (e as Error).message });
            pool.notifyFailed(addr);
          }
          if (!canRetry(name, e)) throw e;
          last = e;
        }
      }
      if (this.deps.clock.now() >= deadline || ctx.signal?.aborted) {
        if (last !== undefined) throw asNoLeader(last);
        throw new SextantError(ErrorCode.NoServers, 'No known Consul servers');
      }
      await this.pause(Math.min(this.stagger(), Math.max(0, deadline - this.deps.clock.now())));
    }
  }

  private async remote(
    addr: string,
    name: RpcName,
    args: unknown,
    ctx: QueryOptions,
    hops: number,
    onLeader?: (leader: string | undefined) => void,
  ): Promise<unknown> {
    const blocking = ctx.minIndex > 0 ? ctx.waitMs + ctx.waitMs / 16 : 0;
    const frame = encodeRpcRequest(name, args, ctx, hops + 1);
    const signal = ctx.signal;
    const res = await this.deps.streams.request(addr, StreamProtocol.Rpc, frame, { timeoutMs: blocking + REMOTE_SLACK_MS, ...(signal ? { signal } : {}) });
    return decodeRpcReply(res, onLeader);
  }

  /**
   * Consul's Pinger (Status.Ping): true when the server at `addr` answers a status RPC within
   * `timeoutMs`. The server pool's rebalance uses it.
   */
  async ping(addr: string, timeoutMs = 5_000): Promise<boolean> {
    try {
      const frame = encodeRpcRequest('Status.Leader', {}, DEFAULT_CONTEXT, MAX_HOPS);
      decodeRpcReply(await this.deps.streams.request(addr, StreamProtocol.Rpc, frame, { timeoutMs }));
      return true;
    } catch {
      return false;
    }
  }

  /** Consul's lib.RandomStagger(rpc_hold_timeout / JitterFraction), at least 1 ms. */
  private stagger(): number {
    const bound = Math.max(2, Math.floor(this.holdTimeoutMs / JITTER_FRACTION));
    return 1 + (this.deps.random ? this.deps.random.int(bound) : Math.floor(bound / 2));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, ms));
  }
}

/** True when a method of `kind` is answered by whichever server has it, in `ctx`'s consistency. */
export function answersLocally(kind: RpcKind, ctx: QueryOptions): boolean {
  return kind === 'any' || (kind === 'read' && ctx.consistency === 'stale');
}

/**
 * Consul's canRetry (agent/consul/rpc.go), plus one safe case: NO_LEADER (and NOT_LEADER from a
 * server that was deposed: nothing was applied) always; a read whose connection failed or timed
 * out; any request that never reached the server (the transport says `unsent`).
 */
export function canRetry(name: RpcName, e: unknown): boolean {
  if (isSextantError(e, ErrorCode.NoLeader) || isSextantError(e, ErrorCode.NotLeader)) return true;
  if (isSextantError(e, ErrorCode.TransportFailed) && e.details?.['unsent'] === true) return true;
  if (!RPC_IS_READ[name]) return false;
  return isSextantError(e, ErrorCode.TransportFailed) || isSextantError(e, ErrorCode.Timeout) || isSextantError(e, ErrorCode.LeadershipLost);
}

/** A failure that says the server (not the request) is at fault: Consul's NotifyFailedServer cases. */
function serverFailed(e: unknown): boolean {
  return isSextantError(e, ErrorCode.TransportFailed) || isSextantError(e, ErrorCode.Timeout) || isSextantError(e, ErrorCode.NoLeader);
}

/** A read barrier that failed because this server is (no longer) the leader. */
function lostLeadership(e: unknown): boolean {
  return isSextantError(e, ErrorCode.NotLeader) || isSextantError(e, ErrorCode.NoLeader) || isSextantError(e, ErrorCode.LeadershipLost);
}

/** What the hold answers once it runs out: Consul's `No cluster leader` for leader trouble, else the last failure. */
function asNoLeader(e: unknown): unknown {
  if (isSextantError(e, ErrorCode.NoLeader) || isSextantError(e, ErrorCode.NotLeader) || isSextantError(e, ErrorCode.LeadershipLost)) {
    return new SextantError(ErrorCode.NoLeader, 'No cluster leader');
  }
  return e;
}

/** Who leads, as this server sees it: changes exactly when a held request should look again. */
function leaderKey(role: Extract<RpcRole, { kind: 'server' }>): string {
  if (role.raft.isLeader()) return '\u0000self';
  return role.raft.leader()?.address ?? '';
}

function normalize(ctx: RequestContext | QueryOptions | undefined): QueryOptions {
  if (ctx === undefined) return DEFAULT_CONTEXT;
  if ('consistency' in ctx) return ctx as QueryOptions;
  return { ...DEFAULT_CONTEXT, ...ctx };
}
