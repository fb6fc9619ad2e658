import { describe, expect, it } from 'vitest';
import { RaftServer } from '../../../src/consensus/raft-server.js';
import type { RaftServerOptions } from '../../../src/consensus/raft-server-options.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SimStorage } from '../../../src/testing/sim-storage.js';
import { ListStateMachine, listCommand } from '../../../src/testing/list-state-machine.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { MemoryNetwork } from '../../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../../plugins/transport-memory/memory-transport.js';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};

/** Advances the manual clock 1 ms at a time until `p` settles (storage with latency needs time to pass). */
async function pump<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10_000 && !done; i++) {
    await flush();
    if (!done) clock.advance(1);
  }
  return p;
}

interface Dev {
  server: RaftServer;
  sm: ListStateMachine;
  transport: MemoryTransport;
}

async function devServer(clock: ManualClock, storage: SimStorage, network: MemoryNetwork, options: RaftServerOptions = {}): Promise<Dev> {
  const sm = new ListStateMachine();
  const transport = new MemoryTransport(network, '127.0.0.1:8300');
  await transport.start();
  const server = new RaftServer({
    id: 'dev',
    address: '127.0.0.1:8300',
    bootstrap: [{ id: 'dev', address: '127.0.0.1:8300', voter: true }],
    storage,
    stateMachine: sm,
    transport,
    clock,
    random: new SeededRandom(1),
    logger: new SilentLogger(),
    options,
  });
  await server.start();
  return { server, sm, transport };
}

async function restart(dev: Dev, clock: ManualClock, storage: SimStorage, network: MemoryNetwork, options: RaftServerOptions = {}): Promise<Dev> {
  await dev.server.stop();
  await dev.transport.close();
  return devServer(clock, storage, network, options);
}

describe('RaftServer with a single voter (dev agent)', () => {
  it('elects itself without any clock tick and commits each proposal once durable', async () => {
    const clock = new ManualClock();
    const storage = new SimStorage(clock, 0);
    const net = new MemoryNetwork(clock, new SeededRandom(2));
    const dev = await devServer(clock, storage, net);
    await flush();
    expect(dev.server.isLeader()).toBe(true);
    expect(dev.server.leader()).toEqual({ id: 'dev', address: '127.0.0.1:8300', voter: true });
    expect(dev.server.configuration()).toEqual([{ id: 'dev', address: '127.0.0.1:8300', voter: true }]);
    const t0 = clock.now();
    await expect(dev.server.propose(listCommand('a'))).resolves.toBe(1);
    await expect(dev.server.propose(listCommand('b'))).resolves.toBe(2);
    expect(clock.now()).toBe(t0); // no timer was needed between storeLogs and apply
    expect(dev.sm.items).toEqual(['a', 'b']);
    expect(storage.durableLog().map((e) => e.type)).toEqual([2, 1, 0, 0]); // config, noop, a, b
    await dev.server.stop();
  });

  it('group-commits proposals made in the same turn into one storeLogs call', async () => {
    const clock = new ManualClock();
    const storage = new SimStorage(clock, 0);
    const dev = await devServer(clock, storage, new MemoryNetwork(clock, new SeededRandom(2)));
    await flush();
    const before = storage.storeLogsCalls;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => dev.server.propose(listCommand(`v${i}`))));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(storage.storeLogsCalls - before).toBe(1);
    await dev.server.stop();
  });

  it('serves default and consistent read barriers as leader', async () => {
    const clock = new ManualClock();
    const dev = await devServer(clock, new SimStorage(clock, 0), new MemoryNetwork(clock, new SeededRandom(2)));
    await flush();
    await expect(dev.server.readBarrier('default')).resolves.toBeUndefined();
    await dev.server.propose(listCommand('x'));
    await expect(dev.server.readBarrier('consistent')).resolves.toBeUndefined();
    expect(dev.server.lastContactMs()).toBe(0);
    await dev.server.stop();
  });

  it('restarts from storage: re-elects itself and re-applies the committed log', async () => {
    const clock = new ManualClock();
    const storage = new SimStorage(clock, 0);
    const net = new MemoryNetwork(clock, new SeededRandom(2));
    let dev = await devServer(clock, storage, net);
    await flush();
    for (const v of ['a', 'b', 'c']) await dev.server.propose(listCommand(v));
    dev = await restart(dev, clock, storage, net);
    await flush();
    expect(dev.server.isLeader()).toBe(true);
    expect(dev.sm.items).toEqual(['a', 'b', 'c']);
    await expect(dev.server.propose(listCommand('d'))).resolves.toBe(4);
    expect(dev.server.stats().term).toBe(3); // bootstrap term 1, first election 2, after restart 3
    await dev.server.stop();
  });

  it('loses nothing acknowledged when it crashes before fsync', async () => {
    const clock = new ManualClock();
    const storage = new SimStorage(clock, 5); // 5 ms fsync
    const net = new MemoryNetwork(clock, new SeededRandom(2));
    let dev = await pump(clock, devServer(clock, storage, net));
    await pump(clock, dev.server.readBarrier('default'));
    expect(dev.server.isLeader()).toBe(true);
    await expect(pump(clock, dev.server.propose(listCommand('acked')))).resolves.toBe(1);
    const lost = dev.server.propose(listCommand('lost'));
    lost.catch(() => {});
    await flush();
    expect(storage.pendingWrites()).toBe(1);
    storage.crash(); // 'lost' was never fsync'd nor acknowledged
    await expect(lost).rejects.toSatisfy((e) => isSextantError(e));
    expect(dev.server.failure()).toBeDefined();
    await dev.transport.close();
    dev = await pump(clock, devServer(clock, storage, net));
    await pump(clock, dev.server.readBarrier('default'));
    expect(dev.server.isLeader()).toBe(true);
    expect(dev.sm.items).toEqual(['acked']);
    await dev.server.stop().catch(() => {});
  });

  it('snapshots past the threshold, compacts keeping trailing logs, and restores on restart', async () => {
    const clock = new ManualClock();
    const storage = new SimStorage(clock, 0);
    const net = new MemoryNetwork(clock, new SeededRandom(2));
    const opts = { snapshotThreshold: 10, trailingLogs: 3 };
    let dev = await devServer(clock, storage, net, opts);
    await flush();
    for (let i = 0; i < 25; i++) await dev.server.propose(listCommand(`v${i}`));
    const snap = await storage.snapshots.latestSnapshot();
    expect(snap).toBeDefined();
    expect(snap!.meta.lastIndex).toBeGreaterThanOrEqual(20);
    const first = await storage.log.firstIndex();
    expect(first).toBe(snap!.meta.lastIndex - 3 + 1);
    dev = await restart(dev, clock, storage, net, opts);
    await flush();
    expect(dev.server.isLeader()).toBe(true);
    expect(dev.sm.items).toEqual(Array.from({ length: 25 }, (_, i) => `v${i}`));
    expect(dev.server.configuration().map((p) => p.id)).toEqual(['dev']);
    await dev.server.stop();
  });

  it('rejects proposals with SHUTDOWN after stop and NO_LEADER/NOT_LEADER on followers', async () => {
    const clock = new ManualClock();
    const dev = await devServer(clock, new SimStorage(clock, 0), new MemoryNetwork(clock, new SeededRandom(2)));
    await flush();
    await dev.server.stop();
    await expect(dev.server.propose(listCommand('x'))).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.Shutdown));

    // a server that was never bootstrapped knows no leader
    const storage = new SimStorage(clock, 0);
    const sm = new ListStateMachine();
    const t = new MemoryTransport(new MemoryNetwork(clock, new SeededRandom(3)), 'x:1');
    await t.start();
    const lonely = new RaftServer({
      id: 'x',
      address: 'x:1',
      storage,
      stateMachine: sm,
      transport: t,
      clock,
      random: new SeededRandom(4),
      logger: new SilentLogger(),
    });
    await lonely.start();
    await expect(lonely.propose(listCommand('x'))).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.NoLeader));
    await expect(lonely.readBarrier('default')).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.NoLeader));
    await lonely.stop();
  });
});
