import { describe, expect, it } from 'vitest';
import { KvEndpoint } from '../../../src/rpc/kv-endpoint.js';
import { Leadership } from '../../../src/kernel/leadership.js';
import { TOMBSTONE_GRANULARITY_MS, TOMBSTONE_TTL_MS, TombstoneGc } from '../../../src/rpc/tombstone-gc.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { FakeRaft } from './fake-raft.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/**
 * A FakeRaft applying every write at once, seen by the collector through a leadership flag the
 * test flips: while "following", writes still apply, as entries replicated from a leader would.
 */
function setup(leading = true) {
  const clock = new ManualClock(1_000_000);
  let job: TombstoneGc | undefined;
  const store = new StateStore({ onKvChange: (c) => job?.observe(c) });
  const base = new FakeRaft(store);
  const listeners = new Set<(l: boolean) => void>();
  let leader = leading;
  const raft = {
    propose: (d: Uint8Array) => base.propose(d),
    isLeader: () => leader,
    onLeadershipChange: (fn: (l: boolean) => void) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    setLeader(l: boolean): void {
      leader = l;
      for (const fn of listeners) fn(l);
    },
  };
  const kv = new KvEndpoint({ store, raft: base, clock, random: new SeededRandom(1), config: { kvMaxValueSize: 524288, defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } });
  // The collector is a leader job: a Leadership step following the flag starts and stops it.
  job = new TombstoneGc({ store, raft, clock, logger: new SilentLogger('kv') });
  const leadership = new Leadership({ source: raft, logger: new SilentLogger('leader') });
  leadership.register(job);
  leadership.start();
  const collector = job;
  const gc = { pending: () => collector.pending(), stop: () => void leadership.stop() };
  const set = (key: string): Promise<boolean> => kv.apply({ verb: 'set', key, value: enc('v'), flags: '0' });
  const del = (key: string): Promise<boolean> => kv.apply({ verb: 'delete', key });
  return { clock, store, raft, base, kv, gc, set, del };
}

describe('TombstoneGc (the leader reaps KV tombstones after Consul\'s 15 min TTL)', () => {
  it('reaps a deleted key\'s tombstone one TTL (rounded up to the 30 s window) after the delete, not before', async () => {
    const h = setup();
    await h.set('a/1');
    await h.set('a/2');
    expect(h.gc.pending(), 'plain writes are no hint').toBe(0);
    await h.del('a/2');
    expect(h.gc.pending()).toBe(1);
    expect(h.store.kv.tombstoneCount()).toBe(1);
    const prefixIndex = h.store.kv.list('a/').index;
    h.clock.advance(TOMBSTONE_TTL_MS - 1);
    await settle();
    expect(h.store.kv.tombstoneCount(), 'kept for the whole TTL').toBe(1);
    h.clock.advance(TOMBSTONE_GRANULARITY_MS + 1);
    await settle();
    expect(h.store.kv.tombstoneCount()).toBe(0);
    expect(h.gc.pending()).toBe(0);
    // Reaping is a Raft entry like any write, and the reaped prefix falls back to its live key's index.
    expect(h.store.kv.list('a/').index).toBeLessThan(prefixIndex);
    expect(h.store.kv.list('a/').value.map((e) => e.key)).toEqual(['a/1']);
  });

  it('batches the deletes of one window into one reap and never hints for plain writes', async () => {
    const h = setup();
    const before = h.base.proposals;
    for (let i = 0; i < 20; i++) await h.set(`k/${i}`);
    expect(h.gc.pending()).toBe(0);
    for (let i = 0; i < 20; i++) await h.del(`k/${i}`);
    await h.del('never-existed');
    expect(h.gc.pending()).toBe(1);
    h.clock.advance(TOMBSTONE_TTL_MS + TOMBSTONE_GRANULARITY_MS);
    await settle();
    expect(h.store.kv.tombstoneCount()).toBe(0);
    expect(h.base.proposals - before).toBe(20 + 21 + 1); // the writes, the deletes, one reap
  });

  it('keeps no timers on a follower, and a new leader reaps the tombstones it inherited', async () => {
    const h = setup(false);
    await h.set('x');
    await h.del('x'); // applied on a follower
    expect(h.gc.pending()).toBe(0);
    h.clock.advance(2 * TOMBSTONE_TTL_MS);
    await settle();
    expect(h.store.kv.tombstoneCount()).toBe(1);
    h.raft.setLeader(true);
    expect(h.gc.pending()).toBe(1);
    h.raft.setLeader(false);
    expect(h.gc.pending()).toBe(0);
    h.raft.setLeader(true);
    h.clock.advance(TOMBSTONE_TTL_MS + TOMBSTONE_GRANULARITY_MS);
    await settle();
    expect(h.store.kv.tombstoneCount()).toBe(0);
    h.gc.stop();
    await h.set('y');
    await h.del('y');
    expect(h.gc.pending()).toBe(0);
  });
});
