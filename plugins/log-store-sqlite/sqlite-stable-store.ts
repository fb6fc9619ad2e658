import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { HardState, StableStore } from '../../contracts/ports/log-store.js';
import { ClosedGuard } from 'sextant/plugin-sdk';
import { decodeHardState, encodeHardState, invalidHardState } from './hard-state-codec.js';
import type { SqliteStorageContext } from './sqlite-storage-context.js';

/** Row keys in the `stable(k, v)` table: the hard state, and user keys under a prefix. */
const HARD_STATE_KEY = 'raft:hardState';
const SLOT_PREFIX = 'kv:';

function view(v: Uint8Array | null): Uint8Array {
  return v ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0);
}

/**
 * The StableStore over the `stable(k TEXT PRIMARY KEY, v BLOB)` table. Writes go through the
 * shared writer (so they are ordered with log writes and fsync'd at COMMIT under
 * synchronous=FULL); reads use the read connection.
 */
export class SqliteStableStore implements StableStore {
  private readonly guard = new ClosedGuard('stable store');

  constructor(private readonly ctx: SqliteStorageContext) {}

  /** The stored hard state, or `{currentTerm: 0, votedFor: ''}` when never written. */
  async getHardState(): Promise<HardState> {
    const v = await this.getRaw(HARD_STATE_KEY);
    return v ? decodeHardState(v) : { currentTerm: 0, votedFor: '' };
  }

  /** Durably replaces the hard state; STORAGE_FAILED when it is malformed or the write fails. */
  async setHardState(state: HardState): Promise<void> {
    this.guard.check();
    const bad = invalidHardState(state);
    if (bad) throw new SextantError(ErrorCode.StorageFailed, `cannot store the hard state: ${bad}`);
    await this.setRaw(HARD_STATE_KEY, encodeHardState(state), 'cannot store the hard state');
  }

  /** The value stored under `key`, or undefined when absent. */
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.getRaw(SLOT_PREFIX + key);
  }

  /** Durably sets `key` to a copy of `value`. */
  async set(key: string, value: Uint8Array): Promise<void> {
    this.guard.check();
    await this.setRaw(SLOT_PREFIX + key, value, `cannot store key ${JSON.stringify(key)}`);
  }

  /** Releases the stable store. Further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    if (!this.guard.close()) return;
    await this.ctx.release();
  }

  private async getRaw(k: string): Promise<Uint8Array | undefined> {
    this.guard.check();
    const row = await this.ctx.read('cannot read the stable store', (c) =>
      c.get<{ v: Uint8Array | null }>('SELECT v FROM stable WHERE k = ?', [k]),
    );
    return row ? view(row.v) : undefined;
  }

  private async setRaw(k: string, v: Uint8Array, what: string): Promise<void> {
    await this.ctx.writer.transaction(what, (c) => c.run('INSERT OR REPLACE INTO stable(k, v) VALUES (?, ?)', [k, v]));
  }
}
