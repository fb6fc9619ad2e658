import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { LogEntry, LogEntryType, LogStore } from '../../contracts/ports/log-store.js';
import { ClosedGuard } from 'sextant/plugin-sdk';
import type { SqliteStorageContext } from './sqlite-storage-context.js';
import { indexBound } from './index-bound.js';
import { invalidEntries } from '../../contracts/ports/log-entry-rules.js';

/** Deleting at least this many entries triggers `PRAGMA wal_checkpoint(TRUNCATE)`. */
export const CHECKPOINT_AFTER_DELETED = 4096;

interface LogRow {
  idx: number;
  term: number;
  type: number;
  data: Uint8Array | null;
}

function toEntry(row: LogRow): LogEntry {
  const d = row.data;
  return {
    index: row.idx,
    term: row.term,
    type: row.type as LogEntryType,
    data: d ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(0),
  };
}

/**
 * The LogStore over the `log(idx INTEGER PRIMARY KEY, term, type, data)` table. Writes go
 * through the shared writer (group commit); reads use the read connection. First and last
 * index are cached in memory, updated after each commit, so firstIndex/lastIndex never touch
 * the database.
 */
export class SqliteLogStore implements LogStore {
  private first: number;
  private last: number;
  private readonly guard = new ClosedGuard('log store');

  constructor(
    private readonly ctx: SqliteStorageContext,
    initial: { first: number; last: number },
  ) {
    this.first = initial.first;
    this.last = initial.last;
  }

  /** Updates the cached bounds after an append batch with indexes min..max committed. */
  noteAppended(min: number, max: number): void {
    this.first = this.first === 0 ? min : Math.min(this.first, min);
    this.last = Math.max(this.last, max);
  }

  /** Index of the first stored entry, or 0 when empty (from the in-memory cache). */
  async firstIndex(): Promise<number> {
    this.guard.check();
    return this.first;
  }

  /** Index of the last stored entry, or 0 when empty (from the in-memory cache). */
  async lastIndex(): Promise<number> {
    this.guard.check();
    return this.last;
  }

  /** The entry at `index`, or undefined when absent. */
  async getLog(index: number): Promise<LogEntry | undefined> {
    this.guard.check();
    if (this.last === 0 || !(index >= this.first && index <= this.last)) return undefined;
    const row = await this.ctx.read('cannot read the log', (c) =>
      c.get<LogRow>('SELECT idx, term, type, data FROM log WHERE idx = ?', [indexBound(index, false)]),
    );
    return row && row.idx === index ? toEntry(row) : undefined;
  }

  /** Entries with lo ≤ index ≤ hi, ascending; absent indexes are skipped. */
  async getLogs(lo: number, hi: number): Promise<LogEntry[]> {
    this.guard.check();
    if (this.last === 0 || hi < lo || hi < this.first || lo > this.last) return [];
    const from = Math.max(indexBound(lo, true), this.first);
    const to = Math.min(indexBound(hi, false), this.last);
    const rows = await this.ctx.read('cannot read the log', (c) =>
      c.all<LogRow>('SELECT idx, term, type, data FROM log WHERE idx BETWEEN ? AND ? ORDER BY idx', [from, to]),
    );
    return rows.map(toEntry);
  }

  /**
   * Appends or overwrites `entries` durably (group-committed with other calls of the same turn).
   * Rejects with STORAGE_FAILED when the entries are not contiguous and ascending or when the
   * transaction fails; either way none of them is stored.
   */
  async storeLogs(entries: readonly LogEntry[]): Promise<void> {
    this.guard.check();
    const bad = invalidEntries(entries);
    if (bad) throw new SextantError(ErrorCode.StorageFailed, `cannot store log entries: ${bad}`);
    return this.ctx.writer.append(entries);
  }

  /**
   * Durably removes entries with min ≤ index ≤ max; checkpoints the WAL after a big deletion.
   * One DELETE statement in its own commit (atomic by itself). The log is contiguous, so the new
   * bounds of a deleted prefix or suffix follow from the old ones, read when the DELETE runs
   * (after every append queued before it); a hole in the middle leaves both bounds as they are.
   */
  async deleteRange(min: number, max: number): Promise<void> {
    this.guard.check();
    if (max < min) return;
    const lo = indexBound(min, false);
    const hi = indexBound(max, false);
    const deleted = await this.ctx.writer.autocommit('cannot delete log entries', async (c) => {
      const n = await c.run('DELETE FROM log WHERE idx BETWEEN ? AND ?', [lo, hi]);
      if (this.last === 0 || hi < this.first || lo > this.last) return n;
      if (lo <= this.first && hi >= this.last) [this.first, this.last] = [0, 0];
      else if (lo <= this.first) this.first = hi + 1;
      else if (hi >= this.last) this.last = lo - 1;
      return n;
    });
    if (deleted >= CHECKPOINT_AFTER_DELETED) await this.ctx.writer.checkpoint();
  }

  /** Waits for queued writes, then releases the log store. Further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    if (!this.guard.close()) return;
    await this.ctx.release();
  }
}
