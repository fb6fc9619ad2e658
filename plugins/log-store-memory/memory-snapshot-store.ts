import type { Snapshot, SnapshotStore } from '../../contracts/ports/log-store.js';
import { ClosedGuard } from 'sextant/plugin-sdk';
import type { MemoryRaftDisk } from './memory-raft-disk.js';

function copy(s: Snapshot): Snapshot {
  return {
    meta: { lastIndex: s.meta.lastIndex, lastTerm: s.meta.lastTerm, configuration: s.meta.configuration.slice() },
    data: s.data.slice(),
  };
}

/** An in-memory SnapshotStore keeping only the newest snapshot. */
export class MemorySnapshotStore implements SnapshotStore {
  private readonly guard = new ClosedGuard('snapshot store');

  constructor(private readonly disk: MemoryRaftDisk) {}

  /** Stores a copy of `snapshot`, replacing the previous one. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.guard.check();
    this.disk.snapshot = copy(snapshot);
  }

  /** A copy of the newest snapshot, or undefined when none was saved. */
  async latestSnapshot(): Promise<Snapshot | undefined> {
    this.guard.check();
    return this.disk.snapshot ? copy(this.disk.snapshot) : undefined;
  }

  /** Releases the snapshot store; further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    this.guard.close();
  }
}
