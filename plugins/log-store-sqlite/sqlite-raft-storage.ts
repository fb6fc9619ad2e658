import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { LogEntry, LogEntryType, LogStore, RaftStorage } from '../../contracts/ports/log-store.js';
import type { Clock } from '../../contracts/platform.js';
import { FileSnapshotStore } from './file-snapshot-store.js';
import { SegmentLogStore } from './segment-log-store.js';
import { SqliteConnection, storageError } from './sqlite-connection.js';
import { SqliteLegacySnapshots } from './sqlite-legacy-snapshots.js';
import { SqliteLogStore } from './sqlite-log-store.js';
import { SqliteStableStore } from './sqlite-stable-store.js';
import type { SqliteStorageContext } from './sqlite-storage-context.js';
import { SqliteWriter } from './sqlite-writer.js';

/** Version of the database schema, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, type INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS stable (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY AUTOINCREMENT, last_index INTEGER NOT NULL, last_term INTEGER NOT NULL, configuration BLOB NOT NULL, data BLOB NOT NULL, chunk_set INTEGER);
CREATE TABLE IF NOT EXISTS snapshot_chunk (set_id INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (set_id, seq));
`;

/** How {@link SqliteRaftStorage.open} opens the database. */
export interface SqliteRaftStorageOptions {
  /**
   * `full` (default): the WAL is fsync'd at every commit, so an acknowledged write survives
   * power loss; this is what Raft needs. `normal` fsyncs only at checkpoints: commits survive
   * a process crash but may roll back after power loss or an OS crash, so it is only for dev
   * mode and must never back a real server.
   */
  synchronous?: 'full' | 'normal';
  /** How long a connection waits for a lock held by another connection (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Paces snapshot saves (see FileSnapshotStore); without it a save writes back to back. */
  clock?: Clock;
  /**
   * Where the log's entries live. `segments` (default): append-only files in `log/` beside the
   * database (SegmentLogStore); entries an older version kept in the database move there on
   * the first open. `sqlite`: the database's `log` table, as before; refused once segment files
   * exist.
   */
  log?: 'segments' | 'sqlite';
  /** Segment file size for `segments` (default DEFAULT_SEGMENT_BYTES). */
  segmentBytes?: number;
}

/** Rows read at a time when moving a database's log into segment files. */
const MIGRATE_ROWS = 4096;

/**
 * RaftStorage beside one SQLite database file (the `sqlite3` package, WAL mode,
 * synchronous=FULL): the log's entries in append-only segment files in `log/`
 * (SegmentLogStore; or, with `log: 'sqlite'`, in the database's `log` table), the hard state and
 * key/value slot in the database, snapshots as files in `snapshots/` (FileSnapshotStore; older
 * versions' snapshot rows are still read). Database writes use a dedicated connection and one
 * FIFO writer queue with group commit; reads use a second connection and see only committed data.
 */
export class SqliteRaftStorage implements RaftStorage {
  readonly log: LogStore;
  readonly stable: SqliteStableStore;
  readonly snapshots: FileSnapshotStore;
  private readonly writer: SqliteWriter;
  private readonly reads = new Set<Promise<unknown>>();
  private released = 0;
  private shutdown: Promise<void> | undefined;

  private constructor(
    private readonly writeConn: SqliteConnection,
    private readonly readConn: SqliteConnection,
    bounds: { first: number; last: number },
    snapshotDir: string,
    clock: Clock | undefined,
    segmentLog: SegmentLogStore | undefined,
  ) {
    let tableLog: SqliteLogStore | undefined;
    this.writer = new SqliteWriter(writeConn, (min, max) => tableLog?.noteAppended(min, max));
    const ctx: SqliteStorageContext = {
      writer: this.writer,
      read: (what, run) => this.read(what, run),
      release: () => this.release(),
    };
    if (!segmentLog) tableLog = new SqliteLogStore(ctx, bounds);
    this.log = segmentLog ?? tableLog!;
    this.stable = new SqliteStableStore(ctx);
    this.snapshots = new FileSnapshotStore(snapshotDir, new SqliteLegacySnapshots(ctx), () => this.release(), clock);
  }

  /**
   * Opens (creating it and its directory if needed) the database at `path`, sets WAL mode,
   * the synchronous level and the busy timeout, creates or checks the schema and loads the
   * log's first/last index. Rejects with STORAGE_FAILED when the file cannot be opened, or
   * STORAGE_CORRUPT when it is not a database or has a newer schema.
   */
  static async open(path: string, opts: SqliteRaftStorageOptions = {}): Promise<SqliteRaftStorage> {
    const busy = opts.busyTimeoutMs ?? 5000;
    const sync = opts.synchronous === 'normal' ? 'NORMAL' : 'FULL';
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (err) {
      throw storageError(`cannot create the directory of ${path}`, err);
    }
    const opened: SqliteConnection[] = [];
    let segmentLog: SegmentLogStore | undefined;
    try {
      const w = await SqliteConnection.open(path, busy);
      opened.push(w);
      const mode = await w.get<{ journal_mode: string }>('PRAGMA journal_mode=WAL');
      if (mode?.journal_mode !== 'wal') {
        throw new SextantError(ErrorCode.StorageFailed, `${path}: cannot switch to WAL mode (got ${mode?.journal_mode ?? 'nothing'})`);
      }
      await w.run(`PRAGMA synchronous=${sync}`);
      await w.run('BEGIN IMMEDIATE');
      try {
        const v = (await w.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
        if (v > SCHEMA_VERSION) {
          throw new SextantError(ErrorCode.StorageCorrupt, `${path}: schema version ${v} is newer than this Sextant understands (${SCHEMA_VERSION})`);
        }
        await w.exec(SCHEMA);
        // Schema 1 → 2: snapshots may be stored in chunks (snapshot.chunk_set → snapshot_chunk rows).
        const cols = await w.all<{ name: string }>('PRAGMA table_info(snapshot)');
        if (!cols.some((c) => c.name === 'chunk_set')) await w.run('ALTER TABLE snapshot ADD COLUMN chunk_set INTEGER');
        if (v < SCHEMA_VERSION) await w.run(`PRAGMA user_version=${SCHEMA_VERSION}`);
        await w.run('COMMIT');
      } catch (err) {
        await w.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      const b = await w.get<{ lo: number | null; hi: number | null }>('SELECT min(idx) AS lo, max(idx) AS hi FROM log');
      const segmentDir = join(dirname(path), 'log');
      if (opts.log === 'sqlite' && (await SegmentLogStore.hasSegments(segmentDir))) {
        throw new SextantError(ErrorCode.StorageFailed, `${segmentDir}: the raft log is kept in segment files here, which the "sqlite" log setting cannot read`);
      }
      let storage: SqliteRaftStorage | undefined;
      if (opts.log !== 'sqlite') {
        segmentLog = await SegmentLogStore.open(segmentDir, () => storage?.release() ?? Promise.resolve(), opts.segmentBytes);
        if (b?.lo != null) await moveTableLog(w, segmentLog);
      }
      const r = await SqliteConnection.open(path, busy);
      opened.push(r);
      await r.run('PRAGMA query_only=1');
      storage = new SqliteRaftStorage(w, r, { first: b?.lo ?? 0, last: b?.hi ?? 0 }, join(dirname(path), 'snapshots'), opts.clock, segmentLog);
      return storage;
    } catch (err) {
      await segmentLog?.close().catch(() => undefined);
      for (const c of opened.reverse()) await c.close().catch(() => undefined);
      throw err instanceof SextantError ? err : storageError(`cannot open ${path}`, err);
    }
  }

  /** Closes the log, stable and snapshot stores: waits for queued writes, then closes the database. Idempotent. */
  async close(): Promise<void> {
    await Promise.all([this.log.close(), this.stable.close(), this.snapshots.close()]);
    await this.shutdown;
  }

  private async read<T>(what: string, run: (c: SqliteConnection) => Promise<T>): Promise<T> {
    const p = run(this.readConn);
    this.reads.add(p);
    try {
      return await p;
    } catch (err) {
      throw storageError(what, err);
    } finally {
      this.reads.delete(p);
    }
  }

  private release(): Promise<void> {
    this.released += 1;
    if (this.released < 3) return this.writer.drain();
    this.shutdown ??= (async () => {
      await this.writer.drain();
      await Promise.allSettled([...this.reads]);
      await this.writer.finalize();
      await this.readConn.close();
      await this.writeConn.close();
    })();
    return this.shutdown;
  }
}

/**
 * Moves the entries an older version kept in the database's `log` table into the segment log:
 * first empties the segment log (a move a crash interrupted left a partial copy there), copies
 * the rows in runs of consecutive indexes, and deletes them only once the copy is durable.
 */
async function moveTableLog(w: SqliteConnection, log: SegmentLogStore): Promise<void> {
  await log.deleteRange(1, Infinity);
  interface Row {
    idx: number;
    term: number;
    type: number;
    data: Uint8Array | null;
  }
  for (let after = 0; ; ) {
    const rows = await w.all<Row>('SELECT idx, term, type, data FROM log WHERE idx > ? ORDER BY idx LIMIT ?', [after, MIGRATE_ROWS]);
    if (rows.length === 0) break;
    let run: LogEntry[] = [];
    for (const row of rows) {
      if (run.length > 0 && row.idx !== run[run.length - 1]!.index + 1) {
        await log.storeLogs(run);
        run = [];
      }
      run.push({ index: row.idx, term: row.term, type: row.type as LogEntryType, data: row.data ?? new Uint8Array(0) });
    }
    await log.storeLogs(run);
    after = rows[rows.length - 1]!.idx;
  }
  await w.run('DELETE FROM log');
  await w.get('PRAGMA wal_checkpoint(TRUNCATE)');
}
