import { describe, expect, it } from 'vitest';
import { MemberStatus } from '../../../../contracts/ports/membership.js';
import { Keyring } from '../../../../src/gossip/memberlist/keyring.js';
import type { SerfEvent } from '../../../../src/gossip/serf/serf.js';
import { SerfSim } from '../../../../src/testing/serf-sim.js';

type UserEv = Extract<SerfEvent, { kind: 'user' }>;
type QueryEv = Extract<SerfEvent, { kind: 'query' }>;

async function pool(n: number, seed: number, opts: { tags?: (i: number) => Record<string, string>; keyring?: (i: number) => Keyring | undefined } = {}): Promise<SerfSim> {
  const sim = new SerfSim(seed);
  for (let i = 0; i < n; i++) await sim.add({ tags: opts.tags?.(i), keyring: opts.keyring?.(i) });
  for (const node of sim.nodes.slice(1)) await sim.settle(node.serf.join([sim.nodes[0]!.address], false));
  expect(await sim.until(() => sim.nodes.every((v) => v.serf.members().filter((m) => m.status === MemberStatus.Alive).length === n), 30_000)).toBeLessThan(30_000);
  return sim;
}

const userEvents = (events: SerfEvent[]): UserEv[] => events.filter((e): e is UserEv => e.kind === 'user');
const text = (b: Uint8Array): string => Buffer.from(b).toString();

describe('serf user events, queries, tags, keyring and conflicts on the simulated network', () => {
  it('a tag update reaches every member as an update event', async () => {
    const sim = await pool(4, 11, { tags: () => ({ role: 'node' }) });
    const n1 = sim.nodes[1]!;
    await n1.serf.setTags({ role: 'node', build: '1.2.3' });
    expect(n1.serf.localMember().tags).toEqual({ role: 'node', build: '1.2.3' });
    expect(await sim.until(() => sim.nodes.every((v) => v.serf.members().find((m) => m.name === n1.name)?.tags.build === '1.2.3'), 10_000)).toBeLessThan(10_000);
    for (const v of sim.nodes) expect(v.events.some((e) => e.kind === 'member' && e.type === 'update' && e.members[0]!.name === n1.name)).toBe(true);
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  });

  it('user events reach every member exactly once (the sender included), despite rebroadcasts and push/pull replays; over the size limit they are rejected', async () => {
    const sim = await pool(5, 12);
    await sim.nodes[0]!.serf.userEvent('deploy', Buffer.from('v1'), false);
    await sim.nodes[3]!.serf.userEvent('deploy', Buffer.from('v2'), true);
    await sim.nodes[3]!.serf.userEvent('restart', Buffer.from(''), false);
    // Long enough for gossip and several push/pull exchanges (30s interval) carrying the event buffer.
    await sim.run(90_000);
    for (const v of sim.nodes) {
      const got = userEvents(v.events).map((e) => `${e.name}:${text(e.payload)}:${e.coalesce}`);
      expect(got.sort()).toEqual(['deploy:v1:false', 'deploy:v2:true', 'restart::false']);
    }
    await expect(sim.nodes[0]!.serf.userEvent('big', new Uint8Array(600), false)).rejects.toMatchObject({ code: 'EVENT_REJECTED', message: 'user event exceeds configured limit of 512 bytes before encoding' });
    await expect(sim.nodes[0]!.serf.userEvent('x', new Uint8Array(500), false)).rejects.toThrow('encoded user event exceeds configured limit of 512 bytes after encoding');
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  }, 60_000);

  it('a node joining later gets past events by push/pull, unless it joins with ignoreOld', async () => {
    const sim = await pool(2, 13);
    await sim.nodes[0]!.serf.userEvent('old', Buffer.from('x'), false);
    await sim.run(5000);
    const replay = await sim.add();
    const ignore = await sim.add();
    await sim.settle(replay.serf.join([sim.nodes[0]!.address], false));
    await sim.settle(ignore.serf.join([sim.nodes[0]!.address], true));
    await sim.run(5000);
    expect(userEvents(replay.events).map((e) => e.name)).toEqual(['old']);
    expect(userEvents(ignore.events)).toEqual([]);
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  });

  it('Lamport clocks: events, queries and intents are witnessed by every member (clocks only move forward)', async () => {
    const sim = await pool(3, 14);
    const before = sim.nodes.map((n) => n.serf.clocks());
    for (let i = 0; i < 5; i++) await sim.nodes[0]!.serf.userEvent(`e${i}`, new Uint8Array(0), false);
    await sim.run(10_000);
    for (const [i, n] of sim.nodes.entries()) {
      const c = n.serf.clocks();
      expect(c.event).toBeGreaterThanOrEqual(before[0]!.event + 5);
      expect(c.member).toBeGreaterThanOrEqual(before[i]!.member);
      // Every event was stamped with a distinct, increasing time.
      const times = userEvents(n.events).map((e) => e.ltime).sort((a, b) => a - b);
      expect(new Set(times).size).toBe(5);
    }
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  });

  it('queries: every matching member answers and acks; filters by node and tag regexp; relayed responses count once', async () => {
    const sim = await pool(5, 15, { tags: (i) => ({ role: i < 2 ? 'consul' : 'node' }) });
    for (const n of sim.nodes) {
      n.serf.onEvent((e) => {
        if (e.kind === 'query' && e.name === 'whoami') void e.respond(Buffer.from(`${n.name}:${text(e.payload)}`));
      });
    }
    const all = await sim.settle(sim.nodes[4]!.serf.query('whoami', Buffer.from('q'), { requestAck: true, relayFactor: 2 }));
    expect(all.acks.sort()).toEqual(sim.nodes.map((n) => n.name));
    expect(all.responses.map((r) => text(r.payload)).sort()).toEqual(sim.nodes.map((n) => `${n.name}:q`));
    const byTag = await sim.settle(sim.nodes[4]!.serf.query('whoami', Buffer.from('t'), { filterTags: { role: '^cons' }, timeoutMs: 3000 }));
    expect(byTag.responses.map((r) => r.from).sort()).toEqual(['node-0', 'node-1']);
    expect(byTag.acks).toEqual([]);
    const byNode = await sim.settle(sim.nodes[0]!.serf.query('whoami', Buffer.from('n'), { filterNodes: ['node-2', 'node-3'], timeoutMs: 3000 }));
    expect(byNode.responses.map((r) => r.from).sort()).toEqual(['node-2', 'node-3']);
    // Each member saw each query once.
    for (const n of sim.nodes) {
      const qs = n.events.filter((e): e is QueryEv => e.kind === 'query').map((e) => text(e.payload));
      expect(qs.filter((p) => p === 'q')).toHaveLength(1);
    }
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  }, 60_000);

  it('keyring install/use/remove/list across 5 members by internal queries; the pool keeps talking on the new key', async () => {
    const k1 = Buffer.from('0123456789abcdef').toString('base64');
    const k2 = Buffer.from('fedcba9876543210fedcba9876543210').toString('base64');
    const persisted: string[][] = [];
    const sim = new SerfSim(16);
    for (let i = 0; i < 5; i++) await sim.add({ keyring: Keyring.fromBase64(k1), config: i === 0 ? { onKeyringChange: (keys) => persisted.push(keys) } : {} });
    for (const node of sim.nodes.slice(1)) await sim.settle(node.serf.join([sim.nodes[0]!.address], false));
    await sim.until(() => sim.nodes.every((v) => v.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 5));
    const km = sim.nodes[2]!.serf.keyManager();

    const inst = await sim.settle(km.installKey(k2));
    expect(inst).toMatchObject({ numNodes: 5, numResp: 5, numErr: 0, messages: {} });
    expect(inst.error).toBeUndefined();
    const list1 = await sim.settle(km.listKeys());
    expect(list1.keys).toEqual({ [k1]: 5, [k2]: 5 });
    expect(list1.primaryKeys).toEqual({ [k1]: 5 });

    const bad = await sim.settle(km.removeKey(k1));
    expect(bad.numErr).toBe(5);
    expect(Object.values(bad.messages)).toEqual(Array(5).fill('Removing the primary key is not allowed'));
    expect(bad.error).toBe('5/5 nodes reported failure');

    expect((await sim.settle(km.useKey(k2))).numErr).toBe(0);
    expect((await sim.settle(km.removeKey(k1))).numErr).toBe(0);
    const list2 = await sim.settle(km.listKeys());
    expect(list2.keys).toEqual({ [k2]: 5 });
    expect(list2.primaryKeys).toEqual({ [k2]: 5 });
    expect(persisted.at(-1)).toEqual([k2]);
    expect(persisted).toHaveLength(3);

    // Still one healthy pool, now encrypted with k2 only.
    await sim.run(30_000);
    for (const v of sim.nodes) expect(v.serf.members().every((m) => m.status === MemberStatus.Alive)).toBe(true);
    await expect(km.installKey('not base64!')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  }, 60_000);

  it('without encryption, keyring queries report every member’s error', async () => {
    const sim = await pool(3, 17);
    const r = await sim.settle(sim.nodes[0]!.serf.keyManager().listKeys());
    expect(r.numErr).toBe(3);
    expect(Object.values(r.messages)).toEqual(Array(3).fill('Keyring is empty (encryption not enabled)'));
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  });

  it('name conflict: a second node with a taken name loses the _serf_conflict vote and shuts down; the pool keeps the original', async () => {
    const sim = await pool(4, 18);
    const original = sim.nodes[1]!;
    const dup = await sim.add({ name: 'node-1' });
    await sim.settle(dup.serf.join([sim.nodes[0]!.address], false)).catch(() => 0);
    await sim.run(20_000);
    expect(dup.logger.lines.some((l) => l.includes('minority in name conflict resolution, quitting'))).toBe(true);
    await expect(dup.serf.userEvent('x', new Uint8Array(0), false)).rejects.toMatchObject({ code: 'SHUTDOWN' });
    for (const v of sim.nodes.slice(0, 4)) {
      const m = v.serf.members().find((x) => x.name === 'node-1');
      expect(m).toMatchObject({ status: MemberStatus.Alive, addr: original.address.split(':')[0] });
    }
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  });

  it('force-leave of a failed member makes it left everywhere; prune forgets it at once; unknown names are rejected', async () => {
    const sim = await pool(4, 19);
    const victim = sim.nodes[3]!;
    await victim.serf.shutdown();
    const others = sim.nodes.slice(0, 3);
    await sim.until(() => others.every((o) => sim.statusOf(o, victim.name) === MemberStatus.Failed), 60_000);
    await sim.settle(others[0]!.serf.removeFailedNode(victim.name, false));
    expect(await sim.until(() => others.every((o) => sim.statusOf(o, victim.name) === MemberStatus.Left), 10_000)).toBeLessThan(10_000);
    await sim.settle(others[1]!.serf.removeFailedNode(victim.name, true));
    expect(await sim.until(() => others.every((o) => sim.statusOf(o, victim.name) === undefined), 10_000)).toBeLessThan(10_000);
    await expect(others[0]!.serf.removeFailedNode('nobody', false)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await Promise.all(others.map((n) => n.serf.shutdown()));
  }, 60_000);

  it('coordinates: probes carry coordinates in acks, so every member caches the others', async () => {
    const sim = await pool(3, 20);
    await sim.run(20_000);
    for (const v of sim.nodes) {
      expect(v.serf.getCoordinate()).toBeDefined();
      for (const m of sim.nodes) expect(v.serf.getCachedCoordinate(m.name)).toBeDefined();
    }
    await Promise.all(sim.nodes.map((n) => n.serf.shutdown()));
  });
});
