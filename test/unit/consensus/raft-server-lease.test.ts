import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import type { Clock, TimerHandle } from '../../../contracts/platform.js';
import { RaftServer } from '../../../src/consensus/raft-server.js';
import { ListStateMachine, listCommand } from '../../../src/testing/list-state-machine.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { SimStorage } from '../../../src/testing/sim-storage.js';
import { MemoryNetwork } from '../../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../../plugins/transport-memory/memory-transport.js';

/**
 * A process's view of a shared clock that can be frozen as SIGSTOP freezes a process: time goes
 * on, but none of its timers run; on resume each overdue timer runs once (as Node's late timers do).
 */
class PausableClock implements Clock {
  paused = false;
  private overdue: (() => void)[] = [];
  constructor(private readonly inner: ManualClock) {}
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(() => (this.paused ? this.overdue.push(fn) : fn()), ms);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    let missed = false;
    return this.inner.setInterval(() => {
      if (!this.paused) return fn();
      if (!missed) {
        missed = true;
        this.overdue.push(() => {
          missed = false;
          fn();
        });
      }
    }, ms);
  }
  resume(): void {
    this.paused = false;
    for (const fn of this.overdue.splice(0)) fn();
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};

async function pumpUntil(clock: ManualClock, cond: () => boolean, maxMs = 60_000): Promise<void> {
  for (let t = 0; t < maxMs && !cond(); t += 5) {
    await flush();
    clock.advance(5);
  }
  await flush();
  if (!cond()) throw new Error('condition not reached');
}

type Outcome = { state: 'pending' } | { state: 'resolved' } | { state: 'rejected'; error: unknown };

function track(p: Promise<unknown>): { get(): Outcome } {
  let o: Outcome = { state: 'pending' };
  p.then(() => (o = { state: 'resolved' }), (error: unknown) => (o = { state: 'rejected', error }));
  return { get: () => o };
}

async function cluster(seed: number) {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock, new SeededRandom(seed));
  const nodes = await Promise.all(
    [1, 2, 3].map(async (n) => {
      const id = `s${n}`;
      const address = `127.0.21.${n}:8300`;
      const own = new PausableClock(clock);
      const transport = new MemoryTransport(net, address);
      await transport.start();
      const sm = new ListStateMachine();
      const server = new RaftServer({
        id, address, storage: new SimStorage(clock, 0), stateMachine: sm, transport, clock: own, random: new SeededRandom(seed * 10 + n), logger: new SilentLogger(),
        options: { multiplier: 1 },
      });
      await server.start();
      return { id, address, server, sm, clock: own };
    }),
  );
  const config = nodes.map((x) => ({ id: x.id, address: x.address, voter: true }));
  await Promise.all(nodes.map((x) => x.server.bootstrapCluster(config)));
  await pumpUntil(clock, () => nodes.filter((x) => x.server.isLeader()).length === 1);
  const leader = nodes.find((x) => x.server.isLeader())!;
  const p = leader.server.propose(listCommand('v1'));
  await pumpUntil(clock, () => nodes.every((x) => x.sm.items.includes('v1')));
  await p;
  return { clock, net, nodes, leader };
}

describe('RaftServer leader lease (default reads)', () => {
  it('a leader that heard from a quorum within the lease answers a default read at once, without a quorum round', async () => {
    const { clock, nodes, leader } = await cluster(1);
    await pumpUntil(clock, () => leader.server.leaseHeld());
    const read = track(leader.server.readBarrier('default'));
    await flush(); // no clock movement: no message can travel on the memory network
    expect(read.get().state).toBe('resolved');
    // A consistent read needs the round: it is still waiting.
    const consistent = track(leader.server.readBarrier('consistent'));
    await flush();
    expect(consistent.get().state).toBe('pending');
    await pumpUntil(clock, () => consistent.get().state !== 'pending');
    expect(consistent.get().state).toBe('resolved');
    await Promise.all(nodes.map((x) => x.server.stop()));
  });

  it('a leader cut off from its followers loses the lease after leader_lease (500 ms), before it steps down, and stops answering default reads', async () => {
    const { clock, net, nodes, leader } = await cluster(2);
    await pumpUntil(clock, () => leader.server.leaseHeld());
    net.isolate(leader.address);
    clock.advance(200);
    expect(leader.server.leaseHeld()).toBe(true);
    clock.advance(400); // 600 ms without a quorum: lease gone, but checkQuorum (1 s election timeout) has not fired yet
    expect(leader.server.isLeader()).toBe(true);
    expect(leader.server.leaseHeld()).toBe(false);
    const read = track(leader.server.readBarrier('default'));
    await flush();
    expect(read.get().state).toBe('pending'); // it verifies leadership first, and cannot
    await pumpUntil(clock, () => read.get().state !== 'pending', 5_000);
    const o = read.get();
    expect(o.state).toBe('rejected');
    expect(isSextantError((o as { error: unknown }).error, ErrorCode.LeadershipLost)).toBe(true);
    await Promise.all(nodes.map((x) => x.server.stop()));
  });

  it('a leader paused (SIGSTOP) while the others elect a new leader and write never answers a default or consistent read from its old state after resuming', async () => {
    const { clock, net, nodes, leader } = await cluster(3);
    leader.clock.paused = true;
    net.isolate(leader.address);
    const others = nodes.filter((x) => x !== leader);
    await pumpUntil(clock, () => others.some((x) => x.server.isLeader()), 10_000);
    const next = others.find((x) => x.server.isLeader())!;
    const w = next.server.propose(listCommand('v2'));
    await pumpUntil(clock, () => others.every((x) => x.sm.items.includes('v2')));
    await w;
    // Resume: the old leader still thinks it leads (none of its timers ran) and its state lacks v2.
    net.heal();
    leader.clock.resume();
    expect(leader.server.isLeader()).toBe(true);
    expect(leader.sm.items).not.toContain('v2');
    const dflt = track(leader.server.readBarrier('default'));
    const cons = track(leader.server.readBarrier('consistent'));
    await flush();
    expect(dflt.get().state).toBe('pending'); // the lease ran out on the clock while it was stopped
    await pumpUntil(clock, () => dflt.get().state !== 'pending' && cons.get().state !== 'pending', 5_000);
    for (const o of [dflt.get(), cons.get()]) {
      expect(o.state).toBe('rejected');
      const e = (o as { error: unknown }).error;
      expect(isSextantError(e, ErrorCode.LeadershipLost) || isSextantError(e, ErrorCode.NotLeader) || isSextantError(e, ErrorCode.NoLeader)).toBe(true);
    }
    expect(leader.server.isLeader()).toBe(false);
    await Promise.all(nodes.map((x) => x.server.stop()));
  });

  it('a leader handing over leadership (TimeoutNow) gives up its lease: a default read waits for a quorum round', async () => {
    const { clock, nodes, leader } = await cluster(5);
    await pumpUntil(clock, () => leader.server.leaseHeld());
    const transfer = track(leader.server.transferLeadership());
    expect(leader.server.leaseHeld()).toBe(false);
    const read = track(leader.server.readBarrier('default'));
    await flush();
    expect(read.get().state).toBe('pending');
    await pumpUntil(clock, () => transfer.get().state !== 'pending' && read.get().state !== 'pending', 5_000);
    expect(transfer.get().state).toBe('resolved');
    await Promise.all(nodes.map((x) => x.server.stop()));
  });

  it('reports every change of the known leader to onLeaderChange listeners', async () => {
    const { clock, net, nodes, leader } = await cluster(4);
    const follower = nodes.find((x) => x !== leader)!;
    const seen: string[] = [];
    follower.server.onLeaderChange(() => seen.push(follower.server.leader()?.id ?? ''));
    net.isolate(leader.address);
    await pumpUntil(clock, () => nodes.some((x) => x !== leader && x.server.isLeader()), 10_000);
    await pumpUntil(clock, () => seen.length >= 2 && seen[seen.length - 1] !== '');
    expect(seen[0]).toBe(''); // the election started: no leader known
    expect(seen[seen.length - 1]).not.toBe(leader.id);
    await Promise.all(nodes.map((x) => x.server.stop()));
  });
});
