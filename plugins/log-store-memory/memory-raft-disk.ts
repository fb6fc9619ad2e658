import type { HardState, LogEntry, Snapshot } from '../../contracts/ports/log-store.js';

/**
 * What a MemoryRaftStorage keeps: the "disk" of an in-memory server. Open a new
 * MemoryRaftStorage over the same disk to simulate a restart that keeps everything written.
 */
export class MemoryRaftDisk {
  /** Log entries by index (each a private copy). */
  readonly entries = new Map<number, LogEntry>();
  /** First and last stored index, 0 when the log is empty. */
  first = 0;
  last = 0;
  hardState: HardState = { currentTerm: 0, votedFor: '' };
  /** The key/value slot (private copies). */
  readonly slot = new Map<string, Uint8Array>();
  /** The newest saved snapshot (a private copy). */
  snapshot: Snapshot | undefined;
}
