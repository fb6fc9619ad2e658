import { ErrorCode, SextantError } from '../../contracts/errors.js';

/**
 * A table's undo of one journal record it wrote with StateTxn.record: `code` says what was
 * changed, `a`/`b` what it was before. Called by abort(), newest record first, so the table is
 * exactly as it was when the record was written.
 */
export interface Undoable {
  undoRecord(code: number, a: unknown, b: unknown): void;
}

/** A side effect a transaction holds back until commit: `runDeferred(a, b)` runs then. */
export interface Deferred {
  runDeferred(a: unknown, b: unknown): void;
}

/** Journal codes the transaction undoes itself (tables use codes ≥ 0). */
const MAP_PUT = -1;
const MAP_ALL = -2;
const SET_ADDED = -3;
const SET_DELETED = -4;

/** Marks a map key that was absent before a journaled write. */
const ABSENT: unique symbol = Symbol('absent');

/** A journal this long is dropped after the transaction instead of being cleared slot by slot. */
const KEEP_SLOTS = 4096;

/**
 * One transaction over the state tables (go-memdb's Txn, as Consul's state store uses it): the
 * tables write straight into their live structures — so reads in the transaction see its own
 * writes — while the transaction keeps an undo journal of every old value they replace (map
 * entries, set members, indexes, derived caches) and holds back their side effects (watcher
 * wake-ups, change hooks, TTL listeners). `commit()` drops the journal and runs the effects in
 * the order they were deferred; `abort()` undoes every record, newest first, and runs none.
 * After either, both are no-ops (as memdb's Commit after Abort).
 *
 * The journal is a flat array of 4-slot records `[target, code, a, b]`, reused from one
 * transaction to the next, and the effects a flat array of 3-slot records `[target, a, b]`, so
 * a small write allocates no record objects or closures for its bookkeeping. A StateStore owns one StateTxn and runs
 * every command in it; its tables journal into it and refuse to write while it is not open.
 */
export class StateTxn {
  private open = false;
  private journal: unknown[] = [];
  private top = 0;
  private effects: unknown[] = [];
  private effectsTop = 0;
  /** Maps whose whole content this transaction already saved (see keepOrder). */
  private saved: Set<Map<unknown, unknown>> | undefined;

  /** @param onEffectError told when a deferred effect throws at commit (the other effects still run). */
  constructor(private readonly onEffectError: (e: unknown) => void = () => {}) {}

  /** True between begin() and commit()/abort(). */
  get isOpen(): boolean {
    return this.open;
  }

  /** Starts a transaction. Throws INTERNAL when one is already open (transactions never nest). */
  begin(): void {
    if (this.open) throw new SextantError(ErrorCode.Internal, 'a state transaction is already open');
    this.open = true;
  }

  /**
   * Journals one record for `target.undoRecord(code, a, b)`. Throws INTERNAL when no transaction
   * is open: every table write runs inside one.
   */
  record(target: Undoable, code: number, a: unknown, b: unknown): void {
    this.push(target, code, a, b);
  }

  /** `map.set(key, value)`, journaled (the old value, or its absence, comes back on abort). */
  mapSet<K, V>(map: Map<K, V>, key: K, value: V): void {
    const old = map.has(key) ? map.get(key) : ABSENT;
    this.push(map, MAP_PUT, key, old);
    map.set(key, value);
  }

  /**
   * `map.delete(key)`, journaled; answers whether the key was there. Abort puts the entry back
   * at the end of the map's iteration order: use keepOrder first where that order shows.
   */
  mapDelete<K, V>(map: Map<K, V>, key: K): boolean {
    if (!map.has(key)) return false;
    this.push(map, MAP_PUT, key, map.get(key));
    map.delete(key);
    return true;
  }

  /**
   * Saves the whole content of `map` (once per transaction), so abort restores it in its
   * iteration order too — for maps whose order is observable (snapshot images, FIFO trims) and
   * that are about to lose or reorder an entry. Later writes may be journaled or not.
   */
  keepOrder<K, V>(map: Map<K, V>): void {
    this.mustBeOpen();
    const m = map as Map<unknown, unknown>;
    this.saved ??= new Set();
    if (this.saved.has(m)) return;
    this.saved.add(m);
    this.push(m, MAP_ALL, new Map(m), undefined);
  }

  /** `set.add(value)`, journaled; answers whether it was new. */
  setAdd<T>(set: Set<T>, value: T): boolean {
    if (set.has(value)) return false;
    this.push(set, SET_ADDED, value, undefined);
    set.add(value);
    return true;
  }

  /** `set.delete(value)`, journaled; answers whether it was there. */
  setDelete<T>(set: Set<T>, value: T): boolean {
    if (!set.has(value)) return false;
    this.push(set, SET_DELETED, value, undefined);
    set.delete(value);
    return true;
  }

  /** Holds `target.runDeferred(a, b)` back until commit (dropped on abort). */
  defer(target: Deferred, a: unknown, b: unknown): void {
    this.mustBeOpen();
    const fx = this.effects;
    const i = this.effectsTop;
    fx[i] = target;
    fx[i + 1] = a;
    fx[i + 2] = b;
    this.effectsTop = i + 3;
  }

  /**
   * Ends the transaction keeping its writes, then runs the deferred effects in order (an effect
   * that throws is reported to onEffectError; the rest still run). A no-op when none is open.
   */
  commit(): void {
    if (!this.open) return;
    this.open = false;
    this.dropJournal();
    const n = this.effectsTop;
    if (n === 0) return;
    // Hand the list over before running it (an effect may run a transaction of its own). A fresh
    // list per commit measured faster than recycling one: no long-lived array of young records.
    const fx = this.effects;
    this.effects = [];
    this.effectsTop = 0;
    for (let i = 0; i < n; i += 3) {
      try {
        (fx[i] as Deferred).runDeferred(fx[i + 1], fx[i + 2]);
      } catch (e) {
        this.onEffectError(e);
      }
    }
  }

  /** Ends the transaction undoing every write it journaled, newest first; runs no effect. A no-op when none is open. */
  abort(): void {
    if (!this.open) return;
    this.open = false;
    const j = this.journal;
    for (let i = this.top - 4; i >= 0; i -= 4) {
      const target = j[i];
      const code = j[i + 1] as number;
      const a = j[i + 2];
      const b = j[i + 3];
      switch (code) {
        case MAP_PUT:
          if (b === ABSENT) (target as Map<unknown, unknown>).delete(a);
          else (target as Map<unknown, unknown>).set(a, b);
          break;
        case MAP_ALL: {
          const map = target as Map<unknown, unknown>;
          map.clear();
          for (const [k, v] of a as Map<unknown, unknown>) map.set(k, v);
          break;
        }
        case SET_ADDED:
          (target as Set<unknown>).delete(a);
          break;
        case SET_DELETED:
          (target as Set<unknown>).add(a);
          break;
        default:
          (target as Undoable).undoRecord(code, a, b);
      }
    }
    this.dropJournal();
    const fx = this.effects;
    for (let i = 0, n = this.effectsTop; i < n; i++) fx[i] = undefined;
    this.effectsTop = 0;
  }

  /** Appends a journal record; every write goes through here, so none happens outside a transaction. */
  private push(target: unknown, code: number, a: unknown, b: unknown): void {
    this.mustBeOpen();
    const j = this.journal;
    const i = this.top;
    j[i] = target;
    j[i + 1] = code;
    j[i + 2] = a;
    j[i + 3] = b;
    this.top = i + 4;
  }

  private mustBeOpen(): void {
    if (!this.open) throw new SextantError(ErrorCode.Internal, 'state write outside a transaction');
  }

  /** Empties the journal, letting go of the old values it held. */
  private dropJournal(): void {
    const n = this.top;
    if (n > KEEP_SLOTS) {
      this.journal = [];
    } else {
      const j = this.journal;
      for (let i = 0; i < n; i++) j[i] = undefined;
    }
    this.top = 0;
    if (this.saved !== undefined) this.saved = undefined;
  }
}
