import type { KvEntry } from '../model/kv.js';
import type { QueryOptions, QueryResult, RequestContext } from '../model/query.js';

/**
 * The KV operations a surface may ask of the kernel. Reads are served from the local state
 * machine in the requested consistency and block per QueryOptions on exactly the key or
 * prefix read; writes are Raft commands, answered once committed and applied.
 */

/** A KV write. Append-only verb set; Consul's txn verbs map one-to-one onto these. */
export type KvOp =
  | { verb: 'set'; key: string; value: Uint8Array; flags: string }
  | { verb: 'cas'; key: string; value: Uint8Array; flags: string; index: number }
  | { verb: 'delete'; key: string }
  | { verb: 'delete-cas'; key: string; index: number }
  | { verb: 'delete-tree'; prefix: string }
  /** Consul's ?acquire=<session>: takes the lock (true), or false when another session holds it or the key's lock-delay runs. */
  | { verb: 'lock'; key: string; value: Uint8Array; flags: string; session: string }
  /** Consul's ?release=<session>: drops the lock and writes the value (true), or false when `session` does not hold it. */
  | { verb: 'unlock'; key: string; value: Uint8Array; flags: string; session: string };

export interface KvService {
  /** The entry at `key`, or null (the meta index is then the KV table's, never 0). */
  get(key: string, opts: QueryOptions): Promise<QueryResult<KvEntry | null>>;
  /** Entries whose key starts with `prefix` (pure string prefix), sorted by key. Index: max of
   * entries and tombstones under the prefix (the whole table for ''). */
  list(prefix: string, opts: QueryOptions): Promise<QueryResult<KvEntry[]>>;
  /** Keys under `prefix`; with a non-empty separator, keys are cut after the first separator
   * past the prefix and de-duplicated (Consul's ?keys&separator). Sorted. */
  keys(prefix: string, separator: string, opts: QueryOptions): Promise<QueryResult<string[]>>;
  /** Commits a write through Raft. Resolves with Consul's boolean answer. Rejects with NO_LEADER,
   * NOT_LEADER (forwarding failed), TOO_LARGE, INVALID_SESSION (lock/unlock without a session,
   * lock naming an unknown one), or SHUTDOWN; a rejection means nothing was applied
   * unless the error says the outcome is unknown (TIMEOUT). */
  apply(op: KvOp, ctx?: RequestContext): Promise<boolean>;
}
