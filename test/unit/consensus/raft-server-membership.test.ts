import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import { RaftServer } from '../../../src/consensus/raft-server.js';
import { ListStateMachine, listCommand } from '../../../src/testing/list-state-machine.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { SimStorage } from '../../../src/testing/sim-storage.js';
import { MemoryNetwork } from '../../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../../plugins/transport-memory/memory-transport.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};

/** Advances the manual clock a few ms at a time until `cond` holds. */
async function pumpUntil(clock: ManualClock, cond: () => boolean, maxMs = 60_000): Promise<void> {
  for (let t = 0; t < maxMs && !cond(); t += 5) {
    await flush();
    clock.advance(5);
  }
  await flush();
  if (!cond()) throw new Error('condition not reached');
}

async function settle<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await pumpUntil(clock, () => done);
  return p;
}

interface Node {
  id: string;
  address: string;
  server: RaftServer;
  sm: ListStateMachine;
  storage: SimStorage;
}

async function node(clock: ManualClock, net: MemoryNetwork, n: number, bootstrap = false): Promise<Node> {
  const id = `s${n}`;
  const address = `127.0.14.${n}:8300`;
  const transport = new MemoryTransport(net, address);
  await transport.start();
  const storage = new SimStorage(clock, 0);
  const sm = new ListStateMachine();
  const server = new RaftServer({
    id, address, storage, stateMachine: sm, transport, clock, random: new SeededRandom(n), logger: new SilentLogger(),
    ...(bootstrap ? { bootstrap: [{ id, address, voter: true }] } : {}),
    options: { multiplier: 1 },
  });
  await server.start();
  return { id, address, server, sm, storage };
}

describe('RaftServer membership changes (bootstrapCluster, addVoter, addNonvoter, removeServer)', () => {
  it('bootstrapCluster on running servers without state forms one cluster that elects a leader and replicates', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork(clock, new SeededRandom(7));
    const nodes = await Promise.all([1, 2, 3].map((n) => node(clock, net, n)));
    const config = nodes.map((x) => ({ id: x.id, address: x.address, voter: true }));
    expect(nodes.every((x) => !x.server.hasState())).toBe(true);
    await Promise.all(nodes.map((x) => x.server.bootstrapCluster(config)));
    await pumpUntil(clock, () => nodes.filter((x) => x.server.isLeader()).length === 1);
    const leader = nodes.find((x) => x.server.isLeader())!;
    await settle(clock, leader.server.propose(listCommand('a')));
    await pumpUntil(clock, () => nodes.every((x) => x.sm.items.includes('a')));
    expect(leader.server.configuration().map((s) => s.id).sort()).toEqual(['s1', 's2', 's3']);
    // A second bootstrap is refused: the server has Raft state now.
    const again = await nodes[0]!.server.bootstrapCluster(config).catch((e: unknown) => e);
    expect(isSextantError(again, ErrorCode.CantBootstrap)).toBe(true);
    await Promise.all(nodes.map((x) => x.server.stop()));
  });

  it('the leader adds a non-voter (replicated, no vote), promotes it with addVoter, and removes a server', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork(clock, new SeededRandom(9));
    const a = await node(clock, net, 1, true);
    const b = await node(clock, net, 2);
    const c = await node(clock, net, 3);
    await pumpUntil(clock, () => a.server.isLeader());
    await settle(clock, a.server.propose(listCommand('x')));

    await settle(clock, a.server.addNonvoter(b.id, b.address));
    expect(a.server.configuration()).toContainEqual({ id: 's2', address: '127.0.14.2:8300', voter: false });
    await pumpUntil(clock, () => b.sm.items.includes('x'));

    await settle(clock, a.server.addVoter(b.id, b.address));
    expect(a.server.configuration().filter((s) => s.voter).map((s) => s.id).sort()).toEqual(['s1', 's2']);
    await settle(clock, a.server.addVoter(c.id, c.address));
    await settle(clock, a.server.propose(listCommand('y')));
    await pumpUntil(clock, () => c.sm.items.includes('y') && b.sm.items.includes('y'));
    expect(c.server.leader()?.id).toBe('s1');

    await settle(clock, a.server.removeServer(c.id));
    expect(a.server.configuration().map((s) => s.id).sort()).toEqual(['s1', 's2']);
    // The removed server is told (one last append), so it sees itself out of the configuration.
    await pumpUntil(clock, () => !c.server.configuration().some((s) => s.id === 's3'), 5_000);
    const missing = await a.server.removeServer('nope').catch((e: unknown) => e);
    expect(isSextantError(missing, ErrorCode.NotFound)).toBe(true);
    // A follower refuses: changes go through the leader.
    const onFollower = await b.server.addVoter('s9', '127.0.14.9:8300').catch((e: unknown) => e);
    expect(isSextantError(onFollower, ErrorCode.NotLeader)).toBe(true);
    await Promise.all([a, b, c].map((x) => x.server.stop()));
  });

  it('a leader that removes itself steps down and the remaining voters elect a new leader', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork(clock, new SeededRandom(11));
    const nodes = await Promise.all([1, 2, 3].map((n) => node(clock, net, n)));
    const config = nodes.map((x) => ({ id: x.id, address: x.address, voter: true }));
    await Promise.all(nodes.map((x) => x.server.bootstrapCluster(config)));
    await pumpUntil(clock, () => nodes.filter((x) => x.server.isLeader()).length === 1);
    const old = nodes.find((x) => x.server.isLeader())!;
    await settle(clock, old.server.propose(listCommand('before')));
    await settle(clock, old.server.removeServer(old.id)).catch(() => undefined); // may end with LEADERSHIP_LOST as it steps down
    const rest = nodes.filter((x) => x !== old);
    await pumpUntil(clock, () => rest.some((x) => x.server.isLeader()));
    expect(old.server.isLeader()).toBe(false);
    const next = rest.find((x) => x.server.isLeader())!;
    expect(next.server.configuration().map((s) => s.id).sort()).toEqual(rest.map((x) => x.id).sort());
    await settle(clock, next.server.propose(listCommand('after')));
    await pumpUntil(clock, () => rest.every((x) => x.sm.items.includes('after')));
    await Promise.all(nodes.map((x) => x.server.stop()));
  });
});

describe('RaftServer leadership transfer (TimeoutNow)', () => {
  async function cluster(seed: number) {
    const clock = new ManualClock();
    const net = new MemoryNetwork(clock, new SeededRandom(seed));
    const nodes = await Promise.all([1, 2, 3].map((n) => node(clock, net, n)));
    const config = nodes.map((x) => ({ id: x.id, address: x.address, voter: true }));
    await Promise.all(nodes.map((x) => x.server.bootstrapCluster(config)));
    await pumpUntil(clock, () => nodes.filter((x) => x.server.isLeader()).length === 1);
    const leader = nodes.find((x) => x.server.isLeader())!;
    await settle(clock, leader.server.propose(listCommand('a')));
    return { clock, nodes, leader };
  }

  it('hands leadership to the named voter well before an election timeout would, and writes go on', async () => {
    const { clock, nodes, leader } = await cluster(21);
    const target = nodes.find((x) => x !== leader)!;
    const t0 = clock.now();
    const to = await settle(clock, leader.server.transferLeadership(target.id));
    expect(to).toBe(target.id);
    await pumpUntil(clock, () => target.server.isLeader());
    expect(clock.now() - t0).toBeLessThan(1_000); // the followers' leases (check-quorum) did not block it
    expect(leader.server.isLeader()).toBe(false);
    await settle(clock, target.server.propose(listCommand('b')));
    await pumpUntil(clock, () => nodes.every((x) => x.sm.items.includes('b')));
    await Promise.all(nodes.map((x) => x.server.stop()));
  });

  it('without an id picks another voter; refuses a follower, an unknown id and itself', async () => {
    const { clock, nodes, leader } = await cluster(23);
    const follower = nodes.find((x) => x !== leader)!;
    const onFollower = await follower.server.transferLeadership().catch((e: unknown) => e);
    expect(isSextantError(onFollower, ErrorCode.NotLeader)).toBe(true);
    const unknown = await leader.server.transferLeadership('nope').catch((e: unknown) => e);
    expect(isSextantError(unknown, ErrorCode.BadRequest)).toBe(true);
    const self = await leader.server.transferLeadership(leader.id).catch((e: unknown) => e);
    expect(isSextantError(self, ErrorCode.BadRequest)).toBe(true);
    const to = await settle(clock, leader.server.transferLeadership());
    expect(nodes.filter((x) => x !== leader).map((x) => x.id)).toContain(to);
    await pumpUntil(clock, () => nodes.some((x) => x !== leader && x.server.isLeader()));
    await Promise.all(nodes.map((x) => x.server.stop()));
  });
});
