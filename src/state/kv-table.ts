import type { KvChange } from '../../contracts/hooks.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { entryRow, latin1, recordEntry, type KvRecord } from './kv-record.js';
import type { KvRead, KvReader } from './kv-reader.js';
import { KvRowEncoder } from './kv-row-encoder.js';
import { LazyArray } from './sliced-msgpack.js';
import { SortedKeySet } from './sorted-key-set.js';
import type { Deferred, StateTxn, Undoable } from './state-txn.js';
import { WatchRegistry, type WakeReason, type WatchHandle } from './watch-registry.js';

/** Serialized form of the KV table inside a state snapshot (arrays, in key order). */
export interface KvTableSnapshot {
  /** The table index. */
  index: number;
  /** [key, value, flags, createIndex, modifyIndex, lockIndex, session] */
  entries: [string, Uint8Array, string, number, number, number, string][];
  /** [key, index of the delete] */
  tombstones: [string, number][];
  /** [key, lock-delay deadline in ms since the epoch], oldest first (absent in images written before sessions). */
  lockDelays?: [string, number][];
}

/** The longest lock-delay applied (Consul structs.MaxLockDelay, 60 s), in ms. */
export const MAX_LOCK_DELAY_MS = 60_000;

/** Undo journal codes (see undoRecord). */
const UNDO_ENTRY = 0;
const UNDO_TOMBSTONE = 1;
const UNDO_INDEX = 2;

/**
 * The KV table of the replicated state, with Consul's semantics (agent/consul/state/kvs.go):
 * entries, tombstones of deleted keys (so prefix indexes never go backwards), a table index,
 * and the watchers of keys and prefixes. Write methods are called only by the state machine
 * with the Raft index of the entry being applied; each wakes exactly the watchers of the keys
 * it changed, and a write that changes nothing wakes nobody and bumps no index.
 *
 * Locks (kvs.go kvsLockTxn / kvsUnlockTxn): an entry's `session` is its holder; the table keeps
 * the keys each session holds (Consul's kvs.session index) so invalidating a session releases
 * or deletes exactly those, and the per-key lock-delay deadlines that invalidation starts
 * (wall-clock ms carried in the command, so every server decides alike).
 */
/** Values a frozen view needs that writes after the freeze replaced: key → value before the first such write. */
interface CopyOnWrite {
  entries: Map<string, KvRecord | undefined>;
  tombstones: Map<string, number | undefined>;
}

/** A point-in-time view of a KvTable (see KvTable.freeze). */
export interface KvFrozenView {
  index: number;
  lockDelays: [string, number][];
  /** Live keys in order, in chunks. */
  entryKeys: string[][];
  /** Tombstoned keys in order, in chunks. */
  tombstoneKeys: string[][];
  /** Which freeze of its table this view is (1, 2, … for KvTable.freeze; compare only views of one table). */
  epoch: number;
  /**
   * Keys whose entry was set, replaced or removed between the previous freeze of the table
   * (epoch - 1) and this one, or undefined when not known (before the first freeze, after a
   * load, or when more changed than is worth tracking). A key not in it has, at this freeze,
   * the very entry it had at the previous one.
   */
  changed: ReadonlySet<string> | undefined;
  /** The entry of `key` at the freeze. */
  entry(key: string): KvRecord | undefined;
  /** The tombstone index of `key` at the freeze. */
  tombstone(key: string): number | undefined;
  /** Stops saving old values for this view. */
  release(): void;
}

/** Changed keys are always tracked up to this many, whatever the table's size. */
const TOUCHED_MIN = 4096;

/**
 * The KvTableSnapshot of a frozen view for encodeSliced: `entries` and `tombstones` are
 * LazyArrays whose rows are made from the view as the encoder reaches them (the view must stay
 * unreleased until the encode ends). Encodes to the same bytes as toSnapshot() at the freeze.
 * `entries`, when given, replaces the entry rows (it must write the same bytes: see KvRowCache).
 */
export function lazySnapshot(view: KvFrozenView, entries?: LazyArray): Record<keyof KvTableSnapshot, unknown> {
  const count = (chunks: string[][]): number => chunks.reduce((n, c) => n + c.length, 0);
  return {
    index: view.index,
    entries:
      entries ??
      new LazyArray(count(view.entryKeys), function* () {
        const encoder = new KvRowEncoder();
        for (const chunk of view.entryKeys) for (const key of chunk) yield encoder.of(view.entry(key)!);
      }),
    tombstones: new LazyArray(count(view.tombstoneKeys), function* () {
      for (const chunk of view.tombstoneKeys) for (const key of chunk) yield [key, view.tombstone(key)!];
    }),
    lockDelays: view.lockDelays,
  };
}

export class KvTable implements KvReader, Undoable, Deferred {
  private readonly entries = new Map<string, KvRecord>();
  private readonly entryKeys = new SortedKeySet();
  private readonly tombstones = new Map<string, number>();
  private readonly tombstoneKeys = new SortedKeySet();
  private index = 0;
  private readonly watches: WatchRegistry;
  /** session → keys it holds. */
  private readonly held = new Map<string, Set<string>>();
  /** key → lock-delay deadline (ms), in the order they were set. */
  private readonly lockDelays = new Map<string, number>();
  /** Old values saved for the frozen views still building a snapshot (see freeze). */
  private readonly cows = new Set<CopyOnWrite>();
  /** How many times freeze() was called (the next view's epoch - 1). */
  private freezes = 0;
  /** Keys whose entry changed since the last freeze (see KvFrozenView.changed); undefined: not tracked. */
  private touched: Set<string> | undefined;

  /**
   * @param tx the transaction every write runs in (the StateStore's).
   * @param onWatcherError told when a watcher callback throws (apply goes on).
   * @param onChange told, after the watchers, of every committed write that changed keys (the kvChanged hook).
   */
  constructor(
    private readonly tx: StateTxn,
    onWatcherError?: (e: unknown) => void,
    private readonly onChange: (change: KvChange) => void = () => {},
  ) {
    this.watches = new WatchRegistry(onWatcherError);
  }

  // ---- writes (state machine only) ----

  /**
   * Plain set, as Consul's kvsSetTxn(updateSession=false) does it: keeps CreateIndex and the
   * Session (locks are advisory) of an existing entry, and takes LockIndex from the incoming
   * entry, which a plain PUT never carries — so a write to a locked or once-locked key resets
   * LockIndex to 0. A rewrite equal in value, flags, LockIndex and Session writes nothing.
   * Always true.
   */
  set(idx: number, key: string, value: Uint8Array, flags: string): boolean {
    const existing = this.entries.get(key);
    this.write(idx, key, value, flags, 0, existing ? existing.session : '', existing);
    return true;
  }

  /** Check-and-set: `cas` 0 creates only; N>0 sets only if the key exists with ModifyIndex N. */
  cas(idx: number, key: string, value: Uint8Array, flags: string, cas: number): boolean {
    const existing = this.entries.get(key);
    if (cas === 0 ? existing !== undefined : existing === undefined || existing.modifyIndex !== cas) return false;
    return this.set(idx, key, value, flags);
  }

  /**
   * Consul's kvsLockTxn for a session the caller has verified exists: false when the key's
   * lock-delay runs past `now` or another session holds it; otherwise takes (or keeps) the lock
   * and writes value and flags — LockIndex +1 when newly taken (1 for a new key), unchanged
   * when `session` already held it — and answers true.
   */
  lock(idx: number, key: string, value: Uint8Array, flags: string, session: string, now: number): boolean {
    if (this.lockDelayed(key, now)) return false;
    const existing = this.entries.get(key);
    if (existing && existing.session !== '' && existing.session !== session) return false;
    const lockIndex = !existing ? 1 : existing.session === session ? existing.lockIndex : existing.lockIndex + 1;
    this.write(idx, key, value, flags, lockIndex, session, existing);
    return true;
  }

  /**
   * Consul's kvsUnlockTxn: false when the key is missing or `session` does not hold it;
   * otherwise clears Session (LockIndex kept), writes value and flags, and answers true.
   */
  unlock(idx: number, key: string, value: Uint8Array, flags: string, session: string): boolean {
    const existing = this.entries.get(key);
    if (!existing || existing.session !== session || session === '') return false;
    this.write(idx, key, value, flags, existing.lockIndex, '', existing);
    return true;
  }

  /**
   * Applies an invalidated session's behavior to every key it holds, at `idx`: `release` clears
   * Session (LockIndex kept, ModifyIndex bumped), `delete` deletes the keys (tombstones). When
   * `lockDelayUntil` > 0 each of those keys gets that lock-delay deadline. Returns the keys.
   */
  releaseSession(idx: number, session: string, behavior: 'release' | 'delete', lockDelayUntil: number): string[] {
    const keys = [...(this.held.get(session) ?? [])].sort();
    if (keys.length === 0) return keys;
    for (const key of keys) {
      if (lockDelayUntil > 0) this.setLockDelay(key, lockDelayUntil);
      if (behavior === 'delete') {
        this.remove(idx, key);
      } else {
        const e = this.entries.get(key)!;
        this.put(key, Object.freeze({ ...e, modifyIndex: idx, session: '' }), e);
      }
    }
    this.bump(idx);
    this.changed(idx, keys);
    return keys;
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
    for (const [key, at] of this.tombstones) if (at <= upTo) this.putTombstone(key, undefined);
    return true;
  }

  // ---- reads ----

  /** The entry at `key` or null; index: its ModifyIndex, else the table index (see KvReader). */
  get(key: string): KvRead<KvEntry | null> {
    const entry = this.entries.get(key);
    return entry ? { value: recordEntry(entry), index: entry.modifyIndex } : { value: null, index: this.tableIndex() };
  }

  /** Entries under `prefix` in key order; index: max of entries and tombstones under it (see KvReader). */
  list(prefix: string): KvRead<KvEntry[]> {
    const out: KvEntry[] = [];
    let max = 0;
    for (const key of this.entryKeys.withPrefix(prefix)) {
      const e = this.entries.get(key)!;
      out.push(recordEntry(e));
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

  /** The lock-delay deadline (ms since the epoch) of `key`, or 0 when none was set. It may lie in the past. */
  lockDelayUntil(key: string): number {
    return this.lockDelays.get(key) ?? 0;
  }

  /** The keys `session` holds, in key order. */
  heldBy(session: string): string[] {
    return [...(this.held.get(session) ?? [])].sort();
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

  /** Wakes (and removes) every parked watcher with reason `reset` (the store is closing). */
  wakeWatchers(): void {
    this.watches.wakeAll();
  }

  // ---- snapshot ----

  /** The table's whole content, in key order (deterministic). */
  toSnapshot(): KvTableSnapshot {
    const view = this.view(false, Infinity); // read at once: nothing changes before release
    try {
      const entries: KvTableSnapshot['entries'] = [];
      const tombstones: KvTableSnapshot['tombstones'] = [];
      for (const chunk of view.entryKeys) for (const key of chunk) entries.push(entryRow(view.entry(key)!));
      for (const chunk of view.tombstoneKeys) for (const key of chunk) tombstones.push([key, view.tombstone(key)!]);
      return { index: view.index, entries, tombstones, lockDelays: view.lockDelays };
    } finally {
      view.release();
    }
  }

  /**
   * The table's content as it is now, without copying it: the key order is copied (a pointer
   * per key) and, until `release()`, every write first saves the value it replaces (copy on
   * write), so the view reads what the table held at the call while apply goes on. Build the
   * rows from it over later turns (see lazySnapshot), then release it. Not valid across load().
   * `applied` is the Raft index the state is at: every later change to an entry stamps it with
   * the higher index being applied, so an entry at or below it is still the one frozen, and the
   * view reads it without a copy-on-write lookup (most of a large table, read row by row).
   */
  freeze(applied: number): KvFrozenView {
    return this.view(true, applied);
  }

  /**
   * A frozen view; `next`: it is the table's next freeze (an epoch of its own, taking the changed
   * keys); entries whose ModifyIndex is at most `unchangedUpTo` are read from the table as they are.
   */
  private view(next: boolean, unchangedUpTo: number): KvFrozenView {
    const cow: CopyOnWrite = { entries: new Map(), tombstones: new Map() };
    this.cows.add(cow);
    const live = this;
    const changed = next ? this.touched : undefined;
    if (next) this.touched = new Set();
    return {
      epoch: next ? ++this.freezes : 0,
      changed,
      index: this.index,
      lockDelays: [...this.lockDelays],
      entryKeys: this.entryKeys.copyChunks(),
      tombstoneKeys: this.tombstoneKeys.copyChunks(),
      entry: (key) => {
        const e = live.entries.get(key);
        if (e !== undefined && e.modifyIndex <= unchangedUpTo) return e;
        return cow.entries.has(key) ? cow.entries.get(key) : e;
      },
      tombstone: (key) => (cow.tombstones.has(key) ? cow.tombstones.get(key) : live.tombstones.get(key)),
      release: () => void this.cows.delete(cow),
    };
  }

  /**
   * Replaces the content with `snap` (validated: throws STORAGE_CORRUPT on a malformed one, leaving
   * the table untouched) and wakes every watcher with reason `reset`.
   */
  load(snap: unknown): void {
    const parsed = parseSnapshot(snap);
    this.touched = undefined;
    this.entries.clear();
    this.entryKeys.clear();
    this.tombstones.clear();
    this.tombstoneKeys.clear();
    this.held.clear();
    this.lockDelays.clear();
    for (const e of parsed.entries) {
      this.entries.set(e.key, e);
      this.entryKeys.add(e.key);
      if (e.session !== '') this.hold(e.session, e.key);
    }
    for (const [key, until] of parsed.lockDelays) this.lockDelays.set(key, until);
    for (const [key, at] of parsed.tombstones) {
      this.tombstones.set(key, at);
      this.tombstoneKeys.add(key);
    }
    this.index = parsed.index;
    this.watches.wakeAll();
  }

  // ---- transaction ----

  /** See Undoable: puts back the entry, tombstone or index one journal record replaced. */
  undoRecord(code: number, a: unknown, b: unknown): void {
    const key = a as string;
    switch (code) {
      case UNDO_ENTRY:
        this.place(key, b as KvRecord | undefined, this.entries.get(key));
        return;
      case UNDO_TOMBSTONE:
        this.placeTombstone(key, b as number | undefined);
        return;
      case UNDO_INDEX:
        this.index = a as number;
        return;
      default:
        throw new SextantError(ErrorCode.Internal, `unknown KV undo record ${code}`);
    }
  }

  /** See Deferred: at commit, wakes the watchers of the change's keys, then tells the change listener. */
  runDeferred(a: unknown): void {
    const change = a as KvChange;
    this.watches.notify(change.keys);
    try {
      this.onChange(change);
    } catch {
      // Observers never break replication; the listener logs its own failures.
    }
  }

  // ---- internals ----

  /** Defers, until the transaction commits, waking the watchers of `keys` and telling the change listener. */
  private changed(idx: number, keys: string[]): void {
    this.tx.defer(this, { index: idx, keys }, undefined);
  }

  /**
   * Writes `key` (Consul's kvsSetTxn with the session decided by the caller): CreateIndex kept,
   * ModifyIndex `idx`, unless the result equals the existing entry, when nothing is written.
   */
  private write(idx: number, key: string, value: Uint8Array, flags: string, lockIndex: number, session: string, existing: KvRecord | undefined): void {
    const raw = latin1(value);
    if (existing && existing.flags === flags && existing.lockIndex === lockIndex && existing.session === session && existing.raw === raw) return;
    const entry: KvRecord = Object.freeze({
      key,
      raw,
      flags,
      createIndex: existing ? existing.createIndex : idx,
      modifyIndex: idx,
      lockIndex,
      session,
    });
    this.put(key, entry, existing);
    // A live entry's index is above its old tombstone's, so dropping the tombstone keeps every
    // prefix index where it was.
    if (this.tombstones.has(key)) this.putTombstone(key, undefined);
    this.bump(idx);
    this.changed(idx, [key]);
  }

  /** Puts `entry` (undefined: none) in place of `existing`, journaled. */
  private put(key: string, entry: KvRecord | undefined, existing: KvRecord | undefined): void {
    this.tx.record(this, UNDO_ENTRY, key, existing);
    this.place(key, entry, existing);
  }

  /** Puts `entry` (undefined: none) in place of `existing`, keeping the key set and the session index in step. */
  private place(key: string, entry: KvRecord | undefined, existing: KvRecord | undefined): void {
    for (const cow of this.cows) if (!cow.entries.has(key)) cow.entries.set(key, existing);
    if (this.touched) {
      this.touched.add(key);
      // Past a quarter of the keys, knowing which changed no longer saves the next snapshot much.
      if (this.touched.size > TOUCHED_MIN && this.touched.size > this.entries.size >> 2) this.touched = undefined;
    }
    if (entry) {
      this.entries.set(key, entry);
      if (!existing) this.entryKeys.add(key);
    } else if (existing) {
      this.entries.delete(key);
      this.entryKeys.delete(key);
    }
    const was = existing ? existing.session : '';
    const now = entry ? entry.session : '';
    if (was === now) return;
    if (was !== '') this.unhold(was, key);
    if (now !== '') this.hold(now, key);
  }

  /** Sets (undefined: drops) `key`'s tombstone, journaled. */
  private putTombstone(key: string, at: number | undefined): void {
    this.tx.record(this, UNDO_TOMBSTONE, key, this.tombstones.get(key));
    this.placeTombstone(key, at);
  }

  private placeTombstone(key: string, at: number | undefined): void {
    for (const cow of this.cows) if (!cow.tombstones.has(key)) cow.tombstones.set(key, this.tombstones.get(key));
    if (at === undefined) {
      if (this.tombstones.delete(key)) this.tombstoneKeys.delete(key);
      return;
    }
    if (!this.tombstones.has(key)) this.tombstoneKeys.add(key);
    this.tombstones.set(key, at);
  }

  private hold(session: string, key: string): void {
    let keys = this.held.get(session);
    if (!keys) {
      keys = new Set();
      this.held.set(session, keys);
    }
    keys.add(key);
  }

  private unhold(session: string, key: string): void {
    const keys = this.held.get(session);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.held.delete(session);
  }

  /** True while `key`'s lock-delay runs past `now`; an expired deadline is dropped. */
  private lockDelayed(key: string, now: number): boolean {
    const until = this.lockDelays.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.tx.keepOrder(this.lockDelays);
    this.lockDelays.delete(key);
    return false;
  }

  /**
   * Sets `key`'s lock-delay deadline (re-inserted, so the map stays roughly in deadline order)
   * after dropping, from the oldest, deadlines that passed before `until` − the max delay —
   * keeping the map bounded by the invalidations of about one minute.
   */
  private setLockDelay(key: string, until: number): void {
    this.tx.keepOrder(this.lockDelays);
    const horizon = until - MAX_LOCK_DELAY_MS;
    for (const [k, t] of this.lockDelays) {
      if (t > horizon) break;
      this.lockDelays.delete(k);
    }
    this.lockDelays.delete(key);
    this.lockDelays.set(key, until);
  }

  private remove(idx: number, key: string): boolean {
    const existing = this.entries.get(key);
    if (!existing) return false;
    this.put(key, undefined, existing);
    this.putTombstone(key, idx);
    return true;
  }

  private bump(idx: number): void {
    if (idx <= this.index) return;
    this.tx.record(this, UNDO_INDEX, this.index, undefined);
    this.index = idx;
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

function parseSnapshot(snap: unknown): { index: number; entries: KvRecord[]; tombstones: [string, number][]; lockDelays: [string, number][] } {
  const bad = (what: string): SextantError => new SextantError(ErrorCode.StorageCorrupt, `corrupt KV snapshot: ${what}`);
  const isIdx = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (typeof snap !== 'object' || snap === null) throw bad('not a table record');
  const s = snap as Record<string, unknown>;
  if (!isIdx(s.index) || !Array.isArray(s.entries) || !Array.isArray(s.tombstones)) throw bad('missing index, entries or tombstones');
  const entries: KvRecord[] = [];
  for (const row of s.entries as unknown[]) {
    if (!Array.isArray(row) || row.length !== 7) throw bad('entry is not a 7-field row');
    const [key, value, flags, createIndex, modifyIndex, lockIndex, session] = row as unknown[];
    if (typeof key !== 'string' || !(value instanceof Uint8Array) || typeof flags !== 'string' || typeof session !== 'string') {
      throw bad(`entry ${JSON.stringify(key)} has a field of the wrong type`);
    }
    if (!isIdx(createIndex) || !isIdx(modifyIndex) || !isIdx(lockIndex)) throw bad(`entry ${JSON.stringify(key)} has a bad index`);
    entries.push(Object.freeze({ key, raw: latin1(value), flags, createIndex, modifyIndex, lockIndex, session }));
  }
  const tombstones: [string, number][] = [];
  for (const row of s.tombstones as unknown[]) {
    if (!Array.isArray(row) || row.length !== 2 || typeof row[0] !== 'string' || !isIdx(row[1])) throw bad('tombstone is not a [key, index] row');
    tombstones.push([row[0], row[1]]);
  }
  const lockDelays: [string, number][] = [];
  if (s.lockDelays !== undefined) {
    if (!Array.isArray(s.lockDelays)) throw bad('lockDelays is not a list');
    for (const row of s.lockDelays as unknown[]) {
      if (!Array.isArray(row) || row.length !== 2 || typeof row[0] !== 'string' || typeof row[1] !== 'number' || !Number.isFinite(row[1])) {
        throw bad('lock-delay is not a [key, deadline] row');
      }
      lockDelays.push([row[0], row[1]]);
    }
  }
  return { index: s.index, entries, tombstones, lockDelays };
}
