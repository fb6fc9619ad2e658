import { describe, expect, it } from 'vitest';
import { MemberStatus } from '../../../../contracts/ports/membership.js';
import { Keyring } from '../../../../src/gossip/memberlist/keyring.js';
import type { SerfEvent } from '../../../../src/gossip/serf/serf.js';
import { SerfSim, type SerfSimNode } from '../../../../src/testing/serf-sim.js';

async function pool(n: number, seed: number, tags?: (i: number) => Record<string, string>, keyring?: (i: number) => Keyring): Promise<SerfSim> {
  const sim = new SerfSim(seed);
  for (let i = 0; i < n; i++) await sim.add({ tags: tags?.(i), keyring: keyring?.(i) });
  for (const node of sim.nodes.slice(1)) await sim.settle(node.serf.join([sim.nodes[0]!.address], false));
  const ok = await sim.until(() => sim.nodes.every((v) => sim.nodes.every((m) => sim.statusOf(v, m.name) === MemberStatus.Alive)), 30_000);
  expect(ok).toBeLessThan(30_000);
  return sim;
}

function memberEvents(node: SerfSimNode, about: string): string[] {
  return node.events.filter((e): e is Extract<SerfEvent, { kind: 'member' }> => e.kind === 'member' && e.members.some((m) => m.name === about)).map((e) => e.type);
}

async function shutdownAll(sim: SerfSim): Promise<void> {
  await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
}

describe('serf on the simulated network', () => {
  it('joins: every node sees every other alive with its tags and a join event; the join intent sets the status Lamport time', async () => {
    const sim = await pool(5, 1, (i) => ({ role: i === 0 ? 'consul' : 'node', dc: 'dc1' }));
    for (const v of sim.nodes) {
      const ms = v.serf.members();
      expect(ms.map((m) => m.name)).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
      expect(ms.find((m) => m.name === 'node-0')?.tags).toEqual({ role: 'consul', dc: 'dc1' });
      expect(ms.find((m) => m.name === 'node-3')).toMatchObject({ addr: '10.1.0.4', port: 7946, protocolMax: 5, delegateMin: 2, delegateMax: 5, delegateCur: 4 });
      for (const m of sim.nodes) expect(memberEvents(v, m.name)).toEqual(['join']);
    }
    await shutdownAll(sim);
  });

  it('a graceful leave is seen as left (leave event, not failed) by everyone; the left member stays as a tombstone, then is reaped', async () => {
    const sim = new SerfSim(2);
    for (let i = 0; i < 4; i++) await sim.add({ config: { tombstoneTimeoutMs: 3600_000 } });
    for (const node of sim.nodes.slice(1)) await sim.settle(node.serf.join([sim.nodes[0]!.address], false));
    await sim.until(() => sim.nodes.every((v) => v.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 4));
    const leaver = sim.nodes[2]!;
    await sim.settle(leaver.serf.leave());
    await leaver.serf.shutdown();
    const others = sim.nodes.filter((n) => n !== leaver);
    expect(await sim.until(() => others.every((o) => sim.statusOf(o, leaver.name) === MemberStatus.Left), 10_000)).toBeLessThan(10_000);
    await sim.run(60_000);
    for (const o of others) {
      expect(sim.statusOf(o, leaver.name)).toBe(MemberStatus.Left);
      expect(memberEvents(o, leaver.name)).toEqual(['join', 'leave']);
    }
    // Tombstone timeout 1h here (serf's default is 24h); reaping runs every 15s.
    await sim.run(3600_000);
    for (const o of others) {
      expect(sim.statusOf(o, leaver.name)).toBeUndefined();
      expect(memberEvents(o, leaver.name)).toEqual(['join', 'leave', 'reap']);
    }
    await shutdownAll(sim);
  }, 120_000);

  it('a crashed member is failed, and comes back alive through a reconnect; one that stays down is reaped after reconnect_timeout', async () => {
    const sim = new SerfSim(3);
    for (let i = 0; i < 3; i++) await sim.add({ config: { reconnectIntervalMs: 5000, reconnectTimeoutMs: 8 * 3600_000 } });
    for (const n of sim.nodes.slice(1)) await sim.settle(n.serf.join([sim.nodes[0]!.address], false));
    await sim.until(() => sim.nodes.every((v) => v.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 3));
    // node-2 is cut off (both directions), so it looks dead to the others.
    const victim = sim.nodes[2]!;
    sim.network.partition([sim.nodes[0]!.address, sim.nodes[1]!.address], [victim.address]);
    const others = sim.nodes.slice(0, 2);
    expect(await sim.until(() => others.every((o) => sim.statusOf(o, victim.name) === MemberStatus.Failed), 60_000)).toBeLessThan(60_000);
    for (const o of others) expect(memberEvents(o, victim.name)).toEqual(['join', 'failed']);
    // Healed: the periodic reconnect (every 5s with probability failed/alive) brings it back.
    sim.network.heal();
    expect(await sim.until(() => others.every((o) => sim.statusOf(o, victim.name) === MemberStatus.Alive), 120_000)).toBeLessThan(120_000);
    for (const o of others) expect(memberEvents(o, victim.name)).toEqual(['join', 'failed', 'join']);
    // Now it crashes for good: failed, then reaped after the 8h reconnect timeout (not before).
    await victim.serf.shutdown();
    expect(await sim.until(() => others.every((o) => sim.statusOf(o, victim.name) === MemberStatus.Failed), 60_000)).toBeLessThan(60_000);
    await sim.run(7 * 3600_000);
    for (const o of others) expect(sim.statusOf(o, victim.name)).toBe(MemberStatus.Failed);
    await sim.run(3600_000 + 60_000);
    for (const o of others) {
      expect(sim.statusOf(o, victim.name)).toBeUndefined();
      expect(memberEvents(o, victim.name).at(-1)).toBe('reap');
    }
    await Promise.all(others.map((o) => o.serf.shutdown()));
  }, 120_000);

  it('lifecycle: localMember before start, a throwing listener is logged and the others still run, leave is idempotent and ends joining', async () => {
    const sim = new SerfSim(4);
    const a = await sim.add({ tags: { role: 'node' } });
    const b = await sim.add();
    const seen: string[] = [];
    a.serf.onEvent(() => {
      throw new Error('listener bug');
    });
    const off = a.serf.onEvent((e) => seen.push(e.kind === 'member' ? `${e.type}:${e.members[0]!.name}` : e.kind));
    await sim.settle(b.serf.join([a.address], false));
    await sim.until(() => a.serf.members().length === 2);
    expect(seen).toEqual(['join:node-1']);
    expect(a.logger.lines.some((l) => l.includes('serf: an event listener threw'))).toBe(true);
    off();
    expect(a.serf.localMember()).toMatchObject({ name: 'node-0', addr: '10.1.0.1', port: 7946, tags: { role: 'node' }, status: MemberStatus.Alive });
    const l1 = b.serf.leave();
    const l2 = b.serf.leave();
    await sim.settle(Promise.all([l1, l2]));
    expect(b.serf.localMember().status).toBe(MemberStatus.Left);
    await expect(b.serf.join([a.address], false)).rejects.toMatchObject({ code: 'SHUTDOWN' });
    await sim.settle(b.serf.leave());
    expect(await sim.until(() => sim.statusOf(a, 'node-1') === MemberStatus.Left, 10_000)).toBeLessThan(10_000);
    await shutdownAll(sim);
  });

  it('a leave intent about a live member is refuted by its join intent: everyone sees it alive again, with no leave event', async () => {
    const sim = new SerfSim(5);
    for (let i = 0; i < 4; i++) await sim.add();
    for (const node of sim.nodes.slice(1)) await sim.settle(node.serf.join([sim.nodes[0]!.address], false));
    await sim.until(() => sim.nodes.every((v) => v.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 4));
    const target = sim.nodes[3]!;
    const before = target.serf.clocks().member;
    await sim.settle(sim.nodes[0]!.serf.removeFailedNode(target.name, false));
    expect(await sim.until(() => sim.nodes.every((v) => sim.statusOf(v, target.name) === MemberStatus.Alive), 10_000)).toBeLessThan(10_000);
    await sim.run(30_000);
    for (const v of sim.nodes) {
      expect(sim.statusOf(v, target.name)).toBe(MemberStatus.Alive);
      expect(memberEvents(v, target.name)).toEqual(['join']);
    }
    expect(target.serf.clocks().member).toBeGreaterThan(before);
    expect(target.logger.lines.some((l) => l.includes('serf: Refuting an older leave intent'))).toBe(true);
    await shutdownAll(sim);
  });

  it('20 members with 5% packet loss: user events reach everyone exactly once, a leave is seen as left and a crash as failed by all', async () => {
    const sim = new SerfSim(6);
    for (let i = 0; i < 20; i++) await sim.add();
    for (const node of sim.nodes.slice(1)) await sim.settle(node.serf.join([sim.nodes[0]!.address], false));
    sim.network.setDropRate(0.05);
    expect(await sim.until(() => sim.nodes.every((v) => v.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 20), 60_000)).toBeLessThan(60_000);
    for (let i = 0; i < 10; i++) await sim.nodes[i * 2]!.serf.userEvent(`ev-${i}`, Buffer.from(String(i)), false);
    await sim.run(60_000);
    for (const v of sim.nodes) {
      const names = v.events.flatMap((e) => (e.kind === 'user' ? [e.name] : []));
      expect(names.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `ev-${i}`).sort());
    }
    const leaver = sim.nodes[5]!;
    const crasher = sim.nodes[7]!;
    await sim.settle(leaver.serf.leave());
    await leaver.serf.shutdown();
    await crasher.serf.shutdown();
    const rest = sim.nodes.filter((n) => n !== leaver && n !== crasher);
    expect(
      await sim.until(() => rest.every((o) => sim.statusOf(o, leaver.name) === MemberStatus.Left && sim.statusOf(o, crasher.name) === MemberStatus.Failed), 120_000, 500),
    ).toBeLessThan(120_000);
    for (const o of rest) {
      expect(memberEvents(o, leaver.name)).toEqual(['join', 'leave']);
      expect(memberEvents(o, crasher.name)).toEqual(['join', 'failed']);
    }
    await Promise.all(rest.map((n) => n.serf.shutdown()));
  }, 120_000);
});
