import type { LogEntry } from '../../contracts/ports/log-store.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { EntryArena } from './entry-arena.js';

/**
 * The in-memory view of a Raft log used by the pure core: the entries after a base point
 * (index/term of the last compacted or snapshotted entry), the commit index, and how much of
 * it is known durable (`stabled`). It never touches storage; the driver persists what
 * `unstableEntries()` returns and reports back through `stableTo`.
 */
export class RaftLog {
  /** Index of the entry just before entries[0] (0 for an empty log, or the compaction point). */
  prevIndex: number;
  /** Term of the entry at prevIndex (0 when prevIndex is 0). */
  prevTerm: number;
  private entries: LogEntry[];
  /** Highest index known committed. */
  committed: number;
  /** Highest index handed to the state machine. */
  applied: number;
  /** Highest index known durable in storage. */
  stabled: number;
  /** Highest index ever handed out for persistence (durable or in flight). */
  private persistedHigh: number;
  /** Lowest index storage must delete (to +∞) before the next write, after a conflict truncation. */
  truncateFrom: number | undefined;
  /** Holds the entries' payloads (each entry's `data` is moved there as it joins the log). */
  private readonly arena = new EntryArena();

  constructor(prevIndex: number, prevTerm: number, entries: LogEntry[], committed: number) {
    this.prevIndex = prevIndex;
    this.prevTerm = prevTerm;
    this.entries = entries.map((e) => this.arena.own(e));
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i]!.index !== prevIndex + 1 + i) {
        throw new SextantError(ErrorCode.StorageCorrupt, 'raft log entries are not contiguous');
      }
    }
    this.committed = Math.min(committed, this.lastIndex());
    this.applied = Math.max(prevIndex, 0);
    if (this.committed < prevIndex) this.committed = prevIndex;
    this.stabled = this.lastIndex();
    this.persistedHigh = this.stabled;
  }

  /** Index of the first entry held in memory (prevIndex + 1). */
  firstIndex(): number {
    return this.prevIndex + 1;
  }

  /** Index of the last entry (prevIndex when no entries are held). */
  lastIndex(): number {
    return this.prevIndex + this.entries.length;
  }

  /** Term of the last entry. */
  lastTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.term : this.prevTerm;
  }

  /** Term of the entry at `index`: prevTerm at prevIndex, 0 for index 0, undefined when
   * compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.prevIndex) return this.prevTerm;
    if (index === 0) return 0;
    if (index < this.prevIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.prevIndex - 1]!.term;
  }

  /** The entry at `index`, or undefined when compacted or beyond the end. */
  entry(index: number): LogEntry | undefined {
    if (index <= this.prevIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.prevIndex - 1];
  }

  /** True when the entry at `index` exists (or is the base point) with `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries lo ≤ index ≤ hi (clamped to what is held), at most `max` of them. */
  slice(lo: number, hi: number, max = Infinity): LogEntry[] {
    const from = Math.max(lo, this.firstIndex());
    const to = Math.min(hi, this.lastIndex(), from + max - 1);
    if (to < from) return [];
    return this.entries.slice(from - this.prevIndex - 1, to - this.prevIndex);
  }

  /** Vote rule (§5.4.1): a log ending at (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Appends entries the caller created (leader proposals), which must start at lastIndex()+1. */
  append(entries: LogEntry[]): void {
    if (entries.length === 0) return;
    if (entries[0]!.index !== this.lastIndex() + 1) {
      throw new SextantError(ErrorCode.Internal, 'raft log append is not contiguous');
    }
    for (const e of entries) this.entries.push(this.arena.own(e));
  }

  /**
   * The follower side of AppendEntries after the consistency check passed at prevIndex: skips
   * entries already present with the same term, truncates only at the first real conflict
   * (never at or below the commit index) and appends the rest. Returns the index of the last
   * entry the leader sent (the new match index).
   */
  appendFromLeader(prevIndex: number, entries: LogEntry[]): number {
    let i = 0;
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index <= this.prevIndex) continue; // already compacted here, hence committed and equal
      const t = this.term(e.index);
      if (t === undefined) break; // beyond our end: append the rest
      if (t !== e.term) {
        if (e.index <= this.committed) {
          throw new SextantError(ErrorCode.Internal, `raft log conflict at committed index ${e.index}`);
        }
        this.truncateAfter(e.index - 1);
        break;
      }
    }
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index <= this.prevIndex) continue;
      this.entries.push(this.arena.own(e));
    }
    return prevIndex + entries.length;
  }

  /** Drops every entry after `index`, recording what storage must delete. */
  truncateAfter(index: number): void {
    if (index >= this.lastIndex()) return;
    this.entries.length = index - this.prevIndex;
    if (index + 1 <= this.persistedHigh) {
      this.truncateFrom = Math.min(this.truncateFrom ?? Infinity, index + 1);
    }
    if (this.stabled > index) this.stabled = index;
  }

  /** Raises the commit index (never lowers it). */
  commitTo(index: number): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) throw new SextantError(ErrorCode.Internal, 'raft commit index beyond the log');
      this.committed = index;
    }
  }

  /** Entries not yet handed out for persistence, and marks them handed out. */
  takeUnstable(): LogEntry[] {
    const ents = this.slice(this.stabled + 1, this.lastIndex());
    if (ents.length > 0) this.persistedHigh = Math.max(this.persistedHigh, ents[ents.length - 1]!.index);
    return ents;
  }

  /** True when there are entries to persist or a truncation to perform. */
  hasUnstable(): boolean {
    return this.lastIndex() > this.stabled || this.truncateFrom !== undefined;
  }

  /** Records that storage holds entries up to (index, term), unless the log changed meanwhile. */
  stableTo(index: number, term: number): void {
    if (this.matchTerm(index, term) && index > this.stabled) this.stabled = index;
  }

  /** Marks the whole log up to `index` durable because storage was reset to it (snapshot install). */
  resetTo(prevIndex: number, prevTerm: number): void {
    this.prevIndex = prevIndex;
    this.prevTerm = prevTerm;
    this.entries = [];
    this.committed = prevIndex;
    this.applied = prevIndex;
    this.stabled = prevIndex;
    this.persistedHigh = prevIndex;
    this.truncateFrom = undefined;
  }

  /** Drops entries up to and including `index` (≤ applied) from memory after a snapshot. */
  compactTo(index: number): void {
    if (index <= this.prevIndex) return;
    if (index > this.applied) throw new SextantError(ErrorCode.Internal, 'raft cannot compact unapplied entries');
    const t = this.term(index)!;
    this.entries = this.entries.slice(index - this.prevIndex);
    this.prevIndex = index;
    this.prevTerm = t;
  }

  /** Largest index ≤ `index` whose term ≤ `term` (or the base point), for conflict hints. */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.prevIndex; i--) {
      const t = this.term(i)!;
      if (t <= term) return { index: i, term: t };
    }
    return { index: this.prevIndex, term: this.prevTerm };
  }
}
