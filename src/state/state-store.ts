import { decode } from '@msgpack/msgpack';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { AppliedEntry, StateMachine } from '../../contracts/ports/state-machine.js';
import type { KvChange } from '../../contracts/hooks.js';
import type { Clock } from '../../contracts/platform.js';
import { decodeCommand } from './command-codec.js';
import { entryFor } from './command-registry.js';
import { encodeSliced } from './sliced-msgpack.js';
import type { KvReader } from './kv-reader.js';
import { KvTable, lazySnapshot } from './kv-table.js';
import { KvRowCache } from './snapshot-row-cache.js';
import { PrefaultedAllocator } from './prefaulted-allocator.js';
import { LoopShare } from './loop-share.js';
import { AutopilotConfigTable, type AutopilotConfigReader } from './autopilot-config-table.js';
import type { CatalogReader } from './catalog-reader.js';
import { CatalogTable } from './catalog-table.js';
import type { CoordinateReader } from './coordinate-reader.js';
import { CoordinateTable } from './coordinate-table.js';
import type { SessionReader } from './session-reader.js';
import { SessionTable } from './session-table.js';
import type { StateTables } from './state-tables.js';
import { StateTxn } from './state-txn.js';
import type { TxnReaders } from './txn-apply.js';

/**
 * Snapshot envelope versions: v1 = KV only; v2 = KV + catalog; v3 = KV (with lock-delays) +
 * catalog + sessions (written today). restore() accepts all three. A v3 image may carry
 * `coordinates` (absent: none): soft state that a reader which predates it may drop, as Consul
 * marks its coordinate updates safe to ignore, so it needs no new version; likewise `autopilot`
 * (absent: no stored autopilot configuration, which the next leader seeds from its config).
 */
const SNAPSHOT_V1 = 1;
const SNAPSHOT_V2 = 2;
const SNAPSHOT_V3 = 3;

/** The part of a busy event loop a snapshot's encode may take (see LoopShare). */
const SNAPSHOT_LOOP_SHARE = 0.1;

/** Options of a StateStore. */
export interface StateStoreOptions {
  /** Paces snapshot encodes to a share of a busy event loop (LoopShare); without it they take a slice every turn. */
  clock?: Clock;
  /** Told when a watcher callback or a change listener throws during apply/restore (apply itself goes on). */
  onWatcherError?: (e: unknown) => void;
  /** Told of every applied write that changed KV keys (drives the kvChanged hook). Must not throw. */
  onKvChange?: (change: KvChange) => void;
  /** Told of every applied write that changed the catalog, with the affected service names (drives the catalogChanged hook). Must not throw. */
  onCatalogChange?: (services: readonly string[]) => void;
}

/**
 * The replicated state: the kernel's StateMachine. Holds the tables (KV, catalog, sessions and
 * coordinates; ACL later), applies decoded commands deterministically at the entry's Raft index — each
 * through its command registry entry, inside one StateTxn over the tables — and serializes everything (tombstones and indexes included) into a versioned msgpack
 * snapshot. Readers use the read-only table views (`kv`) and park blocking queries on their
 * watches.
 */
export class StateStore implements StateMachine, TxnReaders {
  private readonly tx: StateTxn;
  private readonly kvTable: KvTable;
  private readonly catalogTable: CatalogTable;
  private readonly sessionTable: SessionTable;
  private readonly coordinateTable: CoordinateTable;
  private readonly autopilotTable: AutopilotConfigTable;
  private readonly tables: StateTables;
  /** Where the KV rows lie in the last image snapshot() produced, for the next one to reuse. */
  private readonly kvRows = new KvRowCache();
  /** Image buffers with their pages mapped off the main thread. */
  private readonly imageBuffers = new PrefaultedAllocator();
  private applied = 0;
  private readonly clock: Clock | undefined;

  constructor(opts: StateStoreOptions = {}) {
    this.clock = opts.clock;
    this.tx = new StateTxn(opts.onWatcherError);
    this.kvTable = new KvTable(this.tx, opts.onWatcherError, opts.onKvChange);
    this.catalogTable = new CatalogTable(this.tx, opts.onWatcherError, opts.onCatalogChange);
    this.sessionTable = new SessionTable(this.tx, opts.onWatcherError);
    this.coordinateTable = new CoordinateTable(this.tx, opts.onWatcherError);
    this.autopilotTable = new AutopilotConfigTable(this.tx);
    this.tables = { tx: this.tx, kv: this.kvTable, catalog: this.catalogTable, sessions: this.sessionTable, coordinates: this.coordinateTable, autopilot: this.autopilotTable };
  }

  /** The network coordinates table, read side. */
  get coordinates(): CoordinateReader {
    return this.coordinateTable;
  }

  /** The autopilot configuration, read side. */
  get autopilot(): AutopilotConfigReader {
    return this.autopilotTable;
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
    return this.kvTable.watcherCount() + this.catalogTable.watcherCount() + this.sessionTable.watcherCount() + this.coordinateTable.watcherCount();
  }

  /**
   * Decodes and applies one committed command at `entry.index` and returns its result (KV
   * commands: Consul's boolean). The command's write rule (its registry entry) runs in one
   * transaction over the tables, committed when it returns — watchers wake and hooks fire only
   * then — or aborted, leaving nothing changed, if it throws (the error propagates; lastApplied
   * stays). A `state.restore` command replaces the whole state with its image (see restore) and
   * answers true. Throws COMMAND_INVALID for undecodable or unknown commands and INTERNAL when
   * `entry.index` is not above lastApplied(); in both cases nothing changes.
   */
  apply(entry: AppliedEntry): unknown {
    if (!(Number.isSafeInteger(entry.index) && entry.index > this.applied)) {
      throw new SextantError(ErrorCode.Internal, `entry index ${entry.index} is not after the last applied index ${this.applied}`);
    }
    const cmd = decodeCommand(entry.data);
    if (cmd.type === 'state.restore') {
      // The whole state is replaced at this index (PUT /v1/snapshot); a bad image changes nothing.
      this.restore(cmd.image, entry.index);
      return true;
    }
    const tx = this.tx;
    tx.begin();
    let result: unknown;
    try {
      result = entryFor(cmd).apply(this.tables, entry.index, cmd);
    } catch (e) {
      tx.abort();
      throw e;
    }
    this.applied = entry.index;
    tx.commit();
    return result;
  }

  /** See TxnReaders.readTransaction: `fn` runs on the live tables in a transaction that is always aborted. */
  readTransaction<T>(fn: (t: StateTables, idx: number) => T): T {
    const tx = this.tx;
    tx.begin();
    try {
      return fn(this.tables, this.applied + 1);
    } finally {
      tx.abort();
    }
  }

  /** The index of the last applied entry (0 initially, or the restored snapshot's index). */
  lastApplied(): number {
    return this.applied;
  }

  /**
   * A versioned msgpack image `{ v: 3, lastApplied, kv, catalog, sessions, coordinates, autopilot? }` of the whole state
   * as it is at the call: the tables' rows are gathered synchronously (each table hands out
   * fresh row arrays over records that are replaced, never mutated, on write), then encoded in
   * slices over later turns while apply() goes on (see StateMachine.snapshot). KV rows unchanged
   * since the last image this store produced are copied from it, not encoded again (KvRowCache);
   * the image is byte for byte the one encoded from scratch.
   */
  snapshot(): Promise<Uint8Array> {
    // Taken now, on the caller's turn: the KV table (the big one) only freezes a view (its key
    // order, with copy-on-write of what later writes replace); the smaller tables copy their rows.
    const kv = this.kvTable.freeze(this.applied);
    const head = { v: SNAPSHOT_V3, lastApplied: this.applied };
    const catalog = this.catalogTable.toSnapshot();
    const sessions = this.sessionTable.toSnapshot();
    const coordinates = this.coordinateTable.toSnapshot();
    const autopilot = this.autopilotTable.toSnapshot();
    const rows = this.kvRows.entries(kv, this.applied);
    const pace = this.clock ? new LoopShare(this.clock, SNAPSHOT_LOOP_SHARE) : undefined;
    return (async () => {
      try {
        const image = await encodeSliced(
          { ...head, kv: lazySnapshot(kv, rows.rows), catalog, sessions, coordinates, ...(autopilot ? { autopilot } : {}) },
          { allocate: (bytes) => this.imageBuffers.allocate(bytes), ...(pace ? { yieldTurn: () => pace.yield() } : {}) },
        );
        rows.complete(image);
        return image;
      } finally {
        kv.release();
      }
    })();
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
    const withCoordinates = img.v === SNAPSHOT_V3;
    const scratch = new StateTxn();
    new CatalogTable(scratch).load(withCatalog ? img.catalog : undefined);
    new SessionTable(scratch).load(withSessions ? img.sessions : undefined);
    new CoordinateTable(scratch).load(withCoordinates ? img.coordinates : undefined);
    new AutopilotConfigTable(scratch).load(withCoordinates ? img.autopilot : undefined);
    // The rows of the last image describe a state that is going away (and must not be kept alive).
    this.kvRows.clear();
    this.kvTable.load(img.kv);
    this.catalogTable.load(withCatalog ? img.catalog : undefined);
    this.sessionTable.load(withSessions ? img.sessions : undefined);
    this.coordinateTable.load(withCoordinates ? img.coordinates : undefined);
    this.autopilotTable.load(withCoordinates ? img.autopilot : undefined);
    this.applied = lastIndex;
  }

  /** See StateMachine.close: wakes every parked watcher of every table with reason `reset`. */
  close(): void {
    this.kvRows.clear();
    this.imageBuffers.close();
    this.kvTable.wakeWatchers();
    this.catalogTable.wakeWatchers();
    this.sessionTable.wakeWatchers();
    this.coordinateTable.wakeWatchers();
  }
}
