import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Session, SessionCreateRequest } from '../../contracts/model/session.js';
import type { Clock, Random } from '../../contracts/platform.js';
import type { SessionApi } from '../../contracts/services/session-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { Command } from '../state/command.js';
import { encodeCommand } from '../state/command-codec.js';
import type { SessionWriteResult } from '../state/session-command.js';
import type { SessionReader } from '../state/session-reader.js';
import { blockingQuery, type BlockingQuerySpec } from './blocking-query.js';
import type { BlockingWaitConfig } from './blocking-wait.js';
import { checkSessionId, normalizeSessionCreate } from './session-create-request.js';

/** Settings of a SessionEndpoint. */
export interface SessionEndpointConfig extends BlockingWaitConfig {
  /** This agent's node name: the default Node of a new session. */
  nodeName: string;
  /** Consul session_ttl_min: the shortest TTL accepted, in ms (10 s). */
  sessionTtlMinMs: number;
}

/** Constructor dependencies of a SessionEndpoint. */
export interface SessionEndpointDeps {
  /** The local replicated state (a StateStore); only its sessions read side is used. */
  store: { readonly sessions: SessionReader };
  /** Raft: read barriers, leader/contact meta, and proposals for writes. */
  raft: RaftApi;
  /** Stamps commands with the leader's time and times blocking queries out. */
  clock: Clock;
  /** Generates session IDs. */
  random: Random;
  config: SessionEndpointConfig;
}

interface PendingRenew {
  id: string;
  resolve: (found: boolean) => void;
  reject: (e: unknown) => void;
}

/**
 * The kernel's SessionApi (Consul's Session RPC endpoint). Create, destroy and renew are Raft
 * commands stamped with this server's clock (the leader's: proposals only succeed there), so
 * TTL deadlines and lock-delays are replicated values every server applies alike. Renews are
 * coalesced: while one renew command is in flight, the renews that arrive meanwhile wait and go
 * out together as the next command. Reads block on exactly what they read (one session, one
 * node's sessions, or the table) and report the sessions table's index, as Consul does.
 */
export class SessionEndpoint implements SessionApi {
  private renewQueue: PendingRenew[] = [];
  private renewInFlight = false;

  constructor(private readonly deps: SessionEndpointDeps) {}

  /** See SessionApi.create. The ID is a fresh random UUID not in use locally. */
  async create(req: SessionCreateRequest): Promise<string> {
    const { config, random, store } = this.deps;
    const { fields, ttlMs } = normalizeSessionCreate(req, { nodeName: config.nodeName, sessionTtlMinMs: config.sessionTtlMinMs });
    let id = random.uuid();
    while (store.sessions.get(id)) id = random.uuid();
    const result = (await this.propose({ type: 'session.create', session: { ID: id, ...fields }, ttlMs, now: this.deps.clock.now() })) as SessionWriteResult;
    if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') {
      throw new SextantError(ErrorCode.Internal, 'session create answered an unexpected result');
    }
    if (!result.ok) throw new SextantError(ErrorCode.SessionRejected, result.error);
    return id;
  }

  /** See SessionApi.destroy. */
  async destroy(id: string): Promise<boolean> {
    if (id === '') throw new SextantError(ErrorCode.BadRequest, 'Missing session');
    checkSessionId(id);
    await this.propose({ type: 'session.destroy', id, now: this.deps.clock.now() });
    return true;
  }

  /**
   * See SessionApi.renew. A TTL session's deadline moves to now + 2 × TTL through a (coalesced)
   * Raft command; a session without TTL is answered after a leader read barrier, unchanged.
   */
  async renew(id: string): Promise<Session | null> {
    if (id === '') throw new SextantError(ErrorCode.BadRequest, 'Missing session');
    checkSessionId(id);
    const sessions = this.deps.store.sessions;
    const known = sessions.get(id);
    if (known && known.ttlMs === 0) {
      await this.deps.raft.readBarrier('default');
      return sessions.get(id)?.view ?? null;
    }
    const found = await this.queueRenew(id);
    return found ? (sessions.get(id)?.view ?? null) : null;
  }

  /** See SessionApi.info. */
  async info(id: string, opts: QueryOptions): Promise<QueryResult<Session[]>> {
    if (id === '') throw new SextantError(ErrorCode.BadRequest, 'Missing session');
    checkSessionId(id);
    const s = this.deps.store.sessions;
    return this.read(opts, { run: () => s.info(id), watch: (wake) => s.watchSession(id, wake) });
  }

  /** See SessionApi.node. */
  async node(node: string, opts: QueryOptions): Promise<QueryResult<Session[]>> {
    if (node === '') throw new SextantError(ErrorCode.BadRequest, 'Missing node name');
    const s = this.deps.store.sessions;
    return this.read(opts, { run: () => s.onNode(node), watch: (wake) => s.watchNode(node, wake) });
  }

  /** See SessionApi.list. */
  async list(opts: QueryOptions): Promise<QueryResult<Session[]>> {
    const s = this.deps.store.sessions;
    return this.read(opts, { run: () => s.list(), watch: (wake) => s.watchTable(wake) });
  }

  private queueRenew(id: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.renewQueue.push({ id, resolve, reject });
      if (!this.renewInFlight) void this.flushRenews();
    });
  }

  /** Sends the queued renews as one command; repeats while more arrived during the flight. */
  private async flushRenews(): Promise<void> {
    this.renewInFlight = true;
    try {
      while (this.renewQueue.length > 0) {
        const batch = this.renewQueue;
        this.renewQueue = [];
        const ids = [...new Set(batch.map((p) => p.id))];
        try {
          const found = (await this.propose({ type: 'session.renew', ids, now: this.deps.clock.now() })) as boolean[];
          if (!Array.isArray(found)) throw new SextantError(ErrorCode.Internal, 'session renew answered an unexpected result');
          const byId = new Map(ids.map((id, i) => [id, found[i] === true]));
          for (const p of batch) p.resolve(byId.get(p.id) ?? false);
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.renewInFlight = false;
    }
  }

  private propose(cmd: Command): Promise<unknown> {
    return this.deps.raft.propose(encodeCommand(cmd));
  }

  private read<T>(opts: QueryOptions, spec: BlockingQuerySpec<T>): Promise<QueryResult<T>> {
    const { config } = this.deps;
    const ceiling = config.maxQueryTimeMs + config.maxQueryTimeMs / 16;
    const waitMs = opts.waitMs > 0 ? Math.min(opts.waitMs, ceiling) : config.defaultQueryTimeMs;
    return blockingQuery(this.deps, { ...opts, waitMs }, spec);
  }
}
