import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { HardState, StableStore } from '../../contracts/ports/log-store.js';
import { ClosedGuard } from 'sextant/plugin-sdk';
import type { MemoryRaftDisk } from './memory-raft-disk.js';

/** An in-memory StableStore. */
export class MemoryStableStore implements StableStore {
  private readonly guard = new ClosedGuard('stable store');

  constructor(private readonly disk: MemoryRaftDisk) {}

  /** The stored hard state, or `{currentTerm: 0, votedFor: ''}` when never written. */
  async getHardState(): Promise<HardState> {
    this.guard.check();
    return { ...this.disk.hardState };
  }

  /** Replaces the hard state; STORAGE_FAILED when it is malformed. */
  async setHardState(state: HardState): Promise<void> {
    this.guard.check();
    if (!Number.isSafeInteger(state.currentTerm) || state.currentTerm < 0 || typeof state.votedFor !== 'string') {
      throw new SextantError(ErrorCode.StorageFailed, 'cannot store the hard state: currentTerm must be a non-negative integer and votedFor a string');
    }
    this.disk.hardState = { currentTerm: state.currentTerm, votedFor: state.votedFor };
  }

  /** A copy of the value under `key`, or undefined when absent. */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.guard.check();
    return this.disk.slot.get(key)?.slice();
  }

  /** Sets `key` to a copy of `value`. */
  async set(key: string, value: Uint8Array): Promise<void> {
    this.guard.check();
    this.disk.slot.set(key, value.slice());
  }

  /** Releases the stable store; further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    this.guard.close();
  }
}
