import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Snapshot, SnapshotStore } from '../../contracts/ports/log-store.js';
import type { Clock } from '../../contracts/platform.js';
import { ClosedGuard } from 'sextant/plugin-sdk';

/** Bytes handed to one write(2) (on libuv's thread pool) and checksummed per event-loop turn. */
export const SNAPSHOT_WRITE_BYTES = 1024 * 1024;

/**
 * The part of the disk's time a save may take while it writes: after each slice it waits as long
 * as the slice's write and flush took. A save flushing back to back put every log fsync behind a
 * megabyte of image: writes fell by ~45% for the second or so a 100 MB image took to save.
 */
const SAVE_DISK_SHARE = 0.5;

/** Complete snapshots kept on disk (hashicorp/raft's FileSnapshotStore retains 2 as well). */
const RETAIN = 2;

/** Last 8 bytes of every snapshot file: the trailer's length (u32 BE) and this magic. */
const MAGIC = Buffer.from('SXS1');

/** A complete snapshot's file name: `<lastIndex, 20 digits>-<lastTerm>.snap` (sorts by index). */
const NAME = /^(\d{20})-(\d+)\.snap$/;

/** What the trailer of a snapshot file records (JSON). */
interface Trailer {
  lastIndex: number;
  lastTerm: number;
  /** The configuration bytes, base64. */
  configuration: string;
  /** Length of the state data at the front of the file. */
  size: number;
  /** CRC-32 of the state data. */
  crc32: number;
}

/** Where the previous store (snapshots in the database) is read from, for data dirs written before this one. */
export interface LegacySnapshots {
  /** The newest snapshot kept in the database, if any. */
  latest(): Promise<Snapshot | undefined>;
  /** Deletes every snapshot kept in the database (called once a newer one is saved in a file). */
  drop(): Promise<void>;
}

/**
 * The SnapshotStore as files beside the Raft database, as hashicorp/raft's FileSnapshotStore:
 * `<dir>/<lastIndex>-<lastTerm>.snap` holds the state image followed by a JSON trailer (index,
 * term, configuration, size and CRC-32 of the image). A save writes `<name>.tmp` a megabyte
 * per write, each flushed before the next and, with a clock, followed by a pause as long as it
 * took (the writes and syncs run on libuv's thread pool, the checksum a slice per turn), fsyncs
 * it, renames it into place and fsyncs the directory; only then does it resolve, and the older
 * files beyond the newest {@link RETAIN} are deleted. The image never passes
 * through the database, so saving it neither doubles its writes (WAL and checkpoint) nor queues
 * behind, or ahead of, the log's appends. A crash mid-save leaves a `.tmp` file that is never
 * read and is deleted by the next save; a file whose trailer or checksum does not verify is
 * skipped for the next older one. Calls to saveSnapshot must not overlap (the Raft server makes
 * one at a time).
 */
export class FileSnapshotStore implements SnapshotStore {
  private readonly guard = new ClosedGuard('snapshot store');
  private saving: Promise<void> | undefined;

  /**
   * @param dir the snapshot directory (created on the first save)
   * @param legacy snapshots an older version kept in the database
   * @param release called once by close() (the storage's shared lifecycle)
   * @param clock paces a save to SAVE_DISK_SHARE of the disk; without it the slices go back to back
   */
  constructor(
    private readonly dir: string,
    private readonly legacy: LegacySnapshots,
    private readonly release: () => Promise<void>,
    private readonly clock?: Clock,
  ) {}

  /** Durably stores `snapshot` in its own file, then deletes the files (and database rows) it supersedes. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.guard.check();
    const { meta } = snapshot;
    if (!Number.isSafeInteger(meta.lastIndex) || meta.lastIndex < 0 || !Number.isSafeInteger(meta.lastTerm) || meta.lastTerm < 0) {
      throw new SextantError(ErrorCode.StorageFailed, 'cannot save the snapshot: lastIndex and lastTerm must be non-negative integers');
    }
    const p = this.save(snapshot);
    this.saving = p.catch(() => undefined);
    return p;
  }

  /** The newest complete snapshot whose checksum verifies (files first, then the database's), or undefined. */
  async latestSnapshot(): Promise<Snapshot | undefined> {
    this.guard.check();
    for (const name of (await this.complete()).reverse()) {
      const snap = await this.readVerified(join(this.dir, name));
      if (snap) return snap;
    }
    return this.legacy.latest();
  }

  /** Waits for a save in progress, then releases the store. Further calls reject SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    if (!this.guard.close()) return;
    await this.saving;
    await this.release();
  }

  private async save({ meta, data }: Snapshot): Promise<void> {
    const what = 'cannot save the snapshot';
    const name = `${String(meta.lastIndex).padStart(20, '0')}-${meta.lastTerm}.snap`;
    const tmp = join(this.dir, `${name}.tmp`);
    try {
      await mkdir(this.dir, { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        let crc = 0;
        for (let at = 0; at < data.length; at += SNAPSHOT_WRITE_BYTES) {
          const slice = data.subarray(at, at + SNAPSHOT_WRITE_BYTES);
          crc = crc32(slice, crc);
          const started = this.clock?.now() ?? 0;
          await fh.write(slice);
          // Flushed a slice at a time: with ext4's ordered journal, a log fsync that commits
          // while tens of MB of this file are dirty waits for all of them to reach the disk.
          await fh.datasync();
          if (this.clock && at + SNAPSHOT_WRITE_BYTES < data.length) await this.pause(this.clock.now() - started);
        }
        const trailer: Trailer = {
          lastIndex: meta.lastIndex,
          lastTerm: meta.lastTerm,
          configuration: Buffer.from(meta.configuration).toString('base64'),
          size: data.length,
          crc32: crc,
        };
        const json = Buffer.from(JSON.stringify(trailer));
        const tail = Buffer.alloc(8);
        tail.writeUInt32BE(json.length, 0);
        MAGIC.copy(tail, 4);
        await fh.write(Buffer.concat([json, tail]));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.dir, name));
      await syncDir(this.dir);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new SextantError(ErrorCode.StorageFailed, `${what}: ${(err as Error).message}`, undefined, { cause: err });
    }
    await this.prune(name);
    await this.legacy.drop();
  }

  /** Leaves the disk to others for as long as a slice that took `tookMs` should (SAVE_DISK_SHARE). */
  private pause(tookMs: number): Promise<void> {
    const ms = (tookMs * (1 - SAVE_DISK_SHARE)) / SAVE_DISK_SHARE;
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock!.setTimeout(resolve, ms));
  }

  /** Deletes complete files older than the newest RETAIN, and every stray `.tmp` (of a crashed save). */
  private async prune(saved: string): Promise<void> {
    const all = await readdir(this.dir);
    const keep = new Set(completeNames(all).slice(-RETAIN));
    keep.add(saved);
    for (const n of all) {
      if ((NAME.test(n) && !keep.has(n)) || n.endsWith('.snap.tmp')) await rm(join(this.dir, n), { force: true });
    }
  }

  /** Names of complete snapshot files, oldest first (none when the directory does not exist yet). */
  private async complete(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SextantError(ErrorCode.StorageFailed, `cannot read the snapshot directory ${this.dir}: ${(err as Error).message}`, undefined, { cause: err });
    }
    return completeNames(names);
  }

  /** The snapshot in `file`, or undefined when its trailer or checksum does not verify. */
  private async readVerified(file: string): Promise<Snapshot | undefined> {
    const buf = await readFile(file);
    if (buf.length < 8 || !buf.subarray(buf.length - 4).equals(MAGIC)) return undefined;
    const jsonLen = buf.readUInt32BE(buf.length - 8);
    if (jsonLen > buf.length - 8) return undefined;
    let t: Trailer;
    try {
      t = JSON.parse(buf.subarray(buf.length - 8 - jsonLen, buf.length - 8).toString('utf8')) as Trailer;
    } catch {
      return undefined;
    }
    if (t.size !== buf.length - 8 - jsonLen) return undefined;
    const data = new Uint8Array(buf.buffer, buf.byteOffset, t.size);
    if (crc32(data) !== t.crc32) return undefined;
    return { meta: { lastIndex: t.lastIndex, lastTerm: t.lastTerm, configuration: new Uint8Array(Buffer.from(t.configuration, 'base64')) }, data };
  }
}

/** fsync of a directory, so a rename in it survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The names of complete snapshot files among a directory's `names`, oldest first. */
function completeNames(names: readonly string[]): string[] {
  return names.filter((n) => NAME.test(n)).sort();
}
