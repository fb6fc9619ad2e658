/** Read consistency, as chosen by ?stale / ?consistent (default otherwise). */
export type Consistency = 'default' | 'stale' | 'consistent';

/** Options every blocking-capable read accepts. */
export interface QueryOptions {
  /** Return only once the result's index is greater than this (0: do not block). */
  minIndex: number;
  /** How long to block, in ms, before returning the unchanged result (already clamped and jittered). */
  waitMs: number;
  consistency: Consistency;
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
}

export interface QueryResult<T> {
  value: T;
  meta: QueryMeta;
}
