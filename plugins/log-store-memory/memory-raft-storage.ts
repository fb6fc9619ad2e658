import type { RaftStorage } from '../../contracts/ports/log-store.js';
import { MemoryLogStore } from './memory-log-store.js';
import { MemoryRaftDisk } from './memory-raft-disk.js';
import { MemorySnapshotStore } from './memory-snapshot-store.js';
import { MemoryStableStore } from './memory-stable-store.js';

/**
 * RaftStorage in memory, for tests, simulations and `-dev` without a data dir. Nothing
 * survives the process. Pass the same {@link MemoryRaftDisk} to a new instance to simulate a
 * restart that keeps what was written.
 */
export class MemoryRaftStorage implements RaftStorage {
  readonly log: MemoryLogStore;
  readonly stable: MemoryStableStore;
  readonly snapshots: MemorySnapshotStore;

  /** A storage over `disk` (a fresh, empty one by default). */
  constructor(readonly disk: MemoryRaftDisk = new MemoryRaftDisk()) {
    this.log = new MemoryLogStore(disk);
    this.stable = new MemoryStableStore(disk);
    this.snapshots = new MemorySnapshotStore(disk);
  }

  /** Closes the three stores. Idempotent. */
  async close(): Promise<void> {
    await Promise.all([this.log.close(), this.stable.close(), this.snapshots.close()]);
  }
}
