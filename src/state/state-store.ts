import { decode, encode } from '@msgpack/msgpack';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { AppliedEntry, StateMachine } from '../../contracts/ports/state-machine.js';
import type { KvChange } from '../../contracts/hooks.js';
import type { Command } from './command.js';
import { decodeCommand } from './command-codec.js';
import type { KvReader } from './kv-reader.js';
import { KvTable } from './kv-table.js';
import type { CatalogReader } from './catalog-reader.js';
import { CatalogTable } from './catalog-table.js';

/** Snapshot envelope versions: v1 = KV only; v2 = KV + catalog (written today). restore() accepts both. */
const SNAPSHOT_V1 = 1;
const SNAPSHOT_V2 = 2;

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
 * The replicated state: the kernel's StateMachine. Holds the tables (KV and catalog today; sessions,
 * ACL later), applies decoded commands deterministically at the entry's Raft index,
 * and serializes everything (tombstones and indexes included) into a versioned msgpack
 * snapshot. Readers use the read-only table views (`kv`) and park blocking queries on their
 * watches.
 */
export class StateStore implements StateMachine {
  private readonly kvTable: KvTable;
  private readonly catalogTable: CatalogTable;
  private applied = 0;

  constructor(opts: StateStoreOptions = {}) {
    this.kvTable = new KvTable(opts.onWatcherError, opts.onKvChange);
    this.catalogTable = new CatalogTable(opts.onWatcherError, opts.onCatalogChange);
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
    return this.kvTable.watcherCount() + this.catalogTable.watcherCount();
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

  /** A versioned msgpack image `{ v: 2, lastApplied, kv: KvTableSnapshot, catalog: CatalogTableSnapshot }` of the whole state. */
  snapshot(): Uint8Array {
    return encode({ v: SNAPSHOT_V2, lastApplied: this.applied, kv: this.kvTable.toSnapshot(), catalog: this.catalogTable.toSnapshot() });
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
    if (img.v !== SNAPSHOT_V1 && img.v !== SNAPSHOT_V2) throw new SextantError(ErrorCode.StorageCorrupt, `unknown state snapshot version ${String(img.v)}`);
    // Validate the catalog part before touching anything (a v1 image has none: empty catalog).
    const catalog = new CatalogTable();
    if (img.v === SNAPSHOT_V2) catalog.load(img.catalog);
    this.kvTable.load(img.kv);
    this.catalogTable.load(img.v === SNAPSHOT_V2 ? img.catalog : undefined);
    this.applied = lastIndex;
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
        return this.catalogTable.register(idx, cmd);
      case 'catalog.deregister':
        return this.catalogTable.deregister(idx, cmd);
    }
  }
}
