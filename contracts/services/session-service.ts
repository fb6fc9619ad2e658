import type { QueryOptions, QueryResult, RequestContext } from '../model/query.js';
import type { Session, SessionCreateRequest } from '../model/session.js';

/**
 * Sessions as surfaces use them (Consul's Session RPC endpoint). Writes are Raft commands the
 * leader commits; reads are served from the local state machine in the requested consistency
 * and block per QueryOptions (index: the sessions table's). TTL sessions are invalidated by
 * the leader when TTL × 2 passes without a renew.
 */
export interface SessionApi {
  /**
   * Creates a session and resolves with its ID. Defaults: Node = this agent's node,
   * NodeChecks = ["serfHealth"], LockDelay = 15 s, Behavior = release, no TTL. Rejects with
   * BAD_REQUEST for an unparsable LockDelay (`Request decode failed: …`) and SESSION_REJECTED
   * with Consul's text for a bad Behavior or TTL, an unknown node, an unknown check or a
   * critical check.
   */
  create(req: SessionCreateRequest, ctx?: RequestContext): Promise<string>;
  /** Destroys (invalidates) session `id`; true even when it does not exist. BAD_REQUEST for a malformed ID. */
  destroy(id: string, ctx?: RequestContext): Promise<boolean>;
  /** Renews session `id`'s TTL; resolves with the session, or null when it does not exist (404). */
  renew(id: string, ctx?: RequestContext): Promise<Session | null>;
  /** `[session]` or `[]`. Blocking-capable; watches that session. */
  info(id: string, opts: QueryOptions): Promise<QueryResult<Session[]>>;
  /** Sessions of `node` (by ID). Blocking-capable; watches that node's sessions. */
  node(node: string, opts: QueryOptions): Promise<QueryResult<Session[]>>;
  /** Every session (by ID). Blocking-capable; watches the sessions table. */
  list(opts: QueryOptions): Promise<QueryResult<Session[]>>;
}
