import { describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../../../plugins/transport-memory/memory-transport.js';
import { encodeMessage, MessageType, NodeStateType } from '../../../../src/gossip/memberlist/messages.js';
import { suspicionTimeout } from '../../../../src/gossip/memberlist/timing.js';
import { MemberlistSim } from '../../../../src/testing/memberlist-sim.js';

async function pool(n: number, seed: number, dropRate = 0): Promise<MemberlistSim> {
  const sim = new MemberlistSim(seed, { minDelayMs: 1, maxDelayMs: 5 });
  for (let i = 0; i < n; i++) await sim.add();
  for (const m of sim.members.slice(1)) await sim.runUntilSettled(m.list.join([sim.members[0]!.address]));
  sim.network.setDropRate(dropRate);
  return sim;
}

function allSeeAlive(sim: MemberlistSim): boolean {
  const live = sim.members.filter((m) => m.alive);
  return live.every((v) => live.every((m) => sim.stateOf(v, m.name) === NodeStateType.Alive));
}

async function runUntil(sim: MemberlistSim, cond: () => boolean, maxMs: number, stepMs = 100): Promise<number> {
  const start = sim.clock.now();
  while (!cond()) {
    if (sim.clock.now() - start > maxMs) return Infinity;
    await sim.run(stepMs);
  }
  return sim.clock.now() - start;
}

describe('SWIM engine on the simulated network', () => {
  for (const n of [5, 20, 50]) {
    it(`${n} members join through one and converge; a crashed member is marked dead by all within the suspicion bound`, async () => {
      const sim = await pool(n, 42 + n);
      const converge = await runUntil(sim, () => allSeeAlive(sim), 30_000);
      expect(converge).toBeLessThan(30_000);

      const victim = sim.members[n - 1]!;
      await sim.kill(victim);
      const others = sim.members.filter((m) => m.alive);
      // Detection: within a full probe round plus the longest (unconfirmed) suspicion timeout, plus gossip slack.
      const bound = n * 1000 + 6 * suspicionTimeout(4, n, 1000) + 10_000;
      const took = await runUntil(sim, () => others.every((o) => sim.stateOf(o, victim.name) === NodeStateType.Dead), bound, 250);
      expect(took).toBeLessThanOrEqual(bound);
      // memberlist forgets the dead node once gossip_to_the_dead (30s) has passed.
      await sim.run(31_000 + n * 1000);
      for (const o of others) expect(sim.stateOf(o, victim.name)).toBeUndefined();
      // Nobody alive was declared dead on the way.
      for (const o of others) expect(o.events.filter(([, name, kind]) => kind === 'leave' && name !== victim.name)).toEqual([]);
      await Promise.all(others.map((o) => o.list.shutdown()));
    }, 120_000);
  }

  it('with 10% packet loss, no live member is declared dead over 3 minutes (indirect probes, TCP fallback, Lifeguard)', async () => {
    const sim = await pool(10, 7, 0);
    expect(await runUntil(sim, () => allSeeAlive(sim), 30_000)).toBeLessThan(30_000);
    sim.network.setDropRate(0.1);
    await sim.run(180_000);
    for (const m of sim.members) expect(m.events.filter(([, , kind]) => kind === 'leave')).toEqual([]);
    expect(allSeeAlive(sim)).toBe(true);
    await Promise.all(sim.members.map((m) => m.list.shutdown()));
  }, 120_000);

  it('a graceful leave is seen as left (not dead) by every member', async () => {
    const sim = await pool(6, 3);
    await runUntil(sim, () => allSeeAlive(sim), 30_000);
    const leaver = sim.members[2]!;
    await sim.runUntilSettled(leaver.list.leave(5000));
    await sim.kill(leaver);
    const others = sim.members.filter((m) => m.alive);
    const took = await runUntil(sim, () => others.every((o) => sim.stateOf(o, leaver.name) === NodeStateType.Left), 10_000);
    expect(took).toBeLessThan(10_000);
    await Promise.all(others.map((o) => o.list.shutdown()));
  });

  it('a live member refutes a suspicion about itself with a higher incarnation, and everyone keeps it alive', async () => {
    const sim = await pool(5, 11);
    await runUntil(sim, () => allSeeAlive(sim), 30_000);
    const target = sim.members[1]!;
    const before = target.list.members().find((m) => m.name === target.name)!.incarnation;
    // A rogue peer (not in the pool) gossips "node-1 is suspect" to every member.
    const rogue = new MemoryTransport(sim.network, '10.9.9.9:7946');
    await rogue.start();
    for (const m of sim.members) rogue.sendPacket(m.address, encodeMessage({ type: MessageType.Suspect, body: { incarnation: before, node: target.name, from: 'rogue' } }));
    await sim.run(30_000);
    const after = target.list.members().find((m) => m.name === target.name)!.incarnation;
    expect(after).toBeGreaterThan(before);
    for (const m of sim.members) {
      expect(m.list.members().find((x) => x.name === target.name)).toMatchObject({ state: NodeStateType.Alive, incarnation: after });
      expect(m.events.filter(([, , kind]) => kind === 'leave')).toEqual([]);
    }
    await rogue.close();
    await Promise.all(sim.members.map((m) => m.list.shutdown()));
  });

  it('carries user messages by packet and by stream to the delegate', async () => {
    const sim = new MemberlistSim(5, { minDelayMs: 1, maxDelayMs: 5 });
    const got: string[] = [];
    const a = await sim.add();
    const b = await sim.add((msg) => got.push(Buffer.from(msg).toString()));
    await sim.runUntilSettled(b.list.join([a.address]));
    a.list.sendUser(b.address, Buffer.from('by packet'));
    await sim.runUntilSettled(a.list.sendUserReliable(b.address, Buffer.from('by stream')));
    await sim.run(1000);
    expect(got.sort()).toEqual(['by packet', 'by stream']);
    await Promise.all(sim.members.map((m) => m.list.shutdown()));
  });

  it('refuses a join whose protocol versions do not fit the pool (memberlist verifyProtocol)', async () => {
    const sim = new MemberlistSim(8, { minDelayMs: 1, maxDelayMs: 5 });
    const a = await sim.add();
    const b = await sim.add(undefined, Uint8Array.from([1, 5, 2, 2, 5, 4])); // speaks a delegate protocol 2..5, a none
    await expect(sim.runUntilSettled(b.list.join([a.address]))).rejects.toThrow(/delegate protocol version \(0\) is incompatible: \[2, 0\]/);
    expect(b.list.members().map((m) => m.name)).toEqual(['node-1']);
    await Promise.all(sim.members.map((m) => m.list.shutdown()));
  });

  it('replays exactly from its seed', async () => {
    const trace = async (): Promise<string> => {
      const sim = await pool(8, 99, 0.05);
      await sim.run(20_000);
      await sim.kill(sim.members[3]!);
      await sim.run(40_000);
      const out = JSON.stringify(sim.members.map((m) => [m.events, m.list.members().map((x) => [x.name, x.state, x.incarnation])]));
      await Promise.all(sim.members.filter((m) => m.alive).map((m) => m.list.shutdown()));
      return out;
    };
    expect(await trace()).toBe(await trace());
  }, 120_000);
});
