/** Read consistency, as chosen by ?stale / ?consistent (default otherwise). */
export type Consistency = 'default' | 'stale' | 'consistent';

/**
 * Who asks, and of which datacenter (Consul's WriteRequest): parsed once by each surface (REST:
 * `?dc`, `?token`, `X-Consul-Token`, `Authorization: Bearer`; DNS: the name's datacenter; CLI:
 * `-datacenter`, `-token`, `CONSUL_HTTP_TOKEN`) and carried by every service call down to the
 * endpoint. The datacenter is checked in one place: the RPC layer's forward step.
 */
export interface RequestContext {
  /** The datacenter the request is for; absent or '' = this agent's own. */
  datacenter?: string;
  /** The ACL token the request carries; absent or '' = anonymous. Carried, not yet enforced. */
  token?: string;
}

/**
 * A read's context (Consul's QueryOptions): the request context plus consistency, blocking
 * index and wait, `?near` and `?filter`.
 */
export interface QueryOptions extends RequestContext {
  /** Return only once the result's index is greater than this (0: do not block). */
  minIndex: number;
  /** How long to block, in ms, before returning the unchanged result (already clamped and jittered). */
  waitMs: number;
  consistency: Consistency;
  /** `?max_stale`: the most a stale read's server may lag the leader, in ms (absent: no bound). */
  maxStaleMs?: number;
  /** `?near`: a node name (or `_agent`) results are sorted by distance from. */
  near?: string;
  /** `?filter`: an expression in Consul's filter language. */
  filter?: string;
  /** Aborts the wait when the client goes away; the read then resolves promptly. */
  signal?: AbortSignal;
}

/** Metadata every read answer carries (X-Consul-Index, -KnownLeader, -LastContact). */
export interface QueryMeta {
  /** Never 0. */
  index: number;
  knownLeader: boolean;
  /** Milliseconds since the last contact with the leader (0 on the leader). */
  lastContactMs: number;
  /** Set when the answer was read in another consistency than asked (a stale read older than max_stale, re-done on the leader: 'default'). */
  consistency?: Consistency;
}

export interface QueryResult<T> {
  value: T;
  meta: QueryMeta;
}
