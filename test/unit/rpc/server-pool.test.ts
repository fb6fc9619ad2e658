import { describe, expect, it } from 'vitest';
import { ServerPool } from '../../../src/rpc/server-pool.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

describe("ServerPool (Consul's router.Manager)", () => {
  it('follows the LAN pool: known servers keep their place, new ones join at the back, departed ones leave', () => {
    let lan = ['a', 'b', 'c'];
    const pool = new ServerPool(() => lan, new SeededRandom(1));
    const start = pool.servers();
    expect([...start].sort()).toEqual(['a', 'b', 'c']);
    lan = ['a', 'b', 'c', 'd'];
    expect(pool.servers()).toEqual([...start, 'd']);
    lan = lan.filter((x) => x !== start[0]);
    expect(pool.servers()).toEqual([...start.slice(1), 'd']);
    lan = [];
    expect(pool.find()).toBeUndefined();
  });

  it('spreads clients: the first servers seen are shuffled', () => {
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) firsts.add(new ServerPool(() => ['a', 'b', 'c'], new SeededRandom(seed)).find()!);
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('moves a failed first server to the back (NotifyFailedServer); a failure of another server changes nothing', () => {
    const pool = new ServerPool(() => ['a', 'b', 'c'], new SeededRandom(2));
    const [x, y, z] = pool.servers();
    pool.notifyFailed(y!);
    expect(pool.servers()).toEqual([x, y, z]);
    pool.notifyFailed(x!);
    expect(pool.servers()).toEqual([y, z, x]);
  });

  it('sends leader-bound requests to the leader a reply named, while it is in the pool and has not failed', () => {
    let lan = ['a', 'b', 'c'];
    const pool = new ServerPool(() => lan, new SeededRandom(1));
    const first = pool.find()!;
    expect(pool.findLeader()).toBe(first);
    const leader = ['a', 'b', 'c'].find((x) => x !== first)!;
    pool.noteLeader(leader);
    expect(pool.findLeader()).toBe(leader);
    expect(pool.find()).toBe(first);
    pool.noteLeader(undefined);
    expect(pool.findLeader()).toBe(first);
    pool.noteLeader('elsewhere');
    expect(pool.findLeader()).toBe(first);
    pool.noteLeader(leader);
    lan = lan.filter((x) => x !== leader);
    expect(pool.findLeader()).toBe(first);
    lan = ['a', 'b', 'c'];
    expect(pool.findLeader()).toBe(leader);
    pool.notifyFailed(leader);
    expect(pool.findLeader()).toBe(pool.find());
  });

  it('rebalances: shuffles, then skips servers that do not answer a ping', async () => {
    const down = new Set(['a', 'b']);
    const pool = new ServerPool(() => ['a', 'b', 'c'], new SeededRandom(3), { ping: async (addr) => !down.has(addr) });
    expect(await pool.rebalance()).toBe(true);
    expect(pool.find()).toBe('c');
    down.add('c');
    expect(await pool.rebalance()).toBe(false); // nobody answers: the list is kept
    expect(pool.find()).toBe('c');
  });

  it('waits 120–180 s between rebalances, longer when the LAN pool is large (members / (servers × 64) s)', () => {
    let members = 10;
    const pool = new ServerPool(() => ['a', 'b', 'c'], new SeededRandom(4), { numNodes: () => members });
    for (let i = 0; i < 50; i++) {
      const ms = pool.rebalanceIntervalMs();
      expect(ms).toBeGreaterThanOrEqual(120_000);
      expect(ms).toBeLessThan(180_000);
    }
    members = 100_000;
    expect(pool.rebalanceIntervalMs()).toBeCloseTo((100_000 / (3 * 64)) * 1000, 0);
  });

  it('start() rebalances on the clock and keeps rescheduling until stopped', async () => {
    const clock = new ManualClock();
    const pings: number[] = [];
    const pool = new ServerPool(() => ['a', 'b', 'c'], new SeededRandom(5), {
      clock,
      ping: async () => {
        pings.push(clock.now());
        return true;
      },
    });
    const t0 = clock.now();
    const stop = pool.start();
    clock.advance(119_000);
    await flush();
    expect(pings).toEqual([]);
    clock.advance(61_000);
    await flush();
    expect(pings).toHaveLength(1);
    expect(pings[0]! - t0).toBeGreaterThanOrEqual(120_000);
    clock.advance(180_000);
    await flush();
    expect(pings).toHaveLength(2);
    stop();
    clock.advance(400_000);
    await flush();
    expect(pings).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });
});
