import type { StateStore } from '../../src/state/state-store.js';

/** What a client can observe of a store's KV table through `prefixes`: its indexes, tombstone count and the listings. */
export function observeKv(s: StateStore, prefixes: readonly string[]): Record<string, unknown> {
  return {
    lastApplied: s.lastApplied(),
    table: s.kv.tableIndex(),
    tombstones: s.kv.tombstoneCount(),
    list: prefixes.map((p) => s.kv.list(p)),
  };
}
