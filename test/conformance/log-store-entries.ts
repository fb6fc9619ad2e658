import type { LogEntry } from '../../contracts/ports/log-store.js';
import { LogEntryType } from '../../contracts/ports/log-store.js';

// Test data for the LogStore conformance suite and the crash test's child process (which must
// not import vitest, so these live apart from the suite).

/** An entry whose payload encodes its index and term, so misplaced data is caught. */
export function entry(index: number, term = 1, type: LogEntry['type'] = LogEntryType.Command, size = 16): LogEntry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type, data };
}

/** Entries lo..hi (inclusive) in `term`. */
export function entries(lo: number, hi: number, term = 1): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, term));
  return out;
}
