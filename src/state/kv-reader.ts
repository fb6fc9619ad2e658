import type { KvEntry } from '../../contracts/model/kv.js';
import type { WakeReason, WatchHandle } from './watch-registry.js';

/** A read answer of the KV table with the index a blocking query compares (never 0). */
export interface KvRead<T> {
  value: T;
  index: number;
}

/**
 * The read side of the KV table: what endpoints may use. Each read returns fresh entries (their
 * `value` bytes copied out of the table), which the caller owns.
 */
export interface KvReader {
  /** The entry at `key` or null. Index: the entry's ModifyIndex, else the table index. */
  get(key: string): KvRead<KvEntry | null>;
  /** Entries whose key starts with `prefix`, in key (UTF-8 byte) order. Index: max ModifyIndex
   * of those entries and of tombstones under the prefix; the table index for '' or when both
   * are absent. */
  list(prefix: string): KvRead<KvEntry[]>;
  /** Keys under `prefix`; with a non-empty `separator`, each key is cut after the first
   * separator past the prefix and duplicates dropped. Same index as list(prefix). */
  keys(prefix: string, separator: string): KvRead<string[]>;
  /** The table index: the highest index at which any KV write happened (min 1). */
  tableIndex(): number;
  /** The lock-delay deadline of `key` in ms since the epoch (0: none set; it may lie in the past). An acquire is refused while the leader's clock is before it. */
  lockDelayUntil(key: string): number;
  /** The keys session `session` holds, in key order. */
  heldBy(session: string): string[];
  /** Number of tombstones currently kept. */
  tombstoneCount(): number;
  /** Parks a one-shot watcher on exactly `key`. */
  watchKey(key: string, fn: (reason: WakeReason) => void): WatchHandle;
  /** Parks a one-shot watcher on every key starting with `prefix` ('' = all). */
  watchPrefix(prefix: string, fn: (reason: WakeReason) => void): WatchHandle;
  /** Number of parked KV watchers. */
  watcherCount(): number;
}
