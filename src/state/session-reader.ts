import type { Session } from '../../contracts/model/session.js';
import type { KvRead } from './kv-reader.js';
import type { WakeReason, WatchHandle } from './watch-registry.js';

/** A session as the state machine keeps it: its JSON view plus the TTL bookkeeping. */
export interface StoredSession {
  /** Consul's Session JSON (frozen, shared with the table). */
  readonly view: Session;
  /** The parsed TTL in ms (0: no TTL). */
  readonly ttlMs: number;
  /** When the leader invalidates it unless renewed: ms since the epoch on the leader's clock (0: never). */
  readonly expiresAt: number;
}

/** Told of a TTL deadline change: `expiresAt` ms since the epoch, or 0 when the session is gone. */
export type TtlListener = (id: string, expiresAt: number) => void;

/**
 * The read side of the sessions table: what endpoints, the leader's TTL timers and (later) the
 * transaction and lock code may use. Every read reports the sessions table's index (Consul's),
 * and watchers are one-shot, as everywhere in the state.
 */
export interface SessionReader {
  /** The stored session `id`, or undefined. */
  get(id: string): StoredSession | undefined;
  /** `[session]` or `[]`. Index: the sessions table. */
  info(id: string): KvRead<Session[]>;
  /** Sessions of `node` (name case-insensitive), by ID. Index: the sessions table. */
  onNode(node: string): KvRead<Session[]>;
  /** Every session, by ID. Index: the sessions table. */
  list(): KvRead<Session[]>;
  /** Every TTL session with its deadline (ms since the epoch). */
  ttlDeadlines(): IterableIterator<[string, number]>;
  /** Number of sessions. */
  size(): number;
  /** The highest index at which a session was created or removed (min 1). */
  tableIndex(): number;
  /** Parks a one-shot watcher on session `id` being created or removed. */
  watchSession(id: string, fn: (reason: WakeReason) => void): WatchHandle;
  /** Parks a one-shot watcher on the sessions of `node`. */
  watchNode(node: string, fn: (reason: WakeReason) => void): WatchHandle;
  /** Parks a one-shot watcher on any session created or removed. */
  watchTable(fn: (reason: WakeReason) => void): WatchHandle;
  /**
   * Subscribes (until the returned function is called) to TTL deadline changes: a TTL session
   * created or renewed (its new deadline), removed or restored away (0), or restored with a new
   * deadline. Called synchronously while a command is applied; must not throw or block.
   */
  onTtlChange(fn: TtlListener): () => void;
}
