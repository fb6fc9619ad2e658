import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Session } from '../../contracts/model/session.js';
import type { KvRead } from './kv-reader.js';
import type { SessionFields } from './session-command.js';
import type { SessionReader, StoredSession, TtlListener } from './session-reader.js';
import type { Deferred, StateTxn, Undoable } from './state-txn.js';
import { WatchRegistry, type WakeReason, type WatchHandle } from './watch-registry.js';

/** Serialized form of the sessions table inside a state snapshot. */
export interface SessionTableSnapshot {
  /** The table index. */
  index: number;
  /** [session JSON, ttlMs, expiresAt], by ID. */
  sessions: [Session, number, number][];
}

const TABLE_KEY = 't:sessions';
const idKey = (id: string): string => `s:${id}`;
const nodeKey = (node: string): string => `n:${node.toLowerCase()}`;
const checkKey = (node: string, checkId: string): string => `${node.toLowerCase()}\0${checkId}`;
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Undo journal code of the table index (the maps and sets are journaled by the transaction itself). */
const UNDO_INDEX = 0;

/**
 * The sessions table of the replicated state (Consul's agent/consul/state/session.go): sessions
 * by ID, by node and by the checks they are bound to, one table index, and watchers of a
 * session, a node's sessions or the table. Write methods are called only by the state machine
 * (which validates against the catalog and applies the KV side of invalidation); creating and
 * removing bump the index and wake watchers, a renew only moves the TTL deadline (replicated
 * so a restarted or new leader re-arms timers without extending them) and wakes nobody.
 */
export class SessionTable implements SessionReader, Undoable, Deferred {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly byNode = new Map<string, Set<string>>();
  private readonly byCheck = new Map<string, Set<string>>();
  private index = 0;
  private readonly watches: WatchRegistry;
  private readonly ttlListeners = new Set<TtlListener>();

  /**
   * @param tx the transaction every write runs in (the StateStore's).
   * @param onListenerError told when a watcher or TTL listener throws (apply goes on).
   */
  constructor(
    private readonly tx: StateTxn,
    private readonly onListenerError: (e: unknown) => void = () => {},
  ) {
    this.watches = new WatchRegistry(onListenerError);
  }

  // ---- writes (state machine only) ----

  /** Adds a session at `idx`; it expires at `now + 2 × ttlMs` when ttlMs > 0. The caller validated it. */
  create(idx: number, fields: SessionFields, ttlMs: number, now: number): void {
    // Go's field order; the deprecated Checks (omitempty) sits between ServiceChecks and the indexes.
    const view: Session = {
      ID: fields.ID,
      Name: fields.Name,
      Node: fields.Node,
      LockDelay: fields.LockDelay,
      Behavior: fields.Behavior,
      TTL: fields.TTL,
      NodeChecks: fields.NodeChecks ? [...fields.NodeChecks] : null,
      ServiceChecks: fields.ServiceChecks ? fields.ServiceChecks.map((c) => ({ ID: c.ID, Namespace: c.Namespace })) : null,
      ...(fields.Checks.length > 0 ? { Checks: [...fields.Checks] } : {}),
      CreateIndex: idx,
      ModifyIndex: idx,
    };
    this.insert(idx, deepFreeze(view), ttlMs, ttlMs > 0 ? now + 2 * ttlMs : 0);
  }

  /** Removes session `id` at `idx` and returns it (undefined when absent: nothing changes). */
  remove(idx: number, id: string): StoredSession | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const tx = this.tx;
    // The sessions map's order is the TTL timers' arming order: an abort restores it.
    tx.keepOrder(this.sessions);
    this.sessions.delete(id);
    this.drop(this.byNode, nodeKey(s.view.Node), id);
    for (const c of checkIdsOf(s.view)) this.drop(this.byCheck, checkKey(s.view.Node, c), id);
    this.bump(idx);
    tx.defer(this.watches, [TABLE_KEY, idKey(id), nodeKey(s.view.Node)], undefined);
    tx.defer(this, id, 0);
    return s;
  }

  /** Moves each existing TTL session's deadline to `now + 2 × TTL`; answers, per ID, whether it exists. */
  renew(ids: readonly string[], now: number): boolean[] {
    return ids.map((id) => {
      const s = this.sessions.get(id);
      if (!s) return false;
      if (s.ttlMs > 0) {
        const expiresAt = now + 2 * s.ttlMs;
        if (expiresAt !== s.expiresAt) {
          this.tx.mapSet(this.sessions, id, { ...s, expiresAt });
          this.tx.defer(this, id, expiresAt);
        }
      }
      return true;
    });
  }

  // ---- reads ----

  /** The stored session `id` (view, TTL, deadline), or undefined. */
  get(id: string): StoredSession | undefined {
    return this.sessions.get(id);
  }

  /** `[session]` or `[]`; index: the table's. */
  info(id: string): KvRead<Session[]> {
    const s = this.sessions.get(id);
    return { value: s ? [s.view] : [], index: this.tableIndex() };
  }

  /** Sessions of `node` (case-insensitive) by ID; index: the table's. */
  onNode(node: string): KvRead<Session[]> {
    const ids = [...(this.byNode.get(nodeKey(node)) ?? [])].sort(byString);
    return { value: ids.map((id) => this.sessions.get(id)!.view), index: this.tableIndex() };
  }

  /** Every session by ID; index: the table's. */
  list(): KvRead<Session[]> {
    const ids = [...this.sessions.keys()].sort(byString);
    return { value: ids.map((id) => this.sessions.get(id)!.view), index: this.tableIndex() };
  }

  /** IDs of the sessions on `node`, by ID. */
  idsOnNode(node: string): string[] {
    return [...(this.byNode.get(nodeKey(node)) ?? [])].sort(byString);
  }

  /** IDs of the sessions bound to check `checkId` of `node`, by ID. */
  idsOnCheck(node: string, checkId: string): string[] {
    return [...(this.byCheck.get(checkKey(node, checkId)) ?? [])].sort(byString);
  }

  /** Every TTL session with its deadline (ms since the epoch). */
  *ttlDeadlines(): IterableIterator<[string, number]> {
    for (const [id, s] of this.sessions) if (s.expiresAt > 0) yield [id, s.expiresAt];
  }

  /** Number of sessions. */
  size(): number {
    return this.sessions.size;
  }

  /** The highest index at which a session was created or removed, at least 1. */
  tableIndex(): number {
    return Math.max(1, this.index);
  }

  /** One-shot watcher on session `id` (created or removed). */
  watchSession(id: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(idKey(id), fn);
  }

  /** One-shot watcher on the sessions of `node`. */
  watchNode(node: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(nodeKey(node), fn);
  }

  /** One-shot watcher on any session created or removed. */
  watchTable(fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(TABLE_KEY, fn);
  }

  /** Number of parked watchers. */
  watcherCount(): number {
    return this.watches.count();
  }

  /** Wakes (and removes) every parked watcher with reason `reset` (the store is closing). */
  wakeWatchers(): void {
    this.watches.wakeAll();
  }

  /** Subscribes to TTL deadline changes (see SessionReader.onTtlChange). */
  onTtlChange(fn: TtlListener): () => void {
    this.ttlListeners.add(fn);
    return () => this.ttlListeners.delete(fn);
  }

  // ---- snapshot ----

  /** The whole table (by ID, deterministic). */
  toSnapshot(): SessionTableSnapshot {
    const ids = [...this.sessions.keys()].sort(byString);
    return { index: this.index, sessions: ids.map((id) => { const s = this.sessions.get(id)!; return [s.view, s.ttlMs, s.expiresAt]; }) };
  }

  /**
   * Replaces everything with `snap` (undefined = empty, for images written before sessions),
   * wakes every watcher with `reset` and tells the TTL listeners about every session that went
   * away or whose deadline is new. Throws STORAGE_CORRUPT (nothing changed) when malformed.
   */
  load(snap: unknown): void {
    const rows = parseSnapshot(snap);
    const before = new Map([...this.sessions].map(([id, s]) => [id, s.expiresAt]));
    this.sessions.clear();
    this.byNode.clear();
    this.byCheck.clear();
    this.index = rows.index;
    for (const [view, ttlMs, expiresAt] of rows.sessions) {
      this.sessions.set(view.ID, { view, ttlMs, expiresAt });
      add(this.byNode, nodeKey(view.Node), view.ID);
      for (const c of checkIdsOf(view)) add(this.byCheck, checkKey(view.Node, c), view.ID);
    }
    this.watches.wakeAll();
    for (const id of before.keys()) if (!this.sessions.has(id)) this.tellTtl(id, 0);
    for (const [id, s] of this.sessions) if (before.get(id) !== s.expiresAt) this.tellTtl(id, s.expiresAt);
  }

  // ---- transaction ----

  /** See Undoable: puts back the table index. */
  undoRecord(code: number, a: unknown): void {
    if (code !== UNDO_INDEX) throw new SextantError(ErrorCode.Internal, `unknown sessions undo record ${code}`);
    this.index = a as number;
  }

  /** See Deferred: at commit, tells the TTL listeners that session `a`'s deadline is now `b` (0: gone). */
  runDeferred(a: unknown, b: unknown): void {
    this.tellTtl(a as string, b as number);
  }

  // ---- internals ----

  private insert(idx: number, view: Session, ttlMs: number, expiresAt: number): void {
    const tx = this.tx;
    tx.mapSet(this.sessions, view.ID, { view, ttlMs, expiresAt });
    this.add(this.byNode, nodeKey(view.Node), view.ID);
    for (const c of checkIdsOf(view)) this.add(this.byCheck, checkKey(view.Node, c), view.ID);
    this.bump(idx);
    tx.defer(this.watches, [TABLE_KEY, idKey(view.ID), nodeKey(view.Node)], undefined);
    if (expiresAt > 0) tx.defer(this, view.ID, expiresAt);
  }

  private bump(idx: number): void {
    if (idx <= this.index) return;
    this.tx.record(this, UNDO_INDEX, this.index, undefined);
    this.index = idx;
  }

  /** Adds `id` to the set at `k`, journaled. */
  private add(m: Map<string, Set<string>>, k: string, id: string): void {
    let set = m.get(k);
    if (!set) {
      set = new Set();
      this.tx.mapSet(m, k, set);
    }
    this.tx.setAdd(set, id);
  }

  /** Removes `id` from the set at `k` (and the set once empty), journaled. */
  private drop(m: Map<string, Set<string>>, k: string, id: string): void {
    const set = m.get(k);
    if (!set) return;
    this.tx.setDelete(set, id);
    if (set.size === 0) this.tx.mapDelete(m, k);
  }

  private tellTtl(id: string, expiresAt: number): void {
    for (const fn of this.ttlListeners) {
      try {
        fn(id, expiresAt);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }
}

/** Every check ID a session is bound to (Consul's Session.CheckIDs: Checks, NodeChecks, ServiceChecks). */
export function checkIdsOf(s: Pick<Session, 'NodeChecks' | 'ServiceChecks' | 'Checks'>): string[] {
  const out = new Set<string>(s.Checks ?? []);
  for (const c of s.NodeChecks ?? []) out.add(c);
  for (const c of s.ServiceChecks ?? []) out.add(c.ID);
  return [...out];
}

function add(m: Map<string, Set<string>>, k: string, id: string): void {
  let set = m.get(k);
  if (!set) {
    set = new Set();
    m.set(k, set);
  }
  set.add(id);
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
  }
  return v;
}

function parseSnapshot(snap: unknown): SessionTableSnapshot {
  if (snap === undefined || snap === null) return { index: 0, sessions: [] };
  const bad = (what: string): SextantError => new SextantError(ErrorCode.StorageCorrupt, `corrupt sessions snapshot: ${what}`);
  if (typeof snap !== 'object') throw bad('not a record');
  const s = snap as Record<string, unknown>;
  if (typeof s.index !== 'number' || !Number.isSafeInteger(s.index) || s.index < 0 || !Array.isArray(s.sessions)) throw bad('missing index or sessions');
  const rows: SessionTableSnapshot['sessions'] = [];
  for (const row of s.sessions as unknown[]) {
    if (!Array.isArray(row) || row.length !== 3) throw bad('session is not a [session, ttlMs, expiresAt] row');
    const [view, ttlMs, expiresAt] = row as unknown[];
    const v = view as Partial<Session> | null;
    if (typeof v !== 'object' || v === null || typeof v.ID !== 'string' || typeof v.Node !== 'string' || (v.Behavior !== 'release' && v.Behavior !== 'delete')) {
      throw bad('a session has a bad ID, Node or Behavior');
    }
    if (typeof ttlMs !== 'number' || typeof expiresAt !== 'number' || !(ttlMs >= 0) || !(expiresAt >= 0)) throw bad(`session ${v.ID} has a bad TTL or deadline`);
    rows.push([deepFreeze(v as Session), ttlMs, expiresAt]);
  }
  return { index: s.index, sessions: rows };
}
