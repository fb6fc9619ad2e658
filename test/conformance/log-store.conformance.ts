import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { RaftStorage } from '../../contracts/ports/log-store.js';
import { LogEntryType } from '../../contracts/ports/log-store.js';
import { entries, entry } from './log-store-entries.js';

export { entries, entry } from './log-store-entries.js';

/** What a conformance run needs from an adapter. */
export interface LogStoreFixture {
  storage: RaftStorage;
  /** Opens the same underlying storage again (after `storage` was closed), when the adapter persists. */
  reopen?: () => Promise<RaftStorage>;
  /** Removes whatever the fixture created (temp dirs). Called after the storages are closed. */
  cleanup: () => Promise<void>;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a rejection with ${code}`).toBeDefined();
  expect(isSextantError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The LogStore / StableStore / SnapshotStore contract, run against one adapter. `makeStorage`
 * is called once per test with a fresh, empty storage.
 */
export function describeLogStoreConformance(name: string, makeStorage: () => Promise<LogStoreFixture>): void {
  describe(`LogStore conformance: ${name}`, () => {
    const open: RaftStorage[] = [];
    const cleanups: (() => Promise<void>)[] = [];

    async function fresh(): Promise<LogStoreFixture> {
      const f = await makeStorage();
      open.push(f.storage);
      cleanups.push(f.cleanup);
      return f;
    }

    async function reopen(f: LogStoreFixture): Promise<RaftStorage | undefined> {
      if (!f.reopen) return undefined;
      await f.storage.close();
      const s = await f.reopen();
      open.push(s);
      return s;
    }

    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      for (const c of cleanups.splice(0)) await c();
    });

    it('an empty store reports index 0 and has nothing in it', async () => {
      const { storage: s } = await fresh();
      expect(await s.log.firstIndex()).toBe(0);
      expect(await s.log.lastIndex()).toBe(0);
      expect(await s.log.getLog(1)).toBeUndefined();
      expect(await s.log.getLogs(1, 100)).toEqual([]);
      expect(await s.stable.getHardState()).toEqual({ currentTerm: 0, votedFor: '' });
      expect(await s.stable.get('node-id')).toBeUndefined();
      expect(await s.snapshots.latestSnapshot()).toBeUndefined();
    });

    it('stores entries and reads them back by index and by range', async () => {
      const { storage: s } = await fresh();
      const written = [
        entry(1, 1, LogEntryType.Configuration, 40),
        entry(2, 1, LogEntryType.Noop, 0),
        ...entries(3, 10, 2),
      ];
      await s.log.storeLogs(written);
      expect(await s.log.firstIndex()).toBe(1);
      expect(await s.log.lastIndex()).toBe(10);
      expect(await s.log.getLog(1)).toEqual(written[0]);
      expect(await s.log.getLog(2)).toEqual(written[1]);
      expect((await s.log.getLog(2))!.data.length).toBe(0);
      expect(await s.log.getLog(7)).toEqual(entry(7, 2));
      expect(await s.log.getLog(0)).toBeUndefined();
      expect(await s.log.getLog(11)).toBeUndefined();
      expect(await s.log.getLogs(1, 10)).toEqual(written);
      expect(await s.log.getLogs(4, 6)).toEqual(entries(4, 6, 2));
      expect(await s.log.getLogs(8, 1000)).toEqual(entries(8, 10, 2));
      expect(await s.log.getLogs(0, 2)).toEqual(written.slice(0, 2));
      expect(await s.log.getLogs(5, 5)).toEqual([entry(5, 2)]);
      expect(await s.log.getLogs(6, 5)).toEqual([]);
      expect(await s.log.getLogs(11, 20)).toEqual([]);
    });

    it('appends across calls and handles batches larger than one statement', async () => {
      const { storage: s } = await fresh();
      await s.log.storeLogs(entries(1, 1000));
      await s.log.storeLogs(entries(1001, 1001));
      await s.log.storeLogs([]);
      expect(await s.log.lastIndex()).toBe(1001);
      const all = await s.log.getLogs(1, 2000);
      expect(all.length).toBe(1001);
      expect(all.every((e, i) => e.index === i + 1)).toBe(true);
      expect(all[600]).toEqual(entry(601));
    });

    it('keeps empty payloads empty, binary payloads exact, and the later of two rows with one index in a batch', async () => {
      const { storage: s } = await fresh();
      const noops = [entry(1, 1, LogEntryType.Noop, 0), entry(2, 1, LogEntryType.Noop, 0)];
      await s.log.storeLogs(noops);
      expect(await s.log.getLogs(1, 2)).toEqual(noops);
      const binary = { index: 3, term: 1, type: LogEntryType.Command, data: new Uint8Array([0, 255, 0, 91, 34, 0]) };
      // two calls in one turn, the second overwriting the first's last entry (one batch in a group-committing store)
      await Promise.all([s.log.storeLogs([binary, entry(4, 1)]), s.log.storeLogs([entry(4, 2, LogEntryType.Command, 0), entry(5, 2, LogEntryType.Command, 3)])]);
      expect(await s.log.getLog(3)).toEqual(binary);
      expect(await s.log.getLog(4)).toEqual(entry(4, 2, LogEntryType.Command, 0));
      expect(await s.log.getLog(5)).toEqual(entry(5, 2, LogEntryType.Command, 3));
    });

    it('overwrites entries at the same indexes', async () => {
      const { storage: s } = await fresh();
      await s.log.storeLogs(entries(1, 5, 1));
      await s.log.storeLogs(entries(4, 6, 2));
      expect(await s.log.lastIndex()).toBe(6);
      expect((await s.log.getLogs(1, 6)).map((e) => e.term)).toEqual([1, 1, 1, 2, 2, 2]);
      expect(await s.log.getLog(4)).toEqual(entry(4, 2));
    });

    it('truncates a suffix (conflict) and accepts new entries after it', async () => {
      const { storage: s } = await fresh();
      await s.log.storeLogs(entries(1, 10, 1));
      await s.log.deleteRange(6, Infinity);
      expect(await s.log.lastIndex()).toBe(5);
      expect(await s.log.getLog(6)).toBeUndefined();
      expect(await s.log.getLogs(1, 10)).toEqual(entries(1, 5, 1));
      await s.log.storeLogs(entries(6, 7, 3));
      expect(await s.log.lastIndex()).toBe(7);
      expect(await s.log.getLog(6)).toEqual(entry(6, 3));
    });

    it('compacts a prefix, and can empty the log and restart it after a snapshot index', async () => {
      const { storage: s } = await fresh();
      await s.log.storeLogs(entries(1, 10));
      await s.log.deleteRange(1, 4);
      expect(await s.log.firstIndex()).toBe(5);
      expect(await s.log.lastIndex()).toBe(10);
      expect(await s.log.getLog(4)).toBeUndefined();
      expect(await s.log.getLogs(1, 6)).toEqual(entries(5, 6));
      await s.log.deleteRange(await s.log.firstIndex(), await s.log.lastIndex());
      expect(await s.log.firstIndex()).toBe(0);
      expect(await s.log.lastIndex()).toBe(0);
      expect(await s.log.getLogs(1, 100)).toEqual([]);
      await s.log.storeLogs(entries(100, 102, 4));
      expect(await s.log.firstIndex()).toBe(100);
      expect(await s.log.lastIndex()).toBe(102);
      await s.log.deleteRange(50, 10);
      expect(await s.log.lastIndex()).toBe(102);
    });

    it('keeps its bounds right after deleting outside them, a hole in the middle, and prefix and suffix together', async () => {
      const { storage: s } = await fresh();
      await s.log.storeLogs(entries(5, 20));
      await s.log.deleteRange(1, 3);
      await s.log.deleteRange(30, 40);
      expect([await s.log.firstIndex(), await s.log.lastIndex()]).toEqual([5, 20]);
      await s.log.deleteRange(9, 12);
      expect([await s.log.firstIndex(), await s.log.lastIndex()]).toEqual([5, 20]);
      expect((await s.log.getLogs(1, 30)).map((e) => e.index)).toEqual([5, 6, 7, 8, 13, 14, 15, 16, 17, 18, 19, 20]);
      await s.log.deleteRange(1, 6);
      await s.log.deleteRange(19, 25);
      expect([await s.log.firstIndex(), await s.log.lastIndex()]).toEqual([7, 18]);
      expect(await s.log.getLog(6)).toBeUndefined();
      expect(await s.log.getLog(19)).toBeUndefined();
    });

    it('rejects non-contiguous or invalid entries with STORAGE_FAILED and writes none of them', async () => {
      const { storage: s } = await fresh();
      const good = s.log.storeLogs(entries(1, 3));
      const gap = s.log.storeLogs([entry(4), entry(6)]);
      const descending = s.log.storeLogs([entry(5), entry(4)]);
      const badTerm = s.log.storeLogs([entry(4, 0)]);
      await expectCode(gap, ErrorCode.StorageFailed);
      await expectCode(descending, ErrorCode.StorageFailed);
      await expectCode(badTerm, ErrorCode.StorageFailed);
      await good;
      expect(await s.log.lastIndex()).toBe(3);
      expect(await s.log.getLog(4)).toBeUndefined();
    });

    it('resolves concurrent storeLogs calls in call order, each visible when it resolves', async () => {
      const { storage: s } = await fresh();
      const order: number[] = [];
      const seen: number[] = [];
      const calls: Promise<void>[] = [];
      let next = 1;
      const issue = (n: number): void => {
        const lo = next;
        const hi = next + n - 1;
        next = hi + 1;
        const id = calls.length;
        calls.push(
          s.log.storeLogs(entries(lo, hi)).then(async () => {
            order.push(id);
            seen.push(await s.log.lastIndex());
            expect(await s.log.getLog(hi)).toEqual(entry(hi));
          }),
        );
      };
      for (let i = 0; i < 20; i++) issue(1 + (i % 5));
      await Promise.resolve();
      for (let i = 0; i < 10; i++) issue(3);
      await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 10; i++) issue(2);
      await Promise.all(calls);
      expect(order).toEqual([...Array(40).keys()]);
      expect(await s.log.lastIndex()).toBe(next - 1);
      expect((await s.log.getLogs(1, next)).length).toBe(next - 1);
    });

    it('shows every write to reads started after it resolves, while other reads never stop', async () => {
      const { storage: s } = await fresh();
      await s.log.storeLogs([entry(1)]);
      let writing = true;
      // Readers that keep several reads in flight at every moment of the writes below.
      const reader = async (): Promise<void> => {
        while (writing) expect(await s.log.getLog(1)).toEqual(entry(1));
      };
      const readers = [reader(), reader(), reader(), reader()];
      try {
        for (let i = 2; i <= 60; i++) {
          await s.log.storeLogs([entry(i)]);
          expect(await s.log.getLog(i)).toEqual(entry(i));
          expect((await s.log.getLogs(i, i)).map((e) => e.index)).toEqual([i]);
        }
      } finally {
        writing = false;
        await Promise.all(readers);
      }
    });

    it('keeps its own copy of stored data and hands out copies', async () => {
      const { storage: s } = await fresh();
      const e = entry(1);
      const original = e.data.slice();
      await s.log.storeLogs([e]);
      e.data.fill(0);
      const got = (await s.log.getLog(1))!;
      expect(got.data).toEqual(original);
      got.data.fill(9);
      expect((await s.log.getLog(1))!.data).toEqual(original);
      const v = bytes('abc');
      await s.stable.set('k', v);
      v.fill(0);
      expect(await s.stable.get('k')).toEqual(bytes('abc'));
    });

    it('round-trips the hard state', async () => {
      const { storage: s } = await fresh();
      await s.stable.setHardState({ currentTerm: 3, votedFor: 'node-a' });
      expect(await s.stable.getHardState()).toEqual({ currentTerm: 3, votedFor: 'node-a' });
      await s.stable.setHardState({ currentTerm: 4, votedFor: '' });
      expect(await s.stable.getHardState()).toEqual({ currentTerm: 4, votedFor: '' });
    });

    it('keeps a key/value slot independent of the hard state', async () => {
      const { storage: s } = await fresh();
      await s.stable.set('node-id', bytes('3f1c'));
      await s.stable.set('empty', new Uint8Array(0));
      await s.stable.set('bin', new Uint8Array([0, 255, 1, 0]));
      await s.stable.setHardState({ currentTerm: 2, votedFor: 'x' });
      expect(await s.stable.get('node-id')).toEqual(bytes('3f1c'));
      expect(await s.stable.get('empty')).toEqual(new Uint8Array(0));
      expect(await s.stable.get('bin')).toEqual(new Uint8Array([0, 255, 1, 0]));
      await s.stable.set('node-id', bytes('9a9a'));
      expect(await s.stable.get('node-id')).toEqual(bytes('9a9a'));
      expect(await s.stable.get('currentTerm')).toBeUndefined();
      expect(await s.stable.getHardState()).toEqual({ currentTerm: 2, votedFor: 'x' });
    });

    it('saves snapshots and returns the newest', async () => {
      const { storage: s } = await fresh();
      await s.snapshots.saveSnapshot({ meta: { lastIndex: 10, lastTerm: 1, configuration: bytes('cfg1') }, data: bytes('state-10') });
      const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
      await s.snapshots.saveSnapshot({ meta: { lastIndex: 20, lastTerm: 2, configuration: bytes('cfg2') }, data: big });
      const latest = await s.snapshots.latestSnapshot();
      expect(latest?.meta).toEqual({ lastIndex: 20, lastTerm: 2, configuration: bytes('cfg2') });
      expect(latest?.data.length).toBe(big.length);
      expect(Buffer.compare(Buffer.from(latest!.data), Buffer.from(big))).toBe(0);
    });

    it('keeps everything across a reopen (or, without reopen, across the same instance)', async () => {
      const f = await fresh();
      const s = f.storage;
      await s.log.storeLogs(entries(1, 50, 1));
      await s.log.deleteRange(41, Infinity);
      await s.log.deleteRange(1, 10);
      await s.stable.setHardState({ currentTerm: 7, votedFor: 'b' });
      await s.stable.set('node-id', bytes('id-1'));
      await s.snapshots.saveSnapshot({ meta: { lastIndex: 10, lastTerm: 1, configuration: bytes('c') }, data: bytes('d') });
      const pending = s.log.storeLogs(entries(41, 45, 2));
      const r = (await reopen(f)) ?? s;
      await pending;
      expect(await r.log.firstIndex()).toBe(11);
      expect(await r.log.lastIndex()).toBe(45);
      expect(await r.log.getLogs(1, 100)).toEqual([...entries(11, 40, 1), ...entries(41, 45, 2)]);
      expect(await r.stable.getHardState()).toEqual({ currentTerm: 7, votedFor: 'b' });
      expect(await r.stable.get('node-id')).toEqual(bytes('id-1'));
      expect((await r.snapshots.latestSnapshot())?.meta.lastIndex).toBe(10);
    });

    it('flushes writes made before close, then rejects every call with SHUTDOWN; close is idempotent', async () => {
      const f = await fresh();
      const s = f.storage;
      const pending = s.log.storeLogs(entries(1, 3));
      const hs = s.stable.setHardState({ currentTerm: 1, votedFor: 'me' });
      await s.close();
      await pending;
      await hs;
      await s.close();
      await s.log.close();
      await expectCode(s.log.firstIndex(), ErrorCode.Shutdown);
      await expectCode(s.log.lastIndex(), ErrorCode.Shutdown);
      await expectCode(s.log.getLog(1), ErrorCode.Shutdown);
      await expectCode(s.log.getLogs(1, 3), ErrorCode.Shutdown);
      await expectCode(s.log.storeLogs(entries(4, 4)), ErrorCode.Shutdown);
      await expectCode(s.log.deleteRange(1, 1), ErrorCode.Shutdown);
      await expectCode(s.stable.getHardState(), ErrorCode.Shutdown);
      await expectCode(s.stable.setHardState({ currentTerm: 2, votedFor: '' }), ErrorCode.Shutdown);
      await expectCode(s.stable.get('a'), ErrorCode.Shutdown);
      await expectCode(s.stable.set('a', bytes('b')), ErrorCode.Shutdown);
      await expectCode(s.snapshots.latestSnapshot(), ErrorCode.Shutdown);
      await expectCode(
        s.snapshots.saveSnapshot({ meta: { lastIndex: 1, lastTerm: 1, configuration: bytes('') }, data: bytes('') }),
        ErrorCode.Shutdown,
      );
      if (f.reopen) {
        const r = await f.reopen();
        open.push(r);
        expect(await r.log.getLogs(1, 3)).toEqual(entries(1, 3));
        expect(await r.stable.getHardState()).toEqual({ currentTerm: 1, votedFor: 'me' });
      }
    });

    it('closing one store leaves the others usable', async () => {
      const { storage: s } = await fresh();
      await s.log.storeLogs(entries(1, 2));
      await s.log.close();
      await expectCode(s.log.lastIndex(), ErrorCode.Shutdown);
      await s.stable.setHardState({ currentTerm: 5, votedFor: 'z' });
      expect(await s.stable.getHardState()).toEqual({ currentTerm: 5, votedFor: 'z' });
      await s.snapshots.saveSnapshot({ meta: { lastIndex: 2, lastTerm: 1, configuration: bytes('c') }, data: bytes('d') });
      expect((await s.snapshots.latestSnapshot())?.meta.lastIndex).toBe(2);
    });
  });
}
