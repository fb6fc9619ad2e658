/**
 * Sessions (Consul's structs.Session): a named lease bound to a node and some of its checks,
 * optionally with a TTL, that KV locks hang off. Invalidating a session releases (or deletes)
 * every key it holds and starts the lock-delay on those keys.
 */

/** What happens to the keys a session holds when it is invalidated. */
export type SessionBehavior = 'release' | 'delete';

/** A service check a session is bound to (Consul's structs.ServiceCheck). */
export interface SessionServiceCheck {
  ID: string;
  /** Always '' in the open-source API. */
  Namespace: string;
}

/**
 * Consul's Session JSON, as /v1/session/info, /node, /list and /renew answer it (Go field order).
 * `LockDelay` is in nanoseconds; `TTL` is the duration string the session was created with
 * ('' when it has none). `Checks` (deprecated since Consul 1.7) is present only when a client
 * created the session with a non-default legacy `Checks` list.
 */
export interface Session {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: SessionBehavior;
  TTL: string;
  /** Check IDs on the session's node; null when the client sent `"NodeChecks": null`. */
  NodeChecks: string[] | null;
  /** null when none were given (as Consul answers). */
  ServiceChecks: SessionServiceCheck[] | null;
  Checks?: string[];
  CreateIndex: number;
  ModifyIndex: number;
}

/**
 * The body of PUT /v1/session/create after case-insensitive field matching. Every field is
 * optional; a field that is present (even empty or null) replaces the default. `LockDelay` is a
 * Go duration string or a number of nanoseconds; either way a value under 1000 ns means seconds.
 */
export interface SessionCreateRequest {
  Name?: string;
  Node?: string;
  LockDelay?: string | number;
  Behavior?: string;
  TTL?: string;
  NodeChecks?: string[] | null;
  ServiceChecks?: SessionServiceCheck[] | null;
  /** Deprecated: pre-1.7 spelling of NodeChecks; an explicit list (even empty) replaces the default. */
  Checks?: string[] | null;
}
