import { describe, expect, it } from 'vitest';
import { MemberStatus } from '../../../../contracts/ports/membership.js';
import type { SerfSnapshot, SerfSnapshotState } from '../../../../src/gossip/serf/serf-snapshot.js';
import { withDefaultPort } from '../../../../src/gossip/serf/serf.js';
import { SerfSim } from '../../../../src/testing/serf-sim.js';

/** Records what serf tells its snapshotter, and hands back a given recovered state. */
class RecordingSnapshot implements SerfSnapshot {
  readonly alive = new Map<string, string>();
  clock = 0;
  eventClock = 0;
  queryClock = 0;
  left = false;
  closed = false;
  constructor(private readonly state: SerfSnapshotState = { aliveNodes: [], lastClock: 0, lastEventClock: 0, lastQueryClock: 0, leftBefore: false }) {}
  recovered(): SerfSnapshotState {
    return this.state;
  }
  memberAlive(name: string, addr: string): void {
    this.alive.set(name, addr);
  }
  memberNotAlive(name: string): void {
    this.alive.delete(name);
  }
  updateClock(ltime: number): void {
    this.clock = ltime;
  }
  updateEventClock(ltime: number): void {
    this.eventClock = Math.max(this.eventClock, ltime);
  }
  updateQueryClock(ltime: number): void {
    this.queryClock = Math.max(this.queryClock, ltime);
  }
  leave(): void {
    this.left = true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('serf and its snapshot', () => {
  it('records alive and gone members, the clocks and a leave; a restart restores the clocks and rejoins a recorded member', async () => {
    const sim = new SerfSim(31);
    const snap = new RecordingSnapshot();
    const a = await sim.add();
    const b = await sim.add({ snapshot: snap });
    const c = await sim.add();
    await sim.settle(b.serf.join([a.address], false));
    await sim.settle(c.serf.join([a.address], false));
    await sim.until(() => [a, b, c].every((v) => v.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 3));
    await a.serf.userEvent('e', new Uint8Array(0), false);
    await sim.settle(a.serf.query('q', new Uint8Array(0), { timeoutMs: 1000 }));
    await sim.run(2000);
    expect([...snap.alive.entries()].sort()).toEqual([
      ['node-0', a.address],
      ['node-1', b.address],
      ['node-2', c.address],
    ]);
    expect(snap.eventClock).toBeGreaterThan(0);
    expect(snap.queryClock).toBeGreaterThan(0);
    expect(snap.clock).toBe(b.serf.clocks().member);

    await c.serf.shutdown();
    await sim.until(() => !snap.alive.has('node-2'), 60_000);

    // b crashes; it restarts from a snapshot that knew a, with later clocks, and rejoins on its own.
    await b.serf.shutdown();
    expect(snap.closed).toBe(true);
    const recovered = new RecordingSnapshot({ aliveNodes: [{ name: 'node-1', addr: b.address }, { name: 'node-0', addr: a.address }], lastClock: 100, lastEventClock: 50, lastQueryClock: 60, leftBefore: false });
    const b2 = await sim.add({ name: 'node-1', address: b.address, snapshot: recovered });
    expect(b2.serf.clocks()).toEqual({ member: 101, event: 51, query: 61 });
    expect(await sim.until(() => a.serf.members().find((m) => m.name === 'node-1')?.status === MemberStatus.Alive && b2.serf.members().some((m) => m.name === 'node-0'), 60_000)).toBeLessThan(60_000);

    await sim.settle(b2.serf.leave());
    expect(recovered.left).toBe(true);
    await Promise.all([a, b2].map((n) => n.serf.shutdown()));
  }, 60_000);

  it('join rejects with JOIN_FAILED and serf-like text when nobody answers; addresses without a port use ours', async () => {
    const sim = new SerfSim(32);
    const a = await sim.add();
    await expect(sim.settle(a.serf.join(['10.9.9.9:7946'], false))).rejects.toMatchObject({ code: 'JOIN_FAILED', message: expect.stringMatching(/^Failed to join 10\.9\.9\.9:7946: /) });
    expect(await sim.settle(a.serf.join([], false))).toBe(0);
    const b = await sim.add();
    expect(await sim.settle(b.serf.join(['10.1.0.1'], false))).toBe(1);
    expect(withDefaultPort('::1', 8301)).toBe('[::1]:8301');
    expect(withDefaultPort('[::1]', 8301)).toBe('[::1]:8301');
    expect(withDefaultPort('h:1', 8301)).toBe('h:1');
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  });
});
