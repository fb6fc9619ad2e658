import sqlite3 from 'sqlite3';
import { ErrorCode, SextantError } from '../../contracts/errors.js';

/** A value SQLite can bind: numbers, strings, blobs and null. */
export type SqlValue = number | string | Uint8Array | null;

/** A prepared statement on a {@link SqliteConnection}. */
export interface PreparedStatement {
  /** Runs the statement with `params`; resolves with the number of rows it changed. */
  run(params: readonly SqlValue[]): Promise<number>;
  /** Releases the statement. */
  finalize(): Promise<void>;
}

/** Turns a driver error into a SextantError: STORAGE_CORRUPT for a damaged file, STORAGE_FAILED otherwise. */
export function storageError(what: string, err: unknown): SextantError {
  const code = (err as { code?: unknown } | null)?.code;
  const corrupt = code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
  const detail = err instanceof Error ? err.message : String(err);
  return new SextantError(
    corrupt ? ErrorCode.StorageCorrupt : ErrorCode.StorageFailed,
    `${what}: ${detail}`,
    { sqliteCode: typeof code === 'string' ? code : undefined },
    { cause: err },
  );
}

/**
 * One SQLite connection (the `sqlite3` package) behind promises. This file is the only one
 * that touches the driver, so replacing the deprecated `sqlite3` with better-sqlite3 or
 * node:sqlite is a change here. The connection does not order calls itself: callers that need
 * BEGIN … COMMIT to stay together serialize their own calls.
 */
export class SqliteConnection {
  private constructor(private readonly db: sqlite3.Database) {}

  /** Opens (creating if needed) the database file at `path` with the given busy timeout. */
  static open(path: string, busyTimeoutMs: number): Promise<SqliteConnection> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => {
        if (err) {
          reject(storageError(`cannot open ${path}`, err));
          return;
        }
        db.configure('busyTimeout', busyTimeoutMs);
        resolve(new SqliteConnection(db));
      });
    });
  }

  /** Runs one statement; resolves with the number of rows it changed. */
  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve(this.changes);
      });
    });
  }

  /**
   * Runs a query (meant for one that yields at most one row) to its end; resolves with its first
   * row, or undefined. The driver's own `get` stops at the first row and leaves the statement
   * open until a later finalize, and while any statement is open the connection keeps its read
   * transaction: a query started meanwhile reads that older snapshot and misses commits made
   * since. Running to the end closes the read transaction before the promise resolves.
   */
  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /** Runs a query; resolves with all its rows. */
  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all<T>(sql, params, (err, rows) => {
        if (err) reject(err);
        else resolve(rows);
      });
    });
  }

  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** Compiles a statement for repeated use. */
  prepare(sql: string): Promise<PreparedStatement> {
    return new Promise((resolve, reject) => {
      const stmt = this.db.prepare(sql, (err) => {
        if (err) {
          reject(err);
          return;
        }
        resolve({
          run: (params) =>
            new Promise<number>((res, rej) => {
              stmt.run(params, function (this: sqlite3.RunResult, e: Error | null) {
                if (e) rej(e);
                else res(this.changes);
              });
            }),
          finalize: () => new Promise<void>((res) => stmt.finalize(() => res())),
        });
      });
    });
  }

  /** Closes the connection (statements must be finalized first). */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.close((err) => {
        if (err) reject(storageError('cannot close the database', err));
        else resolve();
      });
    });
  }
}
