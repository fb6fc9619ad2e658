import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Snapshot, SnapshotStore } from '../../contracts/ports/log-store.js';
import { ClosedGuard } from 'sextant/plugin-sdk';
import type { SqliteStorageContext } from './sqlite-storage-context.js';

interface SnapshotRow {
  last_index: number;
  last_term: number;
  configuration: Uint8Array | null;
  data: Uint8Array | null;
}

function view(v: Uint8Array | null): Uint8Array {
  return v ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0);
}

/**
 * The SnapshotStore over the `snapshot` table. A snapshot is written, and older ones deleted,
 * in one transaction: a write interrupted by a crash rolls back, so latestSnapshot only ever
 * returns a complete snapshot. Snapshots share the writer queue, so a large one delays log
 * appends queued behind it for the time of its write.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly guard = new ClosedGuard('snapshot store');

  constructor(private readonly ctx: SqliteStorageContext) {}

  /** Durably stores `snapshot` and prunes the older ones. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.guard.check();
    const { meta, data } = snapshot;
    if (!Number.isSafeInteger(meta.lastIndex) || meta.lastIndex < 0 || !Number.isSafeInteger(meta.lastTerm) || meta.lastTerm < 0) {
      throw new SextantError(ErrorCode.StorageFailed, 'cannot save the snapshot: lastIndex and lastTerm must be non-negative integers');
    }
    await this.ctx.writer.transaction('cannot save the snapshot', async (c) => {
      await c.run('INSERT INTO snapshot(last_index, last_term, configuration, data) VALUES (?, ?, ?, ?)', [
        meta.lastIndex,
        meta.lastTerm,
        meta.configuration,
        data,
      ]);
      await c.run('DELETE FROM snapshot WHERE id < last_insert_rowid()');
    });
  }

  /** The newest snapshot, or undefined when none was ever saved. */
  async latestSnapshot(): Promise<Snapshot | undefined> {
    this.guard.check();
    const row = await this.ctx.read('cannot read the snapshot', (c) =>
      c.get<SnapshotRow>('SELECT last_index, last_term, configuration, data FROM snapshot ORDER BY id DESC LIMIT 1'),
    );
    if (!row) return undefined;
    return {
      meta: { lastIndex: row.last_index, lastTerm: row.last_term, configuration: view(row.configuration) },
      data: view(row.data),
    };
  }

  /** Releases the snapshot store. Further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    if (!this.guard.close()) return;
    await this.ctx.release();
  }
}
