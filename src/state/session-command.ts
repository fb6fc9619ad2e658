import type { SessionBehavior, SessionServiceCheck } from '../../contracts/model/session.js';

/**
 * The session commands (wire tags 32–35 in CommandTag) and the KV lock commands (7–8). Every
 * field is normalized by the endpoint before proposing (ID generated, defaults filled, TTL
 * parsed), and every command that needs the time carries the proposing leader's clock reading
 * `now` (ms since the epoch): applying one is a pure function of the state and the command.
 */

/** A session's own fields as a create command carries them (no indexes). */
export interface SessionFields {
  ID: string;
  Name: string;
  Node: string;
  /** Nanoseconds, as given (the 60 s cap applies when the lock-delay starts). */
  LockDelay: number;
  Behavior: SessionBehavior;
  /** The TTL string as the client sent it ('' = none). */
  TTL: string;
  NodeChecks: string[] | null;
  ServiceChecks: SessionServiceCheck[] | null;
  /** Deprecated pre-1.7 list; [] when not used. */
  Checks: string[];
}

/** Creates a session (refused, as a value, for an unknown node or check, or a critical check). */
export interface SessionCreateCommand {
  type: 'session.create';
  session: SessionFields;
  /** The parsed TTL in ms (0 = none); the session expires at now + 2 × ttlMs unless renewed. */
  ttlMs: number;
  now: number;
}

/** Invalidates a session (true even when absent); its keys are released or deleted, lock-delay from `now`. */
export interface SessionDestroyCommand {
  type: 'session.destroy';
  id: string;
  now: number;
}

/** Renews TTL sessions: each existing one now expires at now + 2 × its TTL. Answers found-or-not per ID. */
export interface SessionRenewCommand {
  type: 'session.renew';
  ids: string[];
  now: number;
}

/**
 * The leader's TTL timer fired: invalidates session `id` only if it still exists and its
 * expiry is ≤ `now` (a renew that committed first wins). Answers whether it was invalidated.
 */
export interface SessionExpireCommand {
  type: 'session.expire';
  id: string;
  now: number;
}

/** KV ?acquire: Consul's kvsLockTxn, refused while the key's lock-delay (checked against `now`) runs. */
export interface KvLockCommand {
  type: 'kv.lock';
  key: string;
  value: Uint8Array;
  flags: string;
  session: string;
  now: number;
}

/** KV ?release: Consul's kvsUnlockTxn. */
export interface KvUnlockCommand {
  type: 'kv.unlock';
  key: string;
  value: Uint8Array;
  flags: string;
  session: string;
}

/** What a session create answers: domain failures are values, never throws. */
export type SessionWriteResult = { ok: true } | { ok: false; error: string };

/** What kv.lock / kv.unlock answer: Consul's boolean, or the error a bad session gives. */
export type KvLockResult = boolean | { error: string };
