import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { LogEntry, LogStore } from '../../contracts/ports/log-store.js';
import { ClosedGuard } from 'sextant/plugin-sdk';
import type { MemoryRaftDisk } from './memory-raft-disk.js';
import { invalidEntries } from '../../contracts/ports/log-entry-rules.js';

function copy(e: LogEntry): LogEntry {
  return { index: e.index, term: e.term, type: e.type, data: e.data.slice() };
}

/** An in-memory LogStore: every write is "durable" the moment it is made. Not for production. */
export class MemoryLogStore implements LogStore {
  private readonly guard = new ClosedGuard('log store');

  constructor(private readonly disk: MemoryRaftDisk) {}

  /** Index of the first stored entry, or 0 when empty. */
  async firstIndex(): Promise<number> {
    this.guard.check();
    return this.disk.first;
  }

  /** Index of the last stored entry, or 0 when empty. */
  async lastIndex(): Promise<number> {
    this.guard.check();
    return this.disk.last;
  }

  /** A copy of the entry at `index`, or undefined when absent. */
  async getLog(index: number): Promise<LogEntry | undefined> {
    this.guard.check();
    const e = this.disk.entries.get(index);
    return e ? copy(e) : undefined;
  }

  /** Copies of the entries with lo ≤ index ≤ hi, ascending; absent indexes are skipped. */
  async getLogs(lo: number, hi: number): Promise<LogEntry[]> {
    this.guard.check();
    const out: LogEntry[] = [];
    if (this.disk.last === 0) return out;
    const from = Math.max(Math.ceil(lo), this.disk.first);
    const to = Math.min(hi, this.disk.last);
    for (let i = from; i <= to; i++) {
      const e = this.disk.entries.get(i);
      if (e) out.push(copy(e));
    }
    return out;
  }

  /** Stores copies of `entries` (overwriting same indexes); STORAGE_FAILED when not contiguous and ascending. */
  async storeLogs(entries: readonly LogEntry[]): Promise<void> {
    this.guard.check();
    const bad = invalidEntries(entries);
    if (bad) throw new SextantError(ErrorCode.StorageFailed, `cannot store log entries: ${bad}`);
    const d = this.disk;
    for (const e of entries) d.entries.set(e.index, copy(e));
    if (entries.length > 0) {
      const min = entries[0]!.index;
      const max = entries[entries.length - 1]!.index;
      d.first = d.first === 0 ? min : Math.min(d.first, min);
      d.last = Math.max(d.last, max);
    }
  }

  /** Removes entries with min ≤ index ≤ max. */
  async deleteRange(min: number, max: number): Promise<void> {
    this.guard.check();
    const d = this.disk;
    if (d.last === 0 || max < min) return;
    const from = Math.max(Math.ceil(min), d.first);
    const to = Math.min(max, d.last);
    for (let i = from; i <= to; i++) d.entries.delete(i);
    if (d.entries.size === 0) {
      d.first = 0;
      d.last = 0;
      return;
    }
    while (!d.entries.has(d.first)) d.first++;
    while (!d.entries.has(d.last)) d.last--;
  }

  /** Releases the log store; further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    this.guard.close();
  }
}
