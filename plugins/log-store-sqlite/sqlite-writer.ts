import type { LogEntry } from '../../contracts/ports/log-store.js';
import type { PreparedStatement, SqliteConnection } from './sqlite-connection.js';
import { storageError } from './sqlite-connection.js';
import { WriteQueue } from './write-queue.js';

/** Rows per INSERT statement (see insertChunk), which bounds the text and blob built for one. */
export const MAX_ROWS_PER_INSERT = 256;

interface AppendCall {
  entries: readonly LogEntry[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

type Op =
  | { kind: 'append'; calls: AppendCall[] }
  | {
      kind: 'task';
      what: string;
      transactional: boolean;
      /** false: committed without an fsync of its own (see transaction). */
      durable: boolean;
      run: (c: SqliteConnection) => Promise<unknown>;
      resolve: (v: unknown) => void;
      reject: (err: unknown) => void;
    };

/** Called after an append batch commits, with the lowest and highest index it wrote. */
export type AppendedListener = (minIndex: number, maxIndex: number) => void;

/**
 * The single writer on the log database's dedicated write connection. Every write (log
 * appends, deletions, hard state, snapshots) is an operation in one FIFO queue and runs in its
 * own transaction, so writes become durable in the order they were made.
 *
 * Group commit: storeLogs calls made while no append batch has started (at least everything in
 * one event-loop turn, and everything that arrives while the previous transaction fsyncs) join
 * one batch: one transaction, one INSERT OR REPLACE per chunk of
 * {@link MAX_ROWS_PER_INSERT} rows, one fsync (a batch of one chunk is a single autocommit
 * statement, which SQLite makes atomic by itself). The batch's calls resolve in call order after
 * COMMIT; if anything fails the transaction is rolled back and every call of the batch rejects.
 */
export class SqliteWriter {
  private readonly queue = new WriteQueue<Op>((op) => (op.kind === 'append' ? this.runAppend(op.calls) : this.runTask(op)));
  private insert: PreparedStatement | undefined;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly onAppended: AppendedListener,
  ) {}

  /** Queues `entries` (already validated) for the next append batch; resolves after its COMMIT. */
  append(entries: readonly LogEntry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const newest = this.queue.newest();
      if (newest?.kind === 'append') newest.calls.push({ entries, resolve, reject });
      else this.queue.push({ kind: 'append', calls: [{ entries, resolve, reject }] });
    });
  }

  /**
   * Queues `run` to execute inside its own transaction after every write queued before it;
   * resolves with its result after COMMIT. On failure the transaction is rolled back and the
   * promise rejects with STORAGE_FAILED (or STORAGE_CORRUPT) mentioning `what`.
   *
   * With `durable: false` the transaction commits without an fsync of its own (and without
   * running an automatic WAL checkpoint): its frames are in the WAL in commit order, so they
   * become durable with the next durable commit, which fsyncs the WAL as a whole. Use it for
   * writes nothing is acknowledged on until a later durable commit (a snapshot's chunks before
   * the row that makes the snapshot visible); a crash before that commit may drop them.
   */
  transaction<T>(what: string, run: (c: SqliteConnection) => Promise<T>, opts: { durable?: boolean } = {}): Promise<T> {
    return this.task(what, run, true, opts.durable ?? true);
  }

  /**
   * Queues `run` to execute after every write queued before it, outside any transaction: each
   * statement it runs commits (and fsyncs) on its own. For one statement, which is atomic by
   * itself, this saves the BEGIN and COMMIT trips of {@link transaction}; each trip waits for a
   * turn of the event loop, which is what a write waits for under load. Rejects as transaction.
   */
  autocommit<T>(what: string, run: (c: SqliteConnection) => Promise<T>): Promise<T> {
    return this.task(what, run, false, true);
  }

  /**
   * Queues `PRAGMA wal_checkpoint(TRUNCATE)` (outside any transaction) after every write queued
   * before it: copies the WAL into the database file and truncates the WAL to zero bytes.
   */
  async checkpoint(): Promise<void> {
    await this.autocommit('cannot checkpoint the WAL', (c) => c.get('PRAGMA wal_checkpoint(TRUNCATE)'));
  }

  /** Resolves once every queued write has finished (committed or failed). */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Releases the cached statements. Call after {@link drain}, before closing the connection. */
  async finalize(): Promise<void> {
    const stmt = this.insert;
    this.insert = undefined;
    await stmt?.finalize();
  }

  /** Queues a task op (see transaction and autocommit) and resolves with its result. */
  private task<T>(what: string, run: (c: SqliteConnection) => Promise<T>, transactional: boolean, durable: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'task', what, transactional, durable, run, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private async runTask(op: Extract<Op, { kind: 'task' }>): Promise<void> {
    try {
      const result = !op.transactional ? await op.run(this.conn) : op.durable ? await this.inTransaction(op.run) : await this.withoutSync(() => this.inTransaction(op.run));
      op.resolve(result);
    } catch (err) {
      op.reject(storageError(op.what, err));
    }
  }

  private async runAppend(calls: AppendCall[]): Promise<void> {
    const rows: LogEntry[] = [];
    for (const c of calls) for (const e of c.entries) rows.push(e);
    try {
      if (rows.length > 0 && rows.length <= MAX_ROWS_PER_INSERT) {
        // One statement is its own (autocommit) transaction: atomic, one fsync, no BEGIN/COMMIT trips.
        await this.insertChunk(rows);
      } else if (rows.length > 0) {
        await this.inTransaction(async () => {
          for (let at = 0; at < rows.length; at += MAX_ROWS_PER_INSERT) {
            await this.insertChunk(rows.slice(at, at + MAX_ROWS_PER_INSERT));
          }
        });
      }
      if (rows.length > 0) {
        let min = Infinity;
        let max = 0;
        for (const e of rows) {
          if (e.index < min) min = e.index;
          if (e.index > max) max = e.index;
        }
        this.onAppended(min, max);
      }
    } catch (err) {
      const failure = storageError('cannot append log entries', err);
      for (const c of calls) c.reject(failure);
      return;
    }
    for (const c of calls) c.resolve();
  }

  /**
   * Writes `chunk` with one INSERT of two parameters: the rows' numbers as JSON text
   * (`[[index, term, type, offset, length], …]`) and their data concatenated in one blob, which
   * SQLite splits with substr. node-sqlite3 converts every bound parameter on the event loop
   * (with four a row, its Statement::Run took 7.0% of a follower's CPU samples under put load;
   * with two a chunk, 3.6%).
   */
  private async insertChunk(chunk: readonly LogEntry[]): Promise<void> {
    let rows = '';
    let offset = 1;
    for (const e of chunk) {
      rows += `${rows === '' ? '[' : ','}[${e.index},${e.term},${e.type},${offset},${e.data.byteLength}]`;
      offset += e.data.byteLength;
    }
    const data = Buffer.concat(chunk.map((e) => e.data), offset - 1);
    await (await this.insertStatement()).run([`${rows}]`, data]);
  }

  private async inTransaction<T>(run: (c: SqliteConnection) => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN IMMEDIATE');
    try {
      const result = await run(this.conn);
      await this.conn.run('COMMIT');
      return result;
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Runs `fn` with synchronous=OFF and no automatic checkpoint, then puts both settings back. */
  private async withoutSync<T>(fn: () => Promise<T>): Promise<T> {
    const sync = (await this.conn.get<{ synchronous: number }>('PRAGMA synchronous'))?.synchronous ?? 2;
    const auto = (await this.conn.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint'))?.wal_autocheckpoint ?? 1000;
    await this.conn.run('PRAGMA wal_autocheckpoint=0');
    await this.conn.run('PRAGMA synchronous=OFF');
    try {
      return await fn();
    } finally {
      await this.conn.run(`PRAGMA synchronous=${Math.trunc(sync)}`);
      await this.conn.run(`PRAGMA wal_autocheckpoint=${Math.trunc(auto)}`);
    }
  }

  private async insertStatement(): Promise<PreparedStatement> {
    if (this.insert) return this.insert;
    // An empty blob parameter binds as NULL; a zero-length row keeps an empty blob.
    this.insert = await this.conn.prepare(
      `INSERT OR REPLACE INTO log(idx, term, type, data)
       SELECT value->>0, value->>1, value->>2, CASE WHEN value->>4 = 0 THEN x'' ELSE substr(?2, value->>3, value->>4) END
       FROM json_each(?1) ORDER BY key`,
    );
    return this.insert;
  }
}
