import type { Deferred } from './state-txn.js';

/**
 * Why a watcher was woken: `change` — something it watches was written; `reset` — the whole
 * state was replaced by a snapshot restore (indexes may have gone backwards).
 */
export type WakeReason = 'change' | 'reset';

/** A parked watcher's registration. */
export interface WatchHandle {
  /** Unregisters the watcher. Idempotent; a no-op after the watcher fired. */
  cancel(): void;
}

interface Watcher {
  kind: 'key' | 'prefix';
  target: string;
  fn: (reason: WakeReason) => void;
  live: boolean;
}

/**
 * The watchers of one table: each is interested in exactly one key or one prefix and fires at
 * most once (one-shot), then is gone. A change to key K wakes the watchers of K and of every
 * prefix of K — found by Map look-ups of K's prefixes at the lengths some prefix watcher uses,
 * so the cost of a write does not grow with the number of parked watchers. Nothing is left
 * behind once a watcher fires or is cancelled.
 */
export class WatchRegistry implements Deferred {
  private readonly exact = new Map<string, Set<Watcher>>();
  private readonly prefixes = new Map<string, Set<Watcher>>();
  /** prefix length → number of distinct watched prefixes of that length. */
  private readonly prefixLengths = new Map<number, number>();
  private live = 0;

  /** @param onError told about a watcher callback that threw (the others still run; apply never fails because of one). */
  constructor(private readonly onError: (e: unknown) => void = () => {}) {}

  /** Number of registered (not yet fired or cancelled) watchers. */
  count(): number {
    return this.live;
  }

  /** Calls `fn` once, on the next change to exactly `key` (or on reset). */
  watchKey(key: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.add({ kind: 'key', target: key, fn, live: true });
  }

  /** Calls `fn` once, on the next change to any key starting with `prefix` ('' = any key), or on reset. */
  watchPrefix(prefix: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.add({ kind: 'prefix', target: prefix, fn, live: true });
  }

  /**
   * Wakes (and removes) every watcher of any of `keys` or of a prefix of one. Callbacks run
   * synchronously, after all of them were removed; a throwing callback is reported to onError
   * and does not stop the others.
   */
  notify(keys: Iterable<string>): void {
    const woken: Watcher[] = [];
    for (const key of keys) {
      this.take(this.exact.get(key), woken);
      if (this.prefixLengths.size === 0) continue;
      for (const len of this.prefixLengths.keys()) {
        if (len <= key.length) this.take(this.prefixes.get(key.slice(0, len)), woken);
      }
    }
    this.fire(woken, 'change');
  }

  /** See Deferred: a transaction's held-back notify(`keys`), run when it commits. */
  runDeferred(keys: unknown): void {
    this.notify(keys as Iterable<string>);
  }

  /** Wakes (and removes) every watcher with reason `reset`. */
  wakeAll(): void {
    const woken: Watcher[] = [];
    for (const set of this.exact.values()) for (const w of set) woken.push(w);
    for (const set of this.prefixes.values()) for (const w of set) woken.push(w);
    for (const w of woken) w.live = false;
    this.exact.clear();
    this.prefixes.clear();
    this.prefixLengths.clear();
    this.live = 0;
    this.fire(woken, 'reset');
  }

  private add(w: Watcher): WatchHandle {
    const map = w.kind === 'key' ? this.exact : this.prefixes;
    let set = map.get(w.target);
    if (!set) {
      set = new Set();
      map.set(w.target, set);
      if (w.kind === 'prefix') {
        const len = w.target.length;
        this.prefixLengths.set(len, (this.prefixLengths.get(len) ?? 0) + 1);
      }
    }
    set.add(w);
    this.live++;
    return { cancel: () => this.remove(w) };
  }

  private remove(w: Watcher): void {
    if (!w.live) return;
    w.live = false;
    this.live--;
    const map = w.kind === 'key' ? this.exact : this.prefixes;
    const set = map.get(w.target);
    if (!set) return;
    set.delete(w);
    if (set.size === 0) this.dropTarget(w.kind, w.target);
  }

  private take(set: Set<Watcher> | undefined, into: Watcher[]): void {
    if (!set) return;
    let kind: Watcher['kind'] | undefined;
    let target = '';
    for (const w of set) {
      w.live = false;
      this.live--;
      kind = w.kind;
      target = w.target;
      into.push(w);
    }
    set.clear();
    if (kind) this.dropTarget(kind, target);
  }

  private dropTarget(kind: Watcher['kind'], target: string): void {
    if (kind === 'key') {
      this.exact.delete(target);
      return;
    }
    this.prefixes.delete(target);
    const n = (this.prefixLengths.get(target.length) ?? 1) - 1;
    if (n <= 0) this.prefixLengths.delete(target.length);
    else this.prefixLengths.set(target.length, n);
  }

  private fire(woken: Watcher[], reason: WakeReason): void {
    for (const w of woken) {
      try {
        w.fn(reason);
      } catch (e) {
        this.onError(e);
      }
    }
  }
}
