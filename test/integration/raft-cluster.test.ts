import { describe, expect, it } from 'vitest';
import { RaftClusterSim, type RaftClusterSimOptions } from '../../src/testing/raft-cluster-sim.js';

async function started(opts: RaftClusterSimOptions): Promise<RaftClusterSim> {
  const sim = new RaftClusterSim(opts);
  await sim.start();
  const elected = await sim.runUntil(() => sim.leader() !== undefined, 1000);
  expect(elected, `seed ${opts.seed}: no leader within 1 s`).toBe(true);
  return sim;
}

async function writeAll(sim: RaftClusterSim, n: number): Promise<void> {
  const ws = Array.from({ length: n }, () => sim.propose());
  const done = await sim.runUntil(() => ws.every((w) => w.status !== 'pending'), 5000);
  expect(done).toBe(true);
  expect(ws.filter((w) => w.status !== 'ok').map((w) => w.error)).toEqual([]);
}

function expectSafe(sim: RaftClusterSim): void {
  const v = sim.finalCheck();
  expect(v, `seed ${sim.opts.seed}: invariant violations (replay with this seed)`).toEqual([]);
}

function expectSameStateMachines(sim: RaftClusterSim): void {
  const lists = sim.live().map((n) => n.sm.items.join(','));
  expect(new Set(lists).size).toBe(1);
}

describe('simulated Raft clusters', () => {
  for (const nodes of [3, 5]) {
    it(`${nodes} nodes: elect a leader within a few election timeouts and replicate to every server`, async () => {
      const sim = await started({ seed: 11, nodes });
      expect(sim.clock.now() - 1_700_000_000_000).toBeLessThan(400); // election 100 ms, randomized [100, 200)
      const terms = new Set(sim.live().map((n) => n.server.stats().term));
      expect(terms.size).toBe(1);
      await writeAll(sim, 30);
      expect(await sim.settle()).toBe(true);
      expectSameStateMachines(sim);
      expect(sim.live()[0]!.sm.items.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => `c${i + 1}`));
      expectSafe(sim);
      await sim.stop();
    });
  }

  it('3 nodes: survives the loss of the leader and catches the old leader up after restart', async () => {
    const sim = await started({ seed: 5, nodes: 3 });
    await writeAll(sim, 10);
    const old = sim.leader()!;
    const oldTerm = old.server.stats().term;
    await sim.crash(old.id);
    expect(await sim.runUntil(() => sim.leader() !== undefined, 1000)).toBe(true);
    expect(sim.leader()!.server.stats().term).toBeGreaterThan(oldTerm);
    await writeAll(sim, 10);
    await sim.restart(old.id);
    expect(await sim.settle()).toBe(true);
    expectSameStateMachines(sim);
    expect(sim.nodes.get(old.id)!.sm.items.length).toBeGreaterThanOrEqual(20);
    expectSafe(sim);
    await sim.stop();
  });

  it('5 nodes: a partitioned leader cannot commit; the majority moves on; healing repairs the divergent log', async () => {
    const sim = await started({ seed: 7, nodes: 5 });
    await writeAll(sim, 5);
    const old = sim.leader()!;
    const others = sim.ids.filter((id) => id !== old.id);
    const buddy = others[0]!;
    sim.partition([old.id, buddy], others.slice(1));
    const stranded = Array.from({ length: 5 }, () => sim.propose(old.id)); // appended, never committable
    expect(await sim.runUntil(() => sim.leader() !== undefined && sim.leader()!.id !== old.id, 2000)).toBe(true);
    await writeAll(sim, 10);
    expect(stranded.every((w) => w.status !== 'ok')).toBe(true);
    expect(old.server.isLeader()).toBe(false); // check-quorum stepped it down
    sim.heal();
    expect(await sim.settle()).toBe(true);
    expect(stranded.every((w) => w.status === 'failed')).toBe(true);
    const committed = new Set(sim.checker.commandsUpTo(Infinity));
    for (const w of stranded) expect(committed.has(w.value)).toBe(false);
    expectSameStateMachines(sim);
    expectSafe(sim);
    await sim.stop();
  });

  it('3 nodes: a follower whose needed entries were compacted catches up by InstallSnapshot', async () => {
    const sim = await started({ seed: 3, nodes: 3, raft: { snapshotThreshold: 20, trailingLogs: 5 } });
    const lagging = sim.ids.find((id) => id !== sim.leader()!.id)!;
    await writeAll(sim, 3);
    const before = sim.nodes.get(lagging)!.server.stats().appliedIndex;
    await sim.crash(lagging);
    await writeAll(sim, 80);
    const leader = sim.leader()!;
    expect(leader.server.core()!.firstIndex()).toBeGreaterThan(before + 1); // what it needs is gone
    await sim.restart(lagging);
    expect(await sim.settle()).toBe(true);
    const n = sim.nodes.get(lagging)!;
    expect(n.server.stats().snapshotIndex).toBeGreaterThan(before);
    expect((await n.storage.snapshots.latestSnapshot())!.meta.lastIndex).toBeGreaterThan(before + 20);
    expectSameStateMachines(sim);
    expect(n.sm.items.length).toBeGreaterThanOrEqual(83);
    expectSafe(sim);
    await sim.stop();
  });

  it('serves consistent reads on the leader only after a quorum round', async () => {
    const sim = await started({ seed: 9, nodes: 3 });
    await writeAll(sim, 3);
    const leader = sim.leader()!;
    let read = false;
    void leader.server.readBarrier('consistent').then(() => (read = true));
    expect(await sim.runUntil(() => read, 500)).toBe(true);
    sim.isolate(leader.id);
    let failed = '';
    leader.server.readBarrier('consistent').then(
      () => (failed = 'served'),
      (e: Error & { code?: string }) => (failed = e.code ?? 'error'),
    );
    expect(await sim.runUntil(() => failed !== '', 2000)).toBe(true);
    expect(failed).toBe('LEADERSHIP_LOST');
    // the stepped-down leader refuses default reads; the new leader serves them
    await expect(leader.server.readBarrier('default')).rejects.toMatchObject({ code: expect.stringMatching(/NOT_LEADER|NO_LEADER/) });
    expect(await sim.runUntil(() => sim.leader() !== undefined, 2000)).toBe(true);
    let served = false;
    void sim.leader()!.server.readBarrier('default').then(() => (served = true));
    expect(await sim.runUntil(() => served, 1000)).toBe(true);
    await sim.stop();
  });
});

describe('random faults (partitions, drops, delays, crash-restart)', () => {
  const runSeed = async (seed: number, nodes: number, extra: Partial<RaftClusterSimOptions> = {}): Promise<RaftClusterSim> => {
    const sim = new RaftClusterSim({ seed, nodes, raft: { snapshotThreshold: 30, trailingLogs: 5, ...extra.raft } });
    await sim.start();
    await sim.runUntil(() => sim.leader() !== undefined, 2000);
    await sim.randomFaults(5000);
    await sim.settle(10_000);
    sim.finalCheck();
    await sim.stop();
    return sim;
  };

  for (const nodes of [3, 5]) {
    it(`${nodes} nodes: every invariant holds over 50 seeds`, async () => {
      let acked = 0;
      for (let seed = 1; seed <= 50; seed++) {
        const sim = await runSeed(seed * 1000 + nodes, nodes);
        expect(sim.checker.violations, `seed ${sim.opts.seed} (nodes ${nodes}): replay with new RaftClusterSim({seed: ${sim.opts.seed}, nodes: ${nodes}})`).toEqual([]);
        acked += sim.writeStats().ok;
      }
      expect(acked).toBeGreaterThan(500); // the runs made progress, not just survived
    });
  }

  it('the same seed replays the same run; another seed does not', async () => {
    const a = await runSeed(424242, 5);
    const b = await runSeed(424242, 5);
    const c = await runSeed(424243, 5);
    expect(a.traceHash()).toBe(b.traceHash());
    expect(a.writeStats()).toEqual(b.writeStats());
    expect(c.traceHash()).not.toBe(a.traceHash());
  });

  it('mutation check: with the election restriction disabled, some seed violates an invariant', async () => {
    let caught: string | undefined;
    for (let seed = 1; seed <= 60 && !caught; seed++) {
      const sim = await runSeed(seed, 3, { raft: { unsafe: { disableElectionRestriction: true } } });
      if (sim.checker.violations.length > 0) caught = `seed ${seed}: ${sim.checker.violations[0]}`;
    }
    expect(caught).toBeDefined();
  });
});
