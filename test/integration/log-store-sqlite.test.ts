import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import sqlite3 from 'sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { KernelServices, PluginContext, PortName, ProviderFactory } from '../../contracts/plugin.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import plugin from '../../plugins/log-store-sqlite/index.js';
import type { SqliteConnection } from '../../plugins/log-store-sqlite/sqlite-connection.js';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import type { SqliteRaftStorageOptions } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import { SNAPSHOT_WRITE_BYTES } from '../../plugins/log-store-sqlite/file-snapshot-store.js';
import type { Clock } from '../../contracts/platform.js';
import { loadPlugins } from '../../src/kernel/plugin-loader.js';
import { describeLogStoreConformance, entries } from '../conformance/log-store.conformance.js';

const Ajv = AjvModule.default ?? AjvModule;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sextant-log-store-'));
}

describeLogStoreConformance('sqlite (log in segment files)', async () => {
  const dir = tempDir();
  const file = join(dir, 'raft', 'raft.db');
  return {
    storage: await SqliteRaftStorage.open(file),
    reopen: () => SqliteRaftStorage.open(file),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describeLogStoreConformance('sqlite (log in segment files of 4 KB)', async () => {
  const dir = tempDir();
  const file = join(dir, 'raft', 'raft.db');
  return {
    storage: await SqliteRaftStorage.open(file, { segmentBytes: 4096 }),
    reopen: () => SqliteRaftStorage.open(file, { segmentBytes: 4096 }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describeLogStoreConformance('sqlite (log in the database)', async () => {
  const dir = tempDir();
  const file = join(dir, 'raft', 'raft.db');
  return {
    storage: await SqliteRaftStorage.open(file, { log: 'sqlite' }),
    reopen: () => SqliteRaftStorage.open(file, { log: 'sqlite' }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

/** A raw connection to the same file, as another process would have. */
function raw(file: string): { exec(sql: string): Promise<void>; all<T>(sql: string): Promise<T[]>; close(): Promise<void> } {
  const db = new sqlite3.Database(file);
  return {
    exec: (sql) => new Promise((res, rej) => db.exec(sql, (e) => (e ? rej(e) : res()))),
    all: <T>(sql: string) => new Promise<T[]>((res, rej) => db.all<T>(sql, (e, rows) => (e ? rej(e) : res(rows)))),
    close: () => new Promise((res) => db.close(() => res())),
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('SqliteRaftStorage', () => {
  const dirs: string[] = [];
  const storages: SqliteRaftStorage[] = [];
  afterEach(async () => {
    for (const s of storages.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function open(opts: SqliteRaftStorageOptions = {}): Promise<{ s: SqliteRaftStorage; file: string }> {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir, 'raft.db');
    const s = await SqliteRaftStorage.open(file, opts);
    storages.push(s);
    return { s, file };
  }

  it('uses WAL mode and the documented schema (log in the database when asked)', async () => {
    const { s, file } = await open({ log: 'sqlite' });
    await s.log.storeLogs(entries(1, 3));
    const db = raw(file);
    expect(await db.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    const cols = await db.all<{ name: string; type: string }>('PRAGMA table_info(log)');
    expect(cols.map((c) => `${c.name} ${c.type}`)).toEqual(['idx INTEGER', 'term INTEGER', 'type INTEGER', 'data BLOB']);
    expect(await db.all('SELECT count(*) AS n FROM log')).toEqual([{ n: 3 }]);
    await db.close();
  });

  it('fsyncs every commit: synchronous=FULL on the write connection (NORMAL only when asked)', async () => {
    // synchronous is per connection, so it is read on the store's own write connection.
    const level = async (st: SqliteRaftStorage): Promise<unknown> =>
      (st as unknown as { writeConn: SqliteConnection }).writeConn.get('PRAGMA synchronous');
    const { s } = await open();
    expect(await level(s)).toEqual({ synchronous: 2 }); // 2 = FULL
    const dir = tempDir();
    dirs.push(dir);
    const normal = await SqliteRaftStorage.open(join(dir, 'n.db'), { synchronous: 'normal' });
    storages.push(normal);
    expect(await level(normal)).toEqual({ synchronous: 1 }); // 1 = NORMAL
  });

  it('group-commits calls of one turn in one transaction: a failure rejects all of them and leaves nothing', async () => {
    const { s, file } = await open({ log: 'sqlite' });
    await s.log.storeLogs(entries(1, 5));
    const db = raw(file);
    await db.exec(`CREATE TRIGGER boom BEFORE INSERT ON log WHEN NEW.idx = 13 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const a = s.log.storeLogs(entries(6, 10));
    const b = s.log.storeLogs(entries(11, 15));
    const c = s.log.storeLogs(entries(16, 16));
    for (const p of [a, b, c]) {
      const err = await rejection(p);
      expect(isSextantError(err, ErrorCode.StorageFailed), String(err)).toBe(true);
    }
    expect(await s.log.lastIndex()).toBe(5);
    expect(await s.log.getLogs(1, 100)).toEqual(entries(1, 5));
    expect(await db.all('SELECT max(idx) AS m FROM log')).toEqual([{ m: 5 }]);
    // A batch bigger than one INSERT statement, failing in its last chunk: rolled back whole.
    await db.exec(`DROP TRIGGER boom; CREATE TRIGGER boom BEFORE INSERT ON log WHEN NEW.idx = 700 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const big = [s.log.storeLogs(entries(6, 300)), s.log.storeLogs(entries(301, 800))];
    for (const p of big) expect(isSextantError(await rejection(p), ErrorCode.StorageFailed)).toBe(true);
    expect(await s.log.lastIndex()).toBe(5);
    expect(await db.all('SELECT count(*) AS n FROM log')).toEqual([{ n: 5 }]);
    await db.exec('DROP TRIGGER boom');
    await db.close();
    await s.log.storeLogs(entries(6, 16));
    expect(await s.log.lastIndex()).toBe(16);
    expect(await s.log.getLogs(1, 100)).toEqual(entries(1, 16));
  });

  it('checkpoints and truncates the WAL after a big compaction', async () => {
    const { s, file } = await open({ log: 'sqlite' });
    for (let i = 0; i < 10; i++) await s.log.storeLogs(entries(i * 500 + 1, (i + 1) * 500));
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    await s.log.deleteRange(1, 4900);
    expect(await s.log.firstIndex()).toBe(4901);
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect((await s.log.getLogs(1, 10_000)).length).toBe(100);
  });

  it('keeps snapshots as checksummed files beside the database: a damaged newest one is skipped for the previous one', async () => {
    const { s, file } = await open();
    const data = (n: number): Uint8Array => {
      const out = new Uint8Array(2_500_000);
      for (let i = 0; i < out.length; i++) out[i] = (i * n) & 0xff;
      return out;
    };
    for (const i of [10, 20, 30]) await s.snapshots.saveSnapshot({ meta: { lastIndex: i, lastTerm: 2, configuration: Uint8Array.of(i) }, data: data(i) });
    const dir = join(dirname(file), 'snapshots');
    // The newest two are kept, no image went into the database.
    expect(readdirSync(dir).sort()).toEqual(['00000000000000000020-2.snap', '00000000000000000030-2.snap']);
    const db = raw(file);
    expect(await db.all('SELECT (SELECT count(*) FROM snapshot) AS rows, (SELECT count(*) FROM snapshot_chunk) AS chunks')).toEqual([{ rows: 0, chunks: 0 }]);
    await db.close();
    // One flipped byte in the newest image: its CRC no longer matches, so index 20 is the latest.
    const newest = join(dir, '00000000000000000030-2.snap');
    const bytes = readFileSync(newest);
    bytes[1_234_567] ^= 0xff;
    writeFileSync(newest, bytes);
    const latest = await s.snapshots.latestSnapshot();
    expect(latest?.meta).toEqual({ lastIndex: 20, lastTerm: 2, configuration: Uint8Array.of(20) });
    expect(Buffer.from(latest!.data).equals(Buffer.from(data(20)))).toBe(true);
  });

  it('with a clock, leaves the disk to the log between the megabytes of a snapshot save as long as each took', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // Every reading of this clock is 3 ms after the last, so each slice's write and flush "took" 3 ms.
    let t = 0;
    const pauses: number[] = [];
    const clock: Clock = {
      now: () => (t += 3),
      setTimeout: (fn, ms) => {
        pauses.push(ms);
        const timer = setTimeout(fn, 1);
        return { cancel: () => clearTimeout(timer) };
      },
      setInterval: () => {
        throw new Error('not used');
      },
    };
    const s = await SqliteRaftStorage.open(join(dir, 'raft.db'), { clock });
    storages.push(s);
    const data = new Uint8Array(3 * SNAPSHOT_WRITE_BYTES + 12_345).map((_, i) => (i * 7) & 0xff);
    await s.snapshots.saveSnapshot({ meta: { lastIndex: 5, lastTerm: 1, configuration: Uint8Array.of(1) }, data });
    // Four slices: a pause as long as the slice after each but the last.
    expect(pauses).toEqual([3, 3, 3]);
    const back = await s.snapshots.latestSnapshot();
    expect(Buffer.from(back!.data).equals(Buffer.from(data))).toBe(true);
  });

  it('reads a snapshot an earlier version kept in the database, and drops it once a file supersedes it', async () => {
    const { s, file } = await open();
    const db = raw(file);
    await db.exec("INSERT INTO snapshot(last_index, last_term, configuration, data, chunk_set) VALUES (7, 1, x'01', x'', 1); INSERT INTO snapshot_chunk(set_id, seq, data) VALUES (1, 0, x'aabb'), (1, 1, x'cc')");
    const legacy = await s.snapshots.latestSnapshot();
    expect(legacy?.meta).toEqual({ lastIndex: 7, lastTerm: 1, configuration: Uint8Array.of(1) });
    expect(Buffer.from(legacy!.data).toString('hex')).toBe('aabbcc');
    await s.snapshots.saveSnapshot({ meta: { lastIndex: 9, lastTerm: 1, configuration: Uint8Array.of(2) }, data: Uint8Array.of(9) });
    expect((await s.snapshots.latestSnapshot())?.meta.lastIndex).toBe(9);
    expect(await db.all('SELECT (SELECT count(*) FROM snapshot) AS rows, (SELECT count(*) FROM snapshot_chunk) AS chunks')).toEqual([{ rows: 0, chunks: 0 }]);
    await db.close();
  });

  it('refuses a file that is not a database, or one with a newer schema, with STORAGE_CORRUPT', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a sqlite database, not at all, no'.repeat(100));
    expect(isSextantError(await rejection(SqliteRaftStorage.open(junk)), ErrorCode.StorageCorrupt)).toBe(true);
    const newer = join(dir, 'newer.db');
    const db = raw(newer);
    await db.exec('PRAGMA user_version = 99');
    await db.close();
    const err = await rejection(SqliteRaftStorage.open(newer));
    expect(isSextantError(err, ErrorCode.StorageCorrupt), String(err)).toBe(true);
  });
});

describe('log-store-sqlite plugin', () => {
  function register(pluginConfig: unknown): ProviderFactory<'logStore'> {
    const provided: { port: PortName; id: string; factory: ProviderFactory<PortName> }[] = [];
    const ctx = {
      name: plugin.name,
      pluginConfig,
      provide: (port: PortName, id: string, factory: ProviderFactory<PortName>) => provided.push({ port, id, factory }),
    } as unknown as PluginContext;
    void plugin.register(ctx);
    expect(provided.map((p) => [p.port, p.id])).toEqual([['logStore', 'sqlite']]);
    return provided[0]!.factory as ProviderFactory<'logStore'>;
  }
  const services = (config: Partial<RuntimeConfig>): KernelServices => ({ config }) as unknown as KernelServices;

  it('stores the log in <data_dir>/raft/raft.db, creating the directories', async () => {
    const dir = tempDir();
    try {
      const storage = await register({})(services({ dataDir: join(dir, 'data'), dev: false }));
      await storage.log.storeLogs(entries(1, 2));
      await storage.close();
      expect(existsSync(join(dir, 'data', 'raft', 'raft.db'))).toBe(true);
      const again = await SqliteRaftStorage.open(join(dir, 'data', 'raft', 'raft.db'));
      expect(await again.log.lastIndex()).toBe(2);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with CONFIG_INVALID without a data dir, or with synchronous "normal" outside dev mode', async () => {
    const noDir = await rejection(Promise.resolve().then(() => register({})(services({ dataDir: undefined, dev: true }))));
    expect(isSextantError(noDir, ErrorCode.ConfigInvalid), String(noDir)).toBe(true);
    const normal = await rejection(
      Promise.resolve().then(() => register({ synchronous: 'normal' })(services({ dataDir: tmpdir(), dev: false }))),
    );
    expect(isSextantError(normal, ErrorCode.ConfigInvalid), String(normal)).toBe(true);
  });

  it('loads through the kernel plugin loader with its plugin_config', async () => {
    const pluginsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'plugins');
    const refs = ['log-store-sqlite', 'log-store-memory'].map((n) => ({ spec: join(pluginsDir, n), baseDir: pluginsDir, source: 'first-party' }));
    const loaded = await loadPlugins(refs, { 'log-store-sqlite': { file: 'raft/other.db' } });
    expect(loaded.map((p) => p.manifest.name)).toEqual(['log-store-sqlite', 'log-store-memory']);
    expect(loaded[0]!.pluginConfig).toEqual({ file: 'raft/other.db', synchronous: 'full', log: 'segments' });
    const bad = await rejection(loadPlugins(refs, { 'log-store-sqlite': { synchronous: 'off' } }));
    expect(isSextantError(bad, ErrorCode.PluginConfigInvalid), String(bad)).toBe(true);
  });

  it('declares a config schema that accepts file/synchronous/log and rejects anything else', () => {
    const ajv = new Ajv({ useDefaults: true });
    const validate = ajv.compile(plugin.configSchema!);
    const ok: Record<string, unknown> = { file: '/var/lib/sextant/raft.db' };
    expect(validate(ok)).toBe(true);
    expect(ok.synchronous).toBe('full');
    expect(ok.log).toBe('segments');
    expect(validate({ log: 'sqlite' })).toBe(true);
    expect(validate({ log: 'bolt' })).toBe(false);
    expect(validate({ synchronous: 'off' })).toBe(false);
    expect(validate({ fiel: 'typo.db' })).toBe(false);
  });
});
