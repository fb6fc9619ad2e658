import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Snapshot, SnapshotStore } from '../../contracts/ports/log-store.js';
import { ClosedGuard } from 'sextant/plugin-sdk';
import type { SqliteStorageContext } from './sqlite-storage-context.js';

/** Bytes of snapshot data per chunk row, each written in its own short transaction. */
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;

/**
 * Chunk writes and stale-chunk deletions commit without an fsync of their own (each would
 * otherwise cost the log appends queued behind it one more fsync): nothing depends on them
 * until the durable commit of the snapshot row, whose WAL fsync covers every frame before it;
 * a stale chunk whose deletion a crash undid is deleted again by the next save.
 */
const NO_FSYNC = { durable: false };

/** Stale chunk rows deleted per transaction after a newer snapshot committed. */
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
 * The SnapshotStore over the `snapshot` and `snapshot_chunk` tables. A snapshot's data is
 * written as chunks of {@link SNAPSHOT_CHUNK_BYTES}, each its own short transaction (without
 * an fsync of its own: see NO_FSYNC) on the
 * shared writer queue, so log appends queued meanwhile are committed between the chunks
 * instead of waiting for the whole image. The snapshot becomes visible only in a last small
 * transaction that inserts its `snapshot` row (pointing at its chunk set) and drops the older
 * rows; the older chunk sets are then deleted a few rows per transaction. A crash before that
 * last transaction leaves chunks no row points at: latestSnapshot still returns the previous
 * complete snapshot, and the next save deletes the strays. Rows written by schema 1 (data
 * inline, chunk_set NULL) are still read. Calls to saveSnapshot must not overlap (the Raft
 * server makes one at a time).
 */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly guard = new ClosedGuard('snapshot store');

  constructor(private readonly ctx: SqliteStorageContext) {}

  /** Durably stores `snapshot` (chunk by chunk, interleaved with other writes), then prunes the older ones. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.guard.check();
    const { meta, data } = snapshot;
    if (!Number.isSafeInteger(meta.lastIndex) || meta.lastIndex < 0 || !Number.isSafeInteger(meta.lastTerm) || meta.lastTerm < 0) {
      throw new SextantError(ErrorCode.StorageFailed, 'cannot save the snapshot: lastIndex and lastTerm must be non-negative integers');
    }
    const what = 'cannot save the snapshot';
    // A set id no row and no stray chunk uses (strays of a crashed save included).
    const set = await this.ctx.writer.transaction(what, async (c) => {
      const r = await c.get<{ m: number | null }>(
        'SELECT max(m) AS m FROM (SELECT max(set_id) AS m FROM snapshot_chunk UNION ALL SELECT max(chunk_set) AS m FROM snapshot)',
      );
      const id = (r?.m ?? 0) + 1;
      if (data.length > 0) await c.run('INSERT INTO snapshot_chunk(set_id, seq, data) VALUES (?, 0, ?)', [id, data.subarray(0, SNAPSHOT_CHUNK_BYTES)]);
      return id;
    }, NO_FSYNC);
    for (let at = SNAPSHOT_CHUNK_BYTES, seq = 1; at < data.length; at += SNAPSHOT_CHUNK_BYTES, seq++) {
      const chunk = data.subarray(at, at + SNAPSHOT_CHUNK_BYTES);
      await this.ctx.writer.transaction(what, (c) => c.run('INSERT INTO snapshot_chunk(set_id, seq, data) VALUES (?, ?, ?)', [set, seq, chunk]), NO_FSYNC);
    }
    await this.ctx.writer.transaction(what, async (c) => {
      await c.run('INSERT INTO snapshot(last_index, last_term, configuration, data, chunk_set) VALUES (?, ?, ?, ?, ?)', [
        meta.lastIndex,
        meta.lastTerm,
        meta.configuration,
        new Uint8Array(0),
        set,
      ]);
      await c.run('DELETE FROM snapshot WHERE id < last_insert_rowid()');
    });
    await this.dropStaleChunks(set);
  }

  /** The newest snapshot, or undefined when none was ever saved. */
  async latestSnapshot(): Promise<Snapshot | undefined> {
    this.guard.check();
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

  /** Releases the snapshot store. Further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    if (!this.guard.close()) return;
    await this.ctx.release();
  }

  /** Deletes every chunk not in `keep`, a few rows per transaction so appends go between them. */
  private async dropStaleChunks(keep: number): Promise<void> {
    const what = 'cannot prune old snapshots';
    const stale = await this.ctx.writer.transaction(what, (c) =>
      c.all<{ set_id: number; hi: number }>('SELECT set_id, max(seq) AS hi FROM snapshot_chunk WHERE set_id <> ? GROUP BY set_id', [keep]),
    );
    for (const { set_id, hi } of stale) {
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
