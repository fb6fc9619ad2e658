import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { QueryOptions } from '../../../contracts/model/query.js';
import { KvEndpoint, blockingWaitMs } from '../../../src/rpc/kv-endpoint.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { FakeRaft } from './fake-raft.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const config = { kvMaxValueSize: 524288, defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 };

function setup() {
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const clock = new ManualClock();
  const kv = new KvEndpoint({ store, raft, clock, random: new SeededRandom(7), config });
  return { store, raft, clock, kv };
}

const now: QueryOptions = { minIndex: 0, waitMs: 0, consistency: 'default' };
const block = (minIndex: number, waitMs = 60_000, extra: Partial<QueryOptions> = {}): QueryOptions => ({
  minIndex,
  waitMs,
  consistency: 'default',
  ...extra,
});

/** Lets pending promise continuations run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Tracks whether a promise has settled yet. */
function track<T>(p: Promise<T>): { done: () => boolean; p: Promise<T> } {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  return { done: () => done, p };
}

async function rejection(p: Promise<unknown>): Promise<SextantError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SextantError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('KvEndpoint writes', () => {
  it('commits through Raft and answers Consul booleans', async () => {
    const { kv, raft } = setup();
    expect(await kv.apply({ verb: 'set', key: 'a', value: enc('1'), flags: '0' })).toBe(true);
    expect(await kv.apply({ verb: 'cas', key: 'a', value: enc('2'), flags: '0', index: 0 })).toBe(false);
    expect(await kv.apply({ verb: 'cas', key: 'a', value: enc('2'), flags: '0', index: 1 })).toBe(true);
    expect(await kv.apply({ verb: 'delete-cas', key: 'a', index: 1 })).toBe(false);
    expect(await kv.apply({ verb: 'delete', key: 'a' })).toBe(true);
    expect(await kv.apply({ verb: 'delete-tree', prefix: '' })).toBe(true);
    expect(raft.proposals).toBe(6);
  });

  it('normalizes flags as uint64 decimal strings', async () => {
    const { kv } = setup();
    await kv.apply({ verb: 'set', key: 'f', value: enc(''), flags: '0018446744073709551615' });
    expect((await kv.get('f', now)).value?.flags).toBe('18446744073709551615');
    expect((await rejection(kv.apply({ verb: 'set', key: 'f', value: enc(''), flags: '18446744073709551616' }))).code).toBe(ErrorCode.BadRequest);
    expect((await rejection(kv.apply({ verb: 'set', key: 'f', value: enc(''), flags: '-1' }))).code).toBe(ErrorCode.BadRequest);
  });

  it('rejects an empty key with MISSING_KEY and proposes nothing', async () => {
    const { kv, raft } = setup();
    for (const op of [
      { verb: 'set', key: '', value: enc('x'), flags: '0' },
      { verb: 'cas', key: '', value: enc('x'), flags: '0', index: 0 },
      { verb: 'delete', key: '' },
      { verb: 'delete-cas', key: '', index: 0 },
    ] as const) {
      const e = await rejection(kv.apply(op));
      expect(e.code).toBe(ErrorCode.MissingKey);
      expect(e.message).toBe('Missing key name');
    }
    expect(raft.proposals).toBe(0);
  });

  it('rejects a value over kv_max_value_size with Consul\'s 413 text', async () => {
    const { kv, raft } = setup();
    const e = await rejection(kv.apply({ verb: 'set', key: 'big', value: new Uint8Array(524289), flags: '0' }));
    expect(e.code).toBe(ErrorCode.TooLarge);
    expect(e.message).toBe(
      'Request body(524289 bytes) too large, max size: 524288 bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.',
    );
    expect(await kv.apply({ verb: 'set', key: 'big', value: new Uint8Array(524288), flags: '0' })).toBe(true);
    expect(raft.proposals).toBe(1);
  });

  it('passes Raft rejections through', async () => {
    const { kv, raft } = setup();
    raft.leaderPeer = undefined;
    expect((await rejection(kv.apply({ verb: 'delete', key: 'x' }))).code).toBe(ErrorCode.NoLeader);
  });
});

describe('KvEndpoint reads', () => {
  it('returns entries, lists, keys with meta; index never 0', async () => {
    const { kv, raft } = setup();
    const empty = await kv.get('nothing', now);
    expect(empty.value).toBeNull();
    expect(empty.meta).toEqual({ index: 1, knownLeader: true, lastContactMs: 0 });
    expect((await kv.keys('', '/', now)).meta.index).toBe(1);
    for (const k of ['/web/bar', '/web/foo', '/web/subdir/x', '/web/subdir/y']) await kv.apply({ verb: 'set', key: k, value: enc(k), flags: '0' });
    const keys = await kv.keys('/web/', '/', now);
    expect(keys.value).toEqual(['/web/bar', '/web/foo', '/web/subdir/']);
    expect(keys.meta.index).toBe(4);
    const list = await kv.list('/web/sub', now);
    expect(list.value.map((e) => e.key)).toEqual(['/web/subdir/x', '/web/subdir/y']);
    const one = await kv.get('/web/foo', now);
    expect(one.meta.index).toBe(2);
    raft.leaderPeer = undefined;
    raft.contactMs = 1234;
    expect((await kv.get('/web/foo', { ...now, consistency: 'stale' })).meta).toEqual({ index: 2, knownLeader: false, lastContactMs: 1234 });
  });

  it('uses the read barrier for default and consistent, none for stale', async () => {
    const { kv, raft } = setup();
    await kv.get('a', now);
    await kv.get('a', { ...now, consistency: 'consistent' });
    await kv.get('a', { ...now, consistency: 'stale' });
    expect(raft.barriers).toEqual(['default', 'consistent']);
    raft.barrierError = new SextantError(ErrorCode.NotLeader, 'not leader');
    expect((await rejection(kv.list('', now))).code).toBe(ErrorCode.NotLeader);
    expect((await kv.list('', { ...now, consistency: 'stale' })).value).toEqual([]);
  });
});

describe('KvEndpoint blocking queries', () => {
  it('returns at once when the index already moved past minIndex', async () => {
    const { kv, store } = setup();
    await kv.apply({ verb: 'set', key: 'k', value: enc('1'), flags: '0' });
    await kv.apply({ verb: 'set', key: 'k', value: enc('2'), flags: '0' });
    const r = await kv.get('k', block(1));
    expect(r.meta.index).toBe(2);
    expect(store.watcherCount()).toBe(0);
  });

  it('parks until the key changes, then returns the new value', async () => {
    const { kv, store, clock } = setup();
    await kv.apply({ verb: 'set', key: 'k', value: enc('1'), flags: '0' });
    const q = track(kv.get('k', block(1)));
    await settle();
    expect(q.done()).toBe(false);
    expect(store.watcherCount()).toBe(1);
    expect(clock.pending()).toBe(1);
    await kv.apply({ verb: 'set', key: 'k', value: enc('2'), flags: '0' });
    const r = await q.p;
    expect(new TextDecoder().decode(r.value!.value)).toBe('2');
    expect(r.meta.index).toBe(2);
    expect(store.watcherCount()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('is not woken by writes to other keys or by identical rewrites, and times out with the same data and index', async () => {
    const { kv, store, clock } = setup();
    await kv.apply({ verb: 'set', key: 'k', value: enc('1'), flags: '0' });
    const q = track(kv.get('k', block(1, 10_000)));
    await settle();
    await kv.apply({ verb: 'set', key: 'other', value: enc('x'), flags: '0' });
    await kv.apply({ verb: 'set', key: 'k', value: enc('1'), flags: '0' });
    await kv.apply({ verb: 'set', key: 'k2', value: enc('x'), flags: '0' });
    await settle();
    expect(q.done()).toBe(false);
    clock.advance(9_999);
    await settle();
    expect(q.done()).toBe(false);
    clock.advance(1);
    const r = await q.p;
    expect(r.meta.index).toBe(1);
    expect(new TextDecoder().decode(r.value!.value)).toBe('1');
    expect(store.watcherCount()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('a prefix query wakes on a child write and on a delete under the prefix', async () => {
    const { kv } = setup();
    await kv.apply({ verb: 'set', key: 'app/a', value: enc('1'), flags: '0' });
    await kv.apply({ verb: 'set', key: 'app/b', value: enc('1'), flags: '0' });
    const q1 = track(kv.keys('app/', '/', block(2)));
    await settle();
    await kv.apply({ verb: 'set', key: 'app/c', value: enc('1'), flags: '0' });
    expect((await q1.p).value).toEqual(['app/a', 'app/b', 'app/c']);
    const q2 = track(kv.list('app/', block(3)));
    await settle();
    await kv.apply({ verb: 'delete', key: 'app/c' }); // the highest index: tombstone keeps the index moving forward
    const r2 = await q2.p;
    expect(r2.value.map((e) => e.key)).toEqual(['app/a', 'app/b']);
    expect(r2.meta.index).toBe(4);
  });

  it('a blocking query on a missing key wakes when the key is created', async () => {
    const { kv } = setup();
    await kv.apply({ verb: 'set', key: 'x', value: enc('1'), flags: '0' });
    const first = await kv.get('lock', now);
    expect(first.value).toBeNull();
    const q = track(kv.get('lock', block(first.meta.index)));
    await settle();
    await kv.apply({ verb: 'set', key: 'lock', value: enc('held'), flags: '0' });
    const r = await q.p;
    expect(r.value?.key).toBe('lock');
    expect(r.meta.index).toBe(2);
  });

  it('an abort cleans up the watcher and timer and resolves promptly with the current data', async () => {
    const { kv, store, clock } = setup();
    await kv.apply({ verb: 'set', key: 'k', value: enc('1'), flags: '0' });
    const ac = new AbortController();
    const queries = Array.from({ length: 5 }, () => track(kv.get('k', block(1, 60_000, { signal: ac.signal }))));
    await settle();
    expect(store.watcherCount()).toBe(5);
    expect(clock.pending()).toBe(5);
    ac.abort();
    for (const q of queries) expect((await q.p).meta.index).toBe(1);
    expect(store.watcherCount()).toBe(0);
    expect(clock.pending()).toBe(0);
    // an already-aborted signal does not park at all
    const r = await kv.get('k', block(1, 60_000, { signal: ac.signal }));
    expect(r.meta.index).toBe(1);
    expect(store.watcherCount()).toBe(0);
  });

  it('a snapshot restore wakes blocked queries and returns even when the index went backwards', async () => {
    const { kv, store } = setup();
    await kv.apply({ verb: 'set', key: 'k', value: enc('1'), flags: '0' });
    const snap = await store.snapshot();
    await kv.apply({ verb: 'set', key: 'k', value: enc('2'), flags: '0' });
    const q = track(kv.get('k', block(2)));
    await settle();
    store.restore(snap, 1);
    const r = await q.p;
    expect(r.meta.index).toBe(1);
    expect(store.watcherCount()).toBe(0);
  });

  it('consistent blocking reads pass the barrier again after each wake', async () => {
    const { kv, raft } = setup();
    await kv.apply({ verb: 'set', key: 'k', value: enc('1'), flags: '0' });
    const q = track(kv.get('k', block(1, 60_000, { consistency: 'consistent' })));
    await settle();
    await kv.apply({ verb: 'set', key: 'k', value: enc('2'), flags: '0' });
    expect((await q.p).meta.index).toBe(2);
    expect(raft.barriers).toEqual(['consistent', 'consistent']);
  });

  it('with 10,000 parked queries on 10,000 keys one write answers exactly one', async () => {
    const { kv, store, raft } = setup();
    const N = 10_000;
    for (let i = 0; i < N; i++) store.apply({ index: i + 1, term: 1, data: encSet(`k/${i}`) });
    raft.skip(N);
    const qs = Array.from({ length: N }, (_, i) => track(kv.get(`k/${i}`, block(i + 1))));
    await settle();
    expect(store.watcherCount()).toBe(N);
    await kv.apply({ verb: 'set', key: 'k/4242', value: enc('new'), flags: '0' });
    await settle();
    expect(qs.filter((q) => q.done())).toHaveLength(1);
    expect(qs[4242]!.done()).toBe(true);
    expect(store.watcherCount()).toBe(N - 1);
  });
});

describe('blockingWaitMs', () => {
  it('defaults, clamps and adds up to wait/16 of jitter', () => {
    const random = new SeededRandom(1);
    const cfg = { defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 };
    for (let i = 0; i < 200; i++) {
      const d = blockingWaitMs(undefined, cfg, random);
      expect(d).toBeGreaterThanOrEqual(300_000);
      expect(d).toBeLessThan(300_000 + 300_000 / 16);
      const z = blockingWaitMs(0, cfg, random);
      expect(z).toBeGreaterThanOrEqual(300_000);
      const big = blockingWaitMs(3_600_000, cfg, random);
      expect(big).toBeGreaterThanOrEqual(600_000);
      expect(big).toBeLessThan(600_000 + 37_500);
      const small = blockingWaitMs(1_000, cfg, random);
      expect(small).toBeGreaterThanOrEqual(1_000);
      expect(small).toBeLessThan(1_063);
    }
    expect(blockingWaitMs(10, cfg, random)).toBe(10);
    const seen = new Set(Array.from({ length: 100 }, () => blockingWaitMs(16_000, cfg, random)));
    expect(seen.size).toBeGreaterThan(10); // jitter actually varies
  });
});

function encSet(key: string): Uint8Array {
  return encodeCommand({ type: 'kv.set', key, value: enc('v'), flags: '0' });
}

