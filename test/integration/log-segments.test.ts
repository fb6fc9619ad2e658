import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import { PREALLOCATE_BYTES, segmentName } from '../../plugins/log-store-sqlite/log-segment.js';
import { SegmentLogStore } from '../../plugins/log-store-sqlite/segment-log-store.js';
import { encodeRecord, recordBytes } from '../../plugins/log-store-sqlite/segment-record.js';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import type { SqliteRaftStorageOptions } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import { entries, entry } from '../conformance/log-store-entries.js';

/** 100-byte payloads: 128 bytes a record, so 1 KB segments hold 8 entries. */
const SEGMENT = 1024;
const PAYLOAD = 100;
const run = (lo: number, hi: number, term = 1) => entries(lo, hi, term).map((e) => entry(e.index, e.term, e.type, PAYLOAD));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('log segments (the Raft log in append-only files)', () => {
  const dirs: string[] = [];
  const open: SqliteRaftStorage[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function place(): { file: string; logDir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-segments-'));
    dirs.push(dir);
    return { file: join(dir, 'raft.db'), logDir: join(dir, 'log') };
  }
  async function storage(file: string, opts: SqliteRaftStorageOptions = { segmentBytes: SEGMENT }): Promise<SqliteRaftStorage> {
    const s = await SqliteRaftStorage.open(file, opts);
    open.push(s);
    return s;
  }
  async function close(s: SqliteRaftStorage): Promise<void> {
    open.splice(open.indexOf(s), 1);
    await s.close();
  }
  const files = (logDir: string): string[] => readdirSync(logDir).sort();

  it('moves to a new file when one is full, drops whole files on compaction and renames the one it ends in', async () => {
    const { file, logDir } = place();
    const s = await storage(file);
    for (let i = 1; i <= 40; i += 4) await s.log.storeLogs(run(i, i + 3));
    expect(files(logDir)).toEqual([1, 9, 17, 25, 33].map(segmentName));
    // Only the file being written carries zeros ahead of its records; the full ones were cut to their records.
    expect(statSync(join(logDir, segmentName(1))).size).toBe(8 * 128);
    expect(statSync(join(logDir, segmentName(33))).size).toBe(PREALLOCATE_BYTES);
    await s.log.deleteRange(1, 19);
    expect(files(logDir)).toEqual([20, 25, 33].map(segmentName));
    expect([await s.log.firstIndex(), await s.log.lastIndex()]).toEqual([20, 40]);
    expect(await s.log.getLogs(1, 100)).toEqual(run(20, 40));
    await close(s);
    const again = await storage(file);
    expect([await again.log.firstIndex(), await again.log.lastIndex()]).toEqual([20, 40]);
    expect(await again.log.getLogs(1, 100)).toEqual(run(20, 40));
    // A conflict deep in the log: the later files go, the one it lands in is cut.
    await again.log.storeLogs(run(22, 23, 2));
    expect(files(logDir)).toEqual([20].map(segmentName));
    expect(await again.log.getLogs(1, 100)).toEqual([...run(20, 21), ...run(22, 23, 2)]);
  });

  it('cuts a torn or zeroed tail off the last file on open, and keeps every whole record before it', async () => {
    const { file, logDir } = place();
    const s = await storage(file);
    await s.log.storeLogs(run(1, 8));
    await s.log.storeLogs(run(9, 10));
    await close(s);
    const last = join(logDir, segmentName(9));
    // The zeros written ahead are a tail like any other: the file opens to its two records.
    const whole = readFileSync(last).subarray(0, 2 * 128);
    // Half of record 11, as a crash in the middle of a write leaves it.
    const rec = Buffer.alloc(recordBytes(entry(11, 1, 0, PAYLOAD)));
    encodeRecord(rec, 0, entry(11, 1, 0, PAYLOAD));
    writeFileSync(last, Buffer.concat([whole, rec.subarray(0, 70)]));
    const again = await storage(file);
    expect([await again.log.firstIndex(), await again.log.lastIndex()]).toEqual([1, 10]);
    expect(await again.log.getLogs(1, 20)).toEqual(run(1, 10));
    expect(statSync(last).size).toBe(2 * 128);
    await again.log.storeLogs(run(11, 12));
    expect(await again.log.getLogs(9, 20)).toEqual(run(9, 12));
  });

  it('refuses to open with STORAGE_CORRUPT, naming the file, when damage is followed by later files', async () => {
    const { file, logDir } = place();
    const s = await storage(file);
    for (const [lo, hi] of [[1, 8], [9, 16], [17, 20]] as const) await s.log.storeLogs(run(lo, hi));
    await close(s);
    const first = join(logDir, segmentName(1));
    const bytes = readFileSync(first);
    bytes[3 * 128 + 40] ^= 0xff; // a flipped bit in the payload of entry 4
    writeFileSync(first, bytes);
    const err = await rejection(SqliteRaftStorage.open(file, { segmentBytes: SEGMENT }));
    expect(isSextantError(err, ErrorCode.StorageCorrupt), String(err)).toBe(true);
    expect(String(err)).toContain(segmentName(1));
  });

  it('removes a hole from the middle, and on open drops the copy an interrupted hole left behind', async () => {
    const { file, logDir } = place();
    const s = await storage(file, { segmentBytes: 64 * 1024 });
    await s.log.storeLogs(run(1, 30));
    await s.log.deleteRange(11, 15);
    expect((await s.log.getLogs(1, 40)).map((e) => e.index)).toEqual([...entries(1, 10), ...entries(16, 30)].map((e) => e.index));
    expect(files(logDir)).toEqual([1, 16].map(segmentName));
    await close(s);
    // A crash after the copy of 16..30 was written but before the original was cut: both files hold 16..30.
    const original = join(logDir, segmentName(1));
    expect(statSync(original).size).toBe(10 * 128);
    const rest = Buffer.alloc(20 * 128);
    run(11, 30).reduce((at, e) => encodeRecord(rest, at, e), 0);
    appendFileSync(original, rest);
    const again = await storage(file);
    expect(await again.log.getLogs(1, 40)).toEqual(run(1, 30));
    expect(files(logDir)).toEqual([1].map(segmentName));
  });

  it('moves a log an older version kept in the database into segment files once, and redoes a move a crash cut short', async () => {
    const { file, logDir } = place();
    const old = await storage(file, { log: 'sqlite' });
    await old.log.storeLogs(run(1, 50));
    await old.log.deleteRange(1, 10);
    await old.stable.setHardState({ currentTerm: 3, votedFor: 'a' });
    await close(old);
    // A move that a crash cut short left a partial copy (with other contents) in the segment directory.
    const partial = await SegmentLogStore.open(logDir, async () => undefined);
    await partial.storeLogs(run(11, 14, 9));
    await partial.close();

    const s = await storage(file, { segmentBytes: 64 * 1024 });
    expect([await s.log.firstIndex(), await s.log.lastIndex()]).toEqual([11, 50]);
    expect(await s.log.getLogs(1, 100)).toEqual(run(11, 50));
    expect(await s.stable.getHardState()).toEqual({ currentTerm: 3, votedFor: 'a' });
    await close(s);
    const rows = await new Promise<unknown[]>((resolve, reject) => {
      const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (e) => {
        if (e) return reject(e);
        db.all('SELECT count(*) AS n FROM log', (err, r) => db.close(() => (err ? reject(err) : resolve(r))));
      });
    });
    expect(rows).toEqual([{ n: 0 }]);
    // Going back to the database's log would hide the segment files: refused, saying why.
    const err = await rejection(SqliteRaftStorage.open(file, { log: 'sqlite' }));
    expect(isSextantError(err, ErrorCode.StorageFailed), String(err)).toBe(true);
    expect(String(err)).toContain('segment files');
  });
});
