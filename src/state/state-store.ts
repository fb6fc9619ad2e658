import { decode } from '@msgpack/msgpack';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { AppliedEntry, StateMachine } from '../../contracts/ports/state-machine.js';
import type { KvChange } from '../../contracts/hooks.js';
import type { Command } from './command.js';
import { decodeCommand } from './command-codec.js';
import { encodeSliced } from './sliced-msgpack.js';
import type { KvReader } from './kv-reader.js';
import { KvTable } from './kv-table.js';
import type { CatalogReader } from './catalog-reader.js';
import { CatalogTable, type CatalogLoss } from './catalog-table.js';
import type { KvLockResult, SessionCreateCommand, SessionWriteResult } from './session-command.js';
import type { SessionReader } from './session-reader.js';
import { SessionTable, checkIdsOf } from './session-table.js';
import { MAX_LOCK_DELAY_MS } from './kv-table.js';
import { applyTxn, type TxnTables } from './txn-apply.js';

/**
 * Snapshot envelope versions: v1 = KV only; v2 = KV + catalog; v3 = KV (with lock-delays) +
 * catalog + sessions (written today). restore() accepts all three.
 */
const SNAPSHOT_V1 = 1;
const SNAPSHOT_V2 = 2;
const SNAPSHOT_V3 = 3;

/** Options of a StateStore. */
export interface StateStoreOptions {
  /** Told when a watcher callback throws during apply/restore (apply itself goes on). */
  onWatcherError?: (e: unknown) => void;
  /** Told of every applied write that changed KV keys (drives the kvChanged hook). Must not throw. */
  onKvChange?: (change: KvChange) => void;
  /** Told of every applied write that changed the catalog, with the affected service names (drives the catalogChanged hook). Must not throw. */
  onCatalogChange?: (services: readonly string[]) => void;
}

/**
 * The replicated state: the kernel's StateMachine. Holds the tables (KV, catalog and sessions;
 * ACL later), applies decoded commands deterministically at the entry's Raft index,
 * and serializes everything (tombstones and indexes included) into a versioned msgpack
 * snapshot. Readers use the read-only table views (`kv`) and park blocking queries on their
 * watches.
 */
export class StateStore implements StateMachine {
  private readonly kvTable: KvTable;
  private readonly catalogTable: CatalogTable;
  private readonly sessionTable: SessionTable;
  private readonly txnTables: TxnTables;
  private applied = 0;

  constructor(opts: StateStoreOptions = {}) {
    this.kvTable = new KvTable(opts.onWatcherError, opts.onKvChange);
    this.catalogTable = new CatalogTable(opts.onWatcherError, opts.onCatalogChange);
    this.sessionTable = new SessionTable(opts.onWatcherError);
    this.txnTables = {
      kv: this.kvTable,
      catalog: this.catalogTable,
      sessions: this.sessionTable,
      catalogWritten: (idx, now) => void this.afterCatalogWrite(idx, undefined, now),
    };
  }

  /** The sessions table, read side. */
  get sessions(): SessionReader {
    return this.sessionTable;
  }

  /** The catalog (nodes, services, checks), read side. */
  get catalog(): CatalogReader {
    return this.catalogTable;
  }

  /** The KV table, read side (reads, indexes, watches). */
  get kv(): KvReader {
    return this.kvTable;
  }

  /** Total parked watchers across all tables. */
  watcherCount(): number {
    return this.kvTable.watcherCount() + this.catalogTable.watcherCount() + this.sessionTable.watcherCount();
  }

  /**
   * Decodes and applies one committed command at `entry.index` and returns its result (KV
   * commands: Consul's boolean). Throws COMMAND_INVALID for undecodable or unknown commands and
   * INTERNAL when `entry.index` is not above lastApplied(); in both cases nothing changes.
   */
  apply(entry: AppliedEntry): unknown {
    if (!(Number.isSafeInteger(entry.index) && entry.index > this.applied)) {
      throw new SextantError(ErrorCode.Internal, `entry index ${entry.index} is not after the last applied index ${this.applied}`);
    }
    const cmd = decodeCommand(entry.data);
    const result = this.dispatch(entry.index, cmd);
    this.applied = entry.index;
    return result;
  }

  /** The index of the last applied entry (0 initially, or the restored snapshot's index). */
  lastApplied(): number {
    return this.applied;
  }

  /**
   * A versioned msgpack image `{ v: 3, lastApplied, kv, catalog, sessions }` of the whole state,
   * encoded in slices (see StateMachine.snapshot: nothing is applied until it settles).
   */
  snapshot(): Promise<Uint8Array> {
    return encodeSliced({
      v: SNAPSHOT_V3,
      lastApplied: this.applied,
      kv: this.kvTable.toSnapshot(),
      catalog: this.catalogTable.toSnapshot(),
      sessions: this.sessionTable.toSnapshot(),
    });
  }

  /**
   * Replaces the whole state with `data` (from snapshot()), sets lastApplied to `lastIndex` and
   * wakes every watcher with reason `reset`. Throws STORAGE_CORRUPT (state untouched) when the
   * image cannot be read or has an unknown version.
   */
  restore(data: Uint8Array, lastIndex: number): void {
    let raw: unknown;
    try {
      raw = decode(data);
    } catch (e) {
      throw new SextantError(ErrorCode.StorageCorrupt, `corrupt state snapshot: ${(e as Error).message}`, undefined, { cause: e });
    }
    if (typeof raw !== 'object' || raw === null) throw new SextantError(ErrorCode.StorageCorrupt, 'corrupt state snapshot: not a record');
    const img = raw as Record<string, unknown>;
    if (img.v !== SNAPSHOT_V1 && img.v !== SNAPSHOT_V2 && img.v !== SNAPSHOT_V3) {
      throw new SextantError(ErrorCode.StorageCorrupt, `unknown state snapshot version ${String(img.v)}`);
    }
    // Validate the catalog and sessions parts before touching anything (older images lack them: empty).
    const withCatalog = img.v !== SNAPSHOT_V1;
    const withSessions = img.v === SNAPSHOT_V3;
    new CatalogTable().load(withCatalog ? img.catalog : undefined);
    new SessionTable().load(withSessions ? img.sessions : undefined);
    this.kvTable.load(img.kv);
    this.catalogTable.load(withCatalog ? img.catalog : undefined);
    this.sessionTable.load(withSessions ? img.sessions : undefined);
    this.applied = lastIndex;
  }

  /** See StateMachine.close: wakes every parked watcher of every table with reason `reset`. */
  close(): void {
    this.kvTable.wakeWatchers();
    this.catalogTable.wakeWatchers();
    this.sessionTable.wakeWatchers();
  }

  private dispatch(idx: number, cmd: Command): unknown {
    const kv = this.kvTable;
    switch (cmd.type) {
      case 'kv.set':
        return kv.set(idx, cmd.key, cmd.value, cmd.flags);
      case 'kv.cas':
        return kv.cas(idx, cmd.key, cmd.value, cmd.flags, cmd.index);
      case 'kv.delete':
        return kv.delete(idx, cmd.key);
      case 'kv.delete-cas':
        return kv.deleteCas(idx, cmd.key, cmd.index);
      case 'kv.delete-tree':
        return kv.deleteTree(idx, cmd.prefix);
      case 'kv.tombstone-reap':
        return kv.reapTombstones(cmd.index);
      case 'catalog.register':
        return this.afterCatalogWrite(idx, this.catalogTable.register(idx, cmd), cmd.now);
      case 'catalog.deregister':
        return this.afterCatalogWrite(idx, this.catalogTable.deregister(idx, cmd), cmd.now);
      case 'kv.lock':
        return this.lock(idx, cmd.key, cmd.value, cmd.flags, cmd.session, cmd.now);
      case 'kv.unlock':
        if (cmd.session === '') return { error: 'missing session' } satisfies KvLockResult;
        return kv.unlock(idx, cmd.key, cmd.value, cmd.flags, cmd.session);
      case 'session.create':
        return this.createSession(idx, cmd);
      case 'session.destroy':
        this.invalidate(idx, cmd.id, cmd.now);
        return true;
      case 'session.renew':
        return this.sessionTable.renew(cmd.ids, cmd.now);
      case 'session.expire': {
        const s = this.sessionTable.get(cmd.id);
        if (!s || s.expiresAt === 0 || s.expiresAt > cmd.now) return false;
        this.invalidate(idx, cmd.id, cmd.now);
        return true;
      }
      case 'txn':
        return applyTxn(idx, cmd, this.txnTables);
    }
  }

  /**
   * Consul's KVS lock: refused (false) while the key's lock-delay runs past `now` — checked
   * first, as Consul's leader does before committing — then an error value for a missing or
   * unknown session, then kvsLockTxn.
   */
  private lock(idx: number, key: string, value: Uint8Array, flags: string, session: string, now: number): KvLockResult {
    const kv = this.kvTable;
    if (kv.lockDelayUntil(key) > now) return false;
    if (session === '') return { error: 'missing session' };
    if (!this.sessionTable.get(session)) return { error: `invalid session ${JSON.stringify(session)}` };
    return kv.lock(idx, key, value, flags, session, now);
  }

  /** Consul's sessionCreateTxn: the node must exist, and every check exist on it and not be critical. */
  private createSession(idx: number, cmd: SessionCreateCommand): SessionWriteResult {
    const f = cmd.session;
    if (this.sessionTable.get(f.ID)) return { ok: false, error: 'Session ID already exists' };
    if (!this.catalogTable.node(f.Node).value) return { ok: false, error: 'Missing node registration' };
    for (const checkId of checkIdsOf(f)) {
      const check = this.catalogTable.check(f.Node, checkId);
      if (!check) return { ok: false, error: `Missing check '${checkId}' registration` };
      if (check.Status === 'critical') return { ok: false, error: `Check '${checkId}' is in critical state` };
    }
    this.sessionTable.create(idx, f, cmd.ttlMs, cmd.now);
    return { ok: true };
  }

  /**
   * Invalidates session `id` at `idx` (Consul's sessionDestroyTxn): removes it, then releases or
   * deletes every key it held per its Behavior, starting on each the lock-delay
   * min(LockDelay, 60 s) from `now` (the proposing leader's clock). Absent: nothing happens.
   */
  private invalidate(idx: number, id: string, now: number): void {
    const s = this.sessionTable.remove(idx, id);
    if (!s) return;
    const delayMs = Math.min(s.view.LockDelay / 1e6, MAX_LOCK_DELAY_MS);
    this.kvTable.releaseSession(idx, id, s.view.Behavior, delayMs > 0 && now > 0 ? now + delayMs : 0);
  }

  /** After a catalog write: invalidates the sessions bound to a node or check it took away (same index). */
  private afterCatalogWrite(idx: number, result: unknown, now: number | undefined): unknown {
    const losses: CatalogLoss[] = this.catalogTable.takeLosses();
    for (const loss of losses) {
      const ids = loss.checkId === undefined ? this.sessionTable.idsOnNode(loss.node) : this.sessionTable.idsOnCheck(loss.node, loss.checkId);
      for (const id of ids) this.invalidate(idx, id, now ?? 0);
    }
    return result;
  }
}
