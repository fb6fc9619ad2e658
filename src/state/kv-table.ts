import type { KvChange } from '../../contracts/hooks.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { KvRead, KvReader } from './kv-reader.js';
import { SortedKeySet } from './sorted-key-set.js';
import { WatchRegistry, type WakeReason, type WatchHandle } from './watch-registry.js';

/** Serialized form of the KV table inside a state snapshot (arrays, in key order). */
export interface KvTableSnapshot {
  /** The table index. */
  index: number;
  /** [key, value, flags, createIndex, modifyIndex, lockIndex, session] */
  entries: [string, Uint8Array, string, number, number, number, string][];
  /** [key, index of the delete] */
  tombstones: [string, number][];
}

/**
 * The KV table of the replicated state, with Consul's semantics (agent/consul/state/kvs.go):
 * entries, tombstones of deleted keys (so prefix indexes never go backwards), a table index,
 * and the watchers of keys and prefixes. Write methods are called only by the state machine
 * with the Raft index of the entry being applied; each wakes exactly the watchers of the keys
 * it changed, and a write that changes nothing wakes nobody and bumps no index.
 */
export class KvTable implements KvReader {
  private readonly entries = new Map<string, KvEntry>();
  private readonly entryKeys = new SortedKeySet();
  private readonly tombstones = new Map<string, number>();
  private readonly tombstoneKeys = new SortedKeySet();
  private index = 0;
  private readonly watches: WatchRegistry;

  /**
   * @param onWatcherError told when a watcher callback throws (apply goes on).
   * @param onChange told, after the watchers, of every write that changed keys (the kvChanged hook).
   */
  constructor(
    onWatcherError?: (e: unknown) => void,
    private readonly onChange: (change: KvChange) => void = () => {},
  ) {
    this.watches = new WatchRegistry(onWatcherError);
  }

  // ---- writes (state machine only) ----

  /**
   * Plain set. Keeps CreateIndex, Session and LockIndex of an existing entry; a rewrite with the
   * same value bytes and flags writes nothing. Always true.
   */
  set(idx: number, key: string, value: Uint8Array, flags: string): boolean {
    const existing = this.entries.get(key);
    if (existing && existing.flags === flags && bytesEqual(existing.value, value)) return true;
    const entry: KvEntry = Object.freeze({
      key,
      value: value.slice(),
      flags,
      createIndex: existing ? existing.createIndex : idx,
      modifyIndex: idx,
      lockIndex: existing ? existing.lockIndex : 0,
      session: existing ? existing.session : '',
    });
    this.entries.set(key, entry);
    if (!existing) this.entryKeys.add(key);
    // A live entry's index is above its old tombstone's, so dropping the tombstone keeps every
    // prefix index where it was.
    if (this.tombstones.delete(key)) this.tombstoneKeys.delete(key);
    this.bump(idx);
    this.changed(idx, [key]);
    return true;
  }

  /** Check-and-set: `cas` 0 creates only; N>0 sets only if the key exists with ModifyIndex N. */
  cas(idx: number, key: string, value: Uint8Array, flags: string, cas: number): boolean {
    const existing = this.entries.get(key);
    if (cas === 0 ? existing !== undefined : existing === undefined || existing.modifyIndex !== cas) return false;
    return this.set(idx, key, value, flags);
  }

  /** Deletes `key`, leaving a tombstone. True even when the key is absent (then nothing changes). */
  delete(idx: number, key: string): boolean {
    if (this.remove(idx, key)) {
      this.bump(idx);
      this.changed(idx, [key]);
    }
    return true;
  }

  /**
   * Deletes `key` only if its ModifyIndex equals `cas` (so 0 never deletes an existing key).
   * A missing key answers true, as Consul's state store does (`return entry == nil`).
   */
  deleteCas(idx: number, key: string, cas: number): boolean {
    const existing = this.entries.get(key);
    if (!existing) return true;
    if (existing.modifyIndex !== cas) return false;
    return this.delete(idx, key);
  }

  /** Deletes every key starting with `prefix` ('' = all), each leaving a tombstone. Always true. */
  deleteTree(idx: number, prefix: string): boolean {
    const doomed = [...this.entryKeys.withPrefix(prefix)];
    if (doomed.length === 0) return true;
    for (const key of doomed) this.remove(idx, key);
    this.bump(idx);
    this.changed(idx, doomed);
    return true;
  }

  /** Drops tombstones with index ≤ `upTo`. Wakes nobody and bumps no index. Always true. */
  reapTombstones(upTo: number): boolean {
    for (const [key, at] of this.tombstones) {
      if (at <= upTo) {
        this.tombstones.delete(key);
        this.tombstoneKeys.delete(key);
      }
    }
    return true;
  }

  // ---- reads ----

  /** The entry at `key` or null; index: its ModifyIndex, else the table index (see KvReader). */
  get(key: string): KvRead<KvEntry | null> {
    const entry = this.entries.get(key);
    return entry ? { value: entry, index: entry.modifyIndex } : { value: null, index: this.tableIndex() };
  }

  /** Entries under `prefix` in key order; index: max of entries and tombstones under it (see KvReader). */
  list(prefix: string): KvRead<KvEntry[]> {
    const out: KvEntry[] = [];
    let max = 0;
    for (const key of this.entryKeys.withPrefix(prefix)) {
      const e = this.entries.get(key)!;
      out.push(e);
      if (e.modifyIndex > max) max = e.modifyIndex;
    }
    return { value: out, index: this.prefixIndex(prefix, max) };
  }

  /** Keys under `prefix`, cut after `separator` when non-empty (see KvReader). */
  keys(prefix: string, separator: string): KvRead<string[]> {
    const out: string[] = [];
    let max = 0;
    let prev: string | undefined;
    for (const key of this.entryKeys.withPrefix(prefix)) {
      const m = this.entries.get(key)!.modifyIndex;
      if (m > max) max = m;
      let shown = key;
      if (separator !== '') {
        const at = key.indexOf(separator, prefix.length);
        if (at >= 0) shown = key.slice(0, at + separator.length);
      }
      // Keys sharing a cut form one contiguous run in key order, so comparing with the previous suffices.
      if (shown !== prev) out.push(shown);
      prev = shown;
    }
    return { value: out, index: this.prefixIndex(prefix, max) };
  }

  /** The highest index at which a KV write happened, at least 1. */
  tableIndex(): number {
    return Math.max(this.index, 1);
  }

  /** Number of tombstones kept. */
  tombstoneCount(): number {
    return this.tombstones.size;
  }

  /** Parks a one-shot watcher on exactly `key`. */
  watchKey(key: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(key, fn);
  }

  /** Parks a one-shot watcher on every key under `prefix`. */
  watchPrefix(prefix: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchPrefix(prefix, fn);
  }

  /** Number of parked watchers. */
  watcherCount(): number {
    return this.watches.count();
  }

  // ---- snapshot ----

  /** The table's whole content, in key order (deterministic). */
  toSnapshot(): KvTableSnapshot {
    const entries: KvTableSnapshot['entries'] = [];
    for (const key of this.entryKeys.withPrefix('')) {
      const e = this.entries.get(key)!;
      entries.push([e.key, e.value, e.flags, e.createIndex, e.modifyIndex, e.lockIndex, e.session]);
    }
    const tombstones: KvTableSnapshot['tombstones'] = [];
    for (const key of this.tombstoneKeys.withPrefix('')) tombstones.push([key, this.tombstones.get(key)!]);
    return { index: this.index, entries, tombstones };
  }

  /**
   * Replaces the content with `snap` (validated: throws STORAGE_CORRUPT on a malformed one, leaving
   * the table untouched) and wakes every watcher with reason `reset`.
   */
  load(snap: unknown): void {
    const parsed = parseSnapshot(snap);
    this.entries.clear();
    this.entryKeys.clear();
    this.tombstones.clear();
    this.tombstoneKeys.clear();
    for (const e of parsed.entries) {
      this.entries.set(e.key, e);
      this.entryKeys.add(e.key);
    }
    for (const [key, at] of parsed.tombstones) {
      this.tombstones.set(key, at);
      this.tombstoneKeys.add(key);
    }
    this.index = parsed.index;
    this.watches.wakeAll();
  }

  // ---- internals ----

  /** Wakes the watchers of `keys`, then tells the change listener (whose failure never breaks apply). */
  private changed(idx: number, keys: string[]): void {
    this.watches.notify(keys);
    try {
      this.onChange({ index: idx, keys });
    } catch {
      // Observers never break replication; the listener logs its own failures.
    }
  }

  private remove(idx: number, key: string): boolean {
    if (!this.entries.delete(key)) return false;
    this.entryKeys.delete(key);
    if (!this.tombstones.has(key)) this.tombstoneKeys.add(key);
    this.tombstones.set(key, idx);
    return true;
  }

  private bump(idx: number): void {
    if (idx > this.index) this.index = idx;
  }

  private prefixIndex(prefix: string, entriesMax: number): number {
    if (prefix === '') return this.tableIndex();
    let max = entriesMax;
    for (const key of this.tombstoneKeys.withPrefix(prefix)) {
      const at = this.tombstones.get(key)!;
      if (at > max) max = at;
    }
    return max > 0 ? max : this.tableIndex();
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function parseSnapshot(snap: unknown): { index: number; entries: KvEntry[]; tombstones: [string, number][] } {
  const bad = (what: string): SextantError => new SextantError(ErrorCode.StorageCorrupt, `corrupt KV snapshot: ${what}`);
  const isIdx = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (typeof snap !== 'object' || snap === null) throw bad('not a table record');
  const s = snap as Record<string, unknown>;
  if (!isIdx(s.index) || !Array.isArray(s.entries) || !Array.isArray(s.tombstones)) throw bad('missing index, entries or tombstones');
  const entries: KvEntry[] = [];
  for (const row of s.entries as unknown[]) {
    if (!Array.isArray(row) || row.length !== 7) throw bad('entry is not a 7-field row');
    const [key, value, flags, createIndex, modifyIndex, lockIndex, session] = row as unknown[];
    if (typeof key !== 'string' || !(value instanceof Uint8Array) || typeof flags !== 'string' || typeof session !== 'string') {
      throw bad(`entry ${JSON.stringify(key)} has a field of the wrong type`);
    }
    if (!isIdx(createIndex) || !isIdx(modifyIndex) || !isIdx(lockIndex)) throw bad(`entry ${JSON.stringify(key)} has a bad index`);
    entries.push(Object.freeze({ key, value: value.slice(), flags, createIndex, modifyIndex, lockIndex, session }));
  }
  const tombstones: [string, number][] = [];
  for (const row of s.tombstones as unknown[]) {
    if (!Array.isArray(row) || row.length !== 2 || typeof row[0] !== 'string' || !isIdx(row[1])) throw bad('tombstone is not a [key, index] row');
    tombstones.push([row[0], row[1]]);
  }
  return { index: s.index, entries, tombstones };
}
