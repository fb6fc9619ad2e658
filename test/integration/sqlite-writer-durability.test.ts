import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteConnection } from '../../plugins/log-store-sqlite/sqlite-connection.js';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import { SqliteWriter } from '../../plugins/log-store-sqlite/sqlite-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'sextant-writer-'));
  dirs.push(d);
  return join(d, 'raft.db');
}

describe('SqliteWriter transactions without an fsync of their own', () => {
  it('run with synchronous=OFF and no auto-checkpoint, then put FULL and the checkpoint setting back for the writes after them', async () => {
    const conn = await SqliteConnection.open(tempFile(), 1000);
    await conn.get('PRAGMA journal_mode=WAL');
    await conn.run('PRAGMA synchronous=FULL');
    await conn.run('CREATE TABLE t (v INTEGER)');
    const writer = new SqliteWriter(conn, () => {});
    const settings = (c: SqliteConnection): Promise<[number | undefined, number | undefined]> =>
      Promise.all([
        c.get<{ synchronous: number }>('PRAGMA synchronous').then((r) => r?.synchronous),
        c.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint').then((r) => r?.wal_autocheckpoint),
      ]);
    const inside = await writer.transaction('t', async (c) => {
      await c.run('INSERT INTO t VALUES (1)');
      return settings(c);
    }, { durable: false });
    expect(inside).toEqual([0, 0]);
    const after = await writer.transaction('t', (c) => settings(c));
    expect(after).toEqual([2, 1000]);
    // Also after a failed one.
    await expect(writer.transaction('t', (c) => c.run('INSERT INTO missing VALUES (1)'), { durable: false })).rejects.toThrow();
    expect(await writer.transaction('t', (c) => settings(c))).toEqual([2, 1000]);
    await writer.drain();
    await writer.finalize();
    await conn.close();
  });

  it('a snapshot saved with such chunk writes reads back whole after the storage is reopened', async () => {
    const file = tempFile();
    const data = Uint8Array.from({ length: 1_500_000 }, (_, i) => (i * 7) & 0xff);
    const s = await SqliteRaftStorage.open(file);
    await s.snapshots.saveSnapshot({ meta: { lastIndex: 10, lastTerm: 2, configuration: new Uint8Array([1]) }, data });
    await s.log.storeLogs([{ index: 11, term: 2, type: 0, data: new Uint8Array([9]) }]);
    await s.close();
    const again = await SqliteRaftStorage.open(file);
    const snap = await again.snapshots.latestSnapshot();
    expect(snap?.meta.lastIndex).toBe(10);
    expect(Buffer.compare(Buffer.from(snap!.data), Buffer.from(data))).toBe(0);
    expect((await again.log.getLog(11))?.data).toEqual(new Uint8Array([9]));
    await again.close();
  });
});
