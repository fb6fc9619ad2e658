import type { SqliteConnection } from './sqlite-connection.js';
import type { SqliteWriter } from './sqlite-writer.js';

/** What the three SQLite stores share: the writer queue, reads, and the lifecycle of the database. */
export interface SqliteStorageContext {
  /** The one writer (dedicated connection, FIFO, one transaction per write). */
  readonly writer: SqliteWriter;
  /** Runs a read on the read connection (sees committed data only); wraps driver errors as STORAGE_FAILED. */
  read<T>(what: string, run: (c: SqliteConnection) => Promise<T>): Promise<T>;
  /** Called once by each store's close(): the database is released when all three have closed. */
  release(): Promise<void>;
}
