import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Snapshot } from '../../contracts/ports/log-store.js';
import type { LegacySnapshots } from './file-snapshot-store.js';
import type { SqliteStorageContext } from './sqlite-storage-context.js';

/**
 * Chunk deletions commit without an fsync of their own (each would cost the log appends queued
 * behind it one more): a deletion a crash undid is done again by the next drop().
 */
const NO_FSYNC = { durable: false };

/** Stale chunk rows deleted per transaction (so log appends go between them). */
const CHUNKS_PER_DELETE = 16;

interface SnapshotRow {
  last_index: number;
  last_term: number;
  configuration: Uint8Array | null;
  data: Uint8Array | null;
  chunk_set: number | null;
}

function view(v: Uint8Array | null): Uint8Array {
  return v ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0);
}

/**
 * Snapshots as earlier versions kept them, in the database: the `snapshot` table (data inline
 * in schema 1, or pointing at a `snapshot_chunk` set in schema 2). Read when a data dir has no
 * snapshot file yet (an upgrade), and dropped once a newer snapshot is saved as a file.
 */
export class SqliteLegacySnapshots implements LegacySnapshots {
  constructor(private readonly ctx: SqliteStorageContext) {}

  /** The newest snapshot row with its chunks joined, or undefined; STORAGE_CORRUPT when chunks are missing. */
  latest(): Promise<Snapshot | undefined> {
    return this.ctx.read('cannot read the snapshot', async (c) => {
      const row = await c.get<SnapshotRow>('SELECT last_index, last_term, configuration, data, chunk_set FROM snapshot ORDER BY id DESC LIMIT 1');
      if (!row) return undefined;
      let data = view(row.data);
      if (row.chunk_set !== null) {
        const chunks = await c.all<{ seq: number; data: Uint8Array | null }>('SELECT seq, data FROM snapshot_chunk WHERE set_id = ? ORDER BY seq', [row.chunk_set]);
        if (chunks.some((ch, i) => ch.seq !== i)) {
          throw new SextantError(ErrorCode.StorageCorrupt, `snapshot at index ${row.last_index} is missing chunks`);
        }
        data = Buffer.concat(chunks.map((ch) => view(ch.data)));
      }
      return { meta: { lastIndex: row.last_index, lastTerm: row.last_term, configuration: view(row.configuration) }, data };
    });
  }

  /** Deletes every snapshot row (durably), then their chunks a few rows per transaction (nothing when there are none). */
  async drop(): Promise<void> {
    const what = 'cannot prune old snapshots';
    const sets = await this.ctx.read(what, (c) => c.all<{ set_id: number; hi: number }>('SELECT set_id, max(seq) AS hi FROM snapshot_chunk GROUP BY set_id'));
    const rows = await this.ctx.read(what, (c) => c.get<{ n: number }>('SELECT count(*) AS n FROM snapshot'));
    if ((rows?.n ?? 0) > 0) await this.ctx.writer.transaction(what, (c) => c.run('DELETE FROM snapshot'));
    for (const { set_id, hi } of sets) {
      for (let lo = 0; lo <= hi; lo += CHUNKS_PER_DELETE) {
        await this.ctx.writer.transaction(
          what,
          (c) => c.run('DELETE FROM snapshot_chunk WHERE set_id = ? AND seq BETWEEN ? AND ?', [set_id, lo, lo + CHUNKS_PER_DELETE - 1]),
          NO_FSYNC,
        );
      }
    }
  }
}
