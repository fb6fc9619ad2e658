/** Executable rules of the LogStore contract, shared by every adapter (first- or third-party). */
import type { LogEntry } from './log-store.js';
import { LogEntryType } from './log-store.js';

const KNOWN_TYPES = new Set<number>(Object.values(LogEntryType));

/**
 * Why `entries` cannot be stored, or undefined when they can: each index a positive safe
 * integer, contiguous and ascending; each term ≥ 1; each type known; each payload a Uint8Array.
 */
export function invalidEntries(entries: readonly LogEntry[]): string | undefined {
  let prev = 0;
  for (const [i, e] of entries.entries()) {
    if (!Number.isSafeInteger(e.index) || e.index < 1) return `entry ${i}: index must be a positive integer`;
    if (i > 0 && e.index !== prev + 1) return `entry ${i}: index ${e.index} does not follow ${prev} (entries must be contiguous and ascending)`;
    if (!Number.isSafeInteger(e.term) || e.term < 1) return `entry ${i}: term must be a positive integer`;
    if (!KNOWN_TYPES.has(e.type)) return `entry ${i}: unknown entry type ${String(e.type)}`;
    if (!(e.data instanceof Uint8Array)) return `entry ${i}: data must be a Uint8Array`;
    prev = e.index;
  }
  return undefined;
}
