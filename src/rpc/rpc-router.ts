import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { QueryOptions, RequestContext } from '../../contracts/model/query.js';
import { StreamProtocol, type StreamTransport } from '../../contracts/ports/transport.js';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { checkDatacenter } from './datacenter-check.js';
import { unknownMethod, type MethodTable } from './method-table.js';
import { decodeRpcReply, decodeRpcRequest, encodeRpcError, encodeRpcReply, encodeRpcRequest } from './rpc-codec.js';
import { RPC_IS_READ, type RpcArgs, type RpcKind, type RpcName, type RpcReply } from './rpc-schema.js';
import type { ServerPool } from './server-pool.js';

/** Consul's rpc_hold_timeout: how long a request waits for a leader (or a server) to appear. */
export const RPC_HOLD_TIMEOUT_MS = 7_000;
/** How often the forward step looks again for a leader while it holds a request. */
const HOLD_POLL_MS = 50;
/** Requests forwarded more often than this are refused (a loop during an election). */
const MAX_HOPS = 2;
/** Time a remote call may take beyond the blocking wait it carries. */
const REMOTE_SLACK_MS = 30_000;

/** What this agent is, for the forward step. */
export type RpcRole =
  /** A server: it answers from its own method table, forwarding to the leader when it must. */
  | { kind: 'server'; table: MethodTable; raft: Pick<RaftApi, 'isLeader' | 'leader'>; ownAddress: () => string }
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
}

const DEFAULT_CONTEXT: QueryOptions = Object.freeze({ minIndex: 0, waitMs: 0, consistency: 'default' });

/**
 * The RPC layer (Consul's agent RPC + server forward()): every service call goes through
 * `call(method, args, ctx)`, which runs ONE forward step first and then answers in-process or
 * over the transport:
 * 1. another datacenter → `No path to datacenter` (until datacenters exist);
 * 2. a client agent → a server of its pool (for a read, the next one when one cannot be
 *    reached, within rpc_hold_timeout; a write is never resent after a transport failure);
 * 3. on a server: `any` methods and stale reads → here; writes and default/consistent reads →
 *    here on the leader, else forwarded to the leader (held up to rpc_hold_timeout while no
 *    leader is known, then `No cluster leader`).
 * In-process calls pass their arguments and results by reference (no copy, no encoding), so the
 * single-server path costs one table look-up.
 */
export class RpcRouter {
  private readonly holdTimeoutMs: number;

  constructor(private readonly deps: RpcRouterDeps) {
    this.holdTimeoutMs = deps.holdTimeoutMs ?? RPC_HOLD_TIMEOUT_MS;
  }

  /** Calls `name` with `args` in the request's context; resolves with the reply or rejects with the endpoint's (or the forward step's) SextantError. */
  call<N extends RpcName>(name: N, args: RpcArgs<N>, ctx?: RequestContext | QueryOptions): Promise<RpcReply<N>> {
    return this.route(name, args, normalize(ctx), 0) as Promise<RpcReply<N>>;
  }

  /**
   * On a server: answers one request that arrived over the transport (stream protocol RPC).
   * Resolves with the encoded reply; a failure is encoded too (never rejects).
   */
  async serve(frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    try {
      const req = decodeRpcRequest(frame);
      const ctx: QueryOptions = { ...req.ctx, signal };
      return encodeRpcReply(await this.route(req.method as RpcName, req.args as never, ctx, req.hops));
    } catch (e) {
      return encodeRpcError(e);
    }
  }

  /** On a server: starts answering RPCs from other agents; returns the function that stops it. */
  listen(): () => void {
    return this.deps.streams.handle(StreamProtocol.Rpc, { onRequest: (_from, frame, signal) => this.serve(frame, signal) });
  }

  private async route(name: RpcName, args: unknown, ctx: QueryOptions, hops: number): Promise<unknown> {
    checkDatacenter(ctx.datacenter, this.deps.datacenter());
    const role = this.deps.role;
    if (role.kind === 'client') return this.toServers(role.servers, name, args, ctx, hops);
    const method = role.table.get(name);
    if (!method) throw unknownMethod(name);
    if (answersLocally(method.kind, ctx) || role.raft.isLeader()) return method.handler(args as never, ctx);
    return this.toLeader(role, name, args, ctx, hops);
  }

  /** Forwards to the leader, holding the request while no leader is known. */
  private async toLeader(role: Extract<RpcRole, { kind: 'server' }>, name: RpcName, args: unknown, ctx: QueryOptions, hops: number): Promise<unknown> {
    const deadline = this.deps.clock.now() + this.holdTimeoutMs;
    for (;;) {
      if (role.raft.isLeader()) return role.table.get(name)!.handler(args as never, ctx);
      const leader = role.raft.leader();
      if (leader && leader.address !== role.ownAddress()) {
        if (hops >= MAX_HOPS) throw new SextantError(ErrorCode.NotLeader, 'this server is not the raft leader', { leader: leader.address });
        return this.remote(leader.address, name, args, ctx, hops);
      }
      if (this.deps.clock.now() >= deadline || ctx.signal?.aborted) throw new SextantError(ErrorCode.NoLeader, 'No cluster leader');
      await this.pause(HOLD_POLL_MS);
    }
  }

  /** A client's call: the pool's servers in turn until one answers, within the hold timeout (a write only once: see RPC_IS_READ). */
  private async toServers(pool: ServerPool, name: RpcName, args: unknown, ctx: QueryOptions, hops: number): Promise<unknown> {
    const deadline = this.deps.clock.now() + this.holdTimeoutMs;
    let last: unknown;
    for (;;) {
      for (const addr of pool.candidates()) {
        try {
          const reply = await this.remote(addr, name, args, ctx, hops);
          pool.succeeded(addr);
          return reply;
        } catch (e) {
          if (!isSextantError(e, ErrorCode.TransportFailed) || ctx.signal?.aborted) throw e;
          pool.failedOn(addr);
          // Consul's canRetry: only a read is resent. A write may have been applied before the
          // connection broke; resending it could apply it twice (a cas would then answer false).
          if (!RPC_IS_READ[name]) throw e;
          this.deps.logger.warn('RPC failed to server, trying another', { server: addr, method: name, error: e.message });
          last = e;
        }
      }
      if (this.deps.clock.now() >= deadline || ctx.signal?.aborted) {
        if (last !== undefined) throw last;
        throw new SextantError(ErrorCode.NoServers, 'No known Consul servers');
      }
      await this.pause(HOLD_POLL_MS * 4);
    }
  }

  private async remote(addr: string, name: RpcName, args: unknown, ctx: QueryOptions, hops: number): Promise<unknown> {
    const blocking = ctx.minIndex > 0 ? ctx.waitMs + ctx.waitMs / 16 : 0;
    const frame = encodeRpcRequest(name, args, ctx, hops + 1);
    const signal = ctx.signal;
    const res = await this.deps.streams.request(addr, StreamProtocol.Rpc, frame, { timeoutMs: blocking + REMOTE_SLACK_MS, ...(signal ? { signal } : {}) });
    return decodeRpcReply(res);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, ms));
  }
}

/** True when a method of `kind` is answered by whichever server has it, in `ctx`'s consistency. */
export function answersLocally(kind: RpcKind, ctx: QueryOptions): boolean {
  return kind === 'any' || (kind === 'read' && ctx.consistency === 'stale');
}

function normalize(ctx: RequestContext | QueryOptions | undefined): QueryOptions {
  if (ctx === undefined) return DEFAULT_CONTEXT;
  if ('consistency' in ctx) return ctx as QueryOptions;
  return { ...DEFAULT_CONTEXT, ...ctx };
}
