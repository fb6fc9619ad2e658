import { describe, expect, it } from 'vitest';
import { RaftClusterSim, type RaftClusterSimOptions } from '../../src/testing/raft-cluster-sim.js';
import { decodeRaftMessage } from '../../src/consensus/raft-message-codec.js';
import { listCommand } from '../../src/testing/list-state-machine.js';

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

/**
 * Raft paper Figure 8 (§5.4.2), scripted with the simulator's own faults only (crash, restart,
 * partitions, one one-way link cut). Shown for 5 servers; with 3, S2 does not exist and S4's
 * part is empty. The roles S1..S5 are whoever the elections pick, the terms whatever they come
 * to (a < b < c < d):
 *  (a) leader S1 (term a) appends entry X at index i and replicates it to S2 only; S1 crashes;
 *  (b) S5 wins term b with the votes of S3 and S4 and appends its no-op Y at i, but is cut off at
 *      once (Y never leaves it) and crashes;
 *  (c) S1 restarts and wins term c with S2 and S3 (or S2 wins, and S1 plays S2's part). Entries
 *      travel one per AppendEntries (maxAppendEntries 1), so X reaches S3 on its own; the link to
 *      S3 is cut right then, before the leader's term-c no-op can follow. X is now on a majority
 *      (S1, S2, S3) but it is from an older term: counting those replicas must not commit it.
 *      The leader crashes;
 *  (d) S5 restarts and wins term d with S3 and S4 (its last term b beats their a) and overwrites
 *      X with Y at i.
 * A leader that committed X in (c) loses a committed entry in (d), which the invariant checker
 * sees from that leader's commit index. Every step checks it reached the intended state, so the
 * scenario cannot pass by drifting away from Figure 8.
 */
async function figure8(seed: number, nodes: 3 | 5, unsafe?: { commitOlderTermsByCount: boolean }): Promise<RaftClusterSim> {
  // The script cuts a new leader off right after it appends (b): its entries must not leave it
  // before its own write, so the leader persists before sending here.
  const sim = await started({ seed, nodes, raft: { maxAppendEntries: 1, parallelLeaderWrite: false, ...(unsafe ? { unsafe } : {}) } });
  const reached = (ok: boolean, what: string): void =>
    expect(ok, `seed ${seed} (${nodes} nodes): the Figure 8 script did not reach: ${what}`).toBe(true);
  const core = (id: string) => sim.nodes.get(id)!.server.core()!;
  const termAt = (id: string, index: number): number | undefined => core(id).termAt(index);
  const term = (id: string): number => sim.nodes.get(id)!.server.stats().term;
  const others = (...ids: string[]): string[] => sim.ids.filter((id) => !ids.includes(id));
  reached(await sim.settle(), 'a settled cluster');

  // (a) X on a minority: S1 (and S2)
  const s1 = sim.leader()!.id;
  const minority = [s1, ...others(s1).slice(0, Math.floor((nodes - 1) / 2) - 1)];
  const majority = others(...minority);
  const termA = term(s1);
  const i = core(s1).lastIndex() + 1;
  sim.partition(minority, majority);
  sim.propose(s1);
  reached(await sim.runUntil(() => minority.every((id) => termAt(id, i) === termA), 500), `index ${i} (term ${termA}) on ${minority.join(',')}`);
  await sim.runFor(10); // durable on S1
  await sim.crash(s1);

  // (b) Y on S5 alone
  reached(await sim.runUntil(() => sim.leader(majority) !== undefined, 3000), `a leader among ${majority.join(',')}`);
  const s5 = sim.leader(majority)!.id;
  const [s3, ...s4] = majority.filter((id) => id !== s5) as [string, ...string[]];
  sim.partition([s5], others(s5));
  await sim.runFor(20);
  const termB = term(s5);
  reached(termB > termA && termAt(s5, i) === termB && [s3, ...s4].every((id) => termAt(id, i) === undefined), `${s5} alone holds a term-${termB} entry at ${i}`);
  await sim.crash(s5);

  // (c) X on a majority, the term-c no-op only on S1 (and S2)
  sim.heal();
  sim.partition([...minority, s3], [s5], ...(s4.length > 0 ? [s4] : []));
  await sim.restart(s1);
  reached(await sim.runUntil(() => termAt(s3, i) === termA, 3000), `a new leader sends the term-${termA} entry ${i} to ${s3}`);
  const leaderC = sim.leader(minority)?.id;
  reached(leaderC !== undefined && term(leaderC) > termB, `${minority.join(' or ')} leads a term after ${termB}`);
  const termC = term(leaderC!);
  sim.cutLink(leaderC!, s3);
  await sim.runFor(50);
  reached(
    termAt(leaderC!, i + 1) === termC && termAt(s3, i + 1) === undefined && s4.every((id) => termAt(id, i) === undefined),
    `the term-${termC} no-op stays off ${[s3, ...s4].join(',')}`,
  );
  await sim.crash(leaderC!);

  // (d) S5 overwrites X
  sim.heal();
  sim.partition(majority, minority);
  await sim.restart(s5);
  reached(await sim.runUntil(() => sim.leader(majority)?.id === s5 && core(s5).commitIndex() > i, 3000), `${s5} leads again and commits past ${i}`);
  reached([s3, ...s4].every((id) => termAt(id, i) === termB), `${s5} overwrote index ${i} on ${[s3, ...s4].join(',')}`);
  return sim;
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
    // Seed 7's schedule (the old leader's check-quorum falls before the new leader's 10 writes) as scripted with persist-then-send.
    const sim = await started({ seed: 7, nodes: 5, raft: { parallelLeaderWrite: false } });
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

  for (const nodes of [3, 5] as const) {
    it(`${nodes} nodes, Figure 8: an entry of an older term is not committed by counting its replicas (§5.4.2)`, async () => {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const sim = await figure8(seed, nodes);
        expect(sim.checker.violations, `seed ${seed}: invariant violations in the Figure 8 scenario (replay: figure8(${seed}, ${nodes}))`).toEqual([]);
        expect(await sim.settle(), `seed ${seed}: the cluster did not settle after the scenario`).toBe(true);
        expectSafe(sim);
        await sim.stop();
      }
    });
  }

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

  /** Records each append the leader sends, as `append to ID: N entries, commit C`, in `events`. */
  function recordAppends(leader: NonNullable<ReturnType<RaftClusterSim['leader']>>, events: string[]): void {
    const send = leader.transport.send.bind(leader.transport);
    leader.transport.send = (to, protocol, frame) => {
      const m = decodeRaftMessage(frame);
      if (m.type === 'append') events.push(`append to ${to}: ${m.entries.length} entries, commit ${m.commit}`);
      send(to, protocol, frame);
    };
  }

  it('with commitTimeoutMs 0 a leader answers a write before it tells the followers its commit index, and then tells them', async () => {
    const sim = await started({ seed: 11, nodes: 3, raft: { commitTimeoutMs: 0 } });
    await writeAll(sim, 2);
    expect(await sim.settle()).toBe(true);
    const leader = sim.leader()!;
    const events: string[] = [];
    recordAppends(leader, events);
    const index = leader.server.core()!.lastIndex() + 1;
    let answered = false;
    void leader.server.propose(listCommand('sequential')).then(() => {
      answered = true;
      events.push('answered');
    });
    expect(await sim.runUntil(() => answered, 500)).toBe(true);
    // the followers learn the new commit index from an append with nothing new, after the answer
    const followers = sim.ids.filter((id) => id !== leader.id);
    expect(await sim.runUntil(() => followers.every((id) => sim.nodes.get(id)!.server.core()!.commitIndex() >= index), 100)).toBe(true);
    const answer = events.indexOf('answered');
    const told = followers.map((id) => events.findIndex((e) => e === `append to ${id}: 0 entries, commit ${index}`));
    expect(told.every((i) => i > answer), events.join('\n')).toBe(true);
    await sim.stop();
  });

  it('tells followers each commit of sequential writes with the next write, and the last one after the commit timeout', async () => {
    const sim = await started({ seed: 11, nodes: 3 });
    await writeAll(sim, 2);
    expect(await sim.settle()).toBe(true);
    const leader = sim.leader()!;
    const followers = sim.ids.filter((id) => id !== leader.id);
    const commitOf = (id: string): number => sim.nodes.get(id)!.server.core()!.commitIndex();
    const events: string[] = [];
    recordAppends(leader, events);
    let last = 0;
    for (let i = 0; i < 10; i++) {
      let answered = false;
      void leader.server.propose(listCommand(`sequential-${i}`)).then(() => (answered = true));
      expect(await sim.runUntil(() => answered, 500)).toBe(true);
      last = leader.server.core()!.commitIndex();
      // each write's appends carry the commit of the write before it
      if (i > 0) expect(followers.every((id) => commitOf(id) >= last - 1)).toBe(true);
    }
    // no append with nothing new went out between the writes: the next write's append told them
    expect(events.filter((e) => e.includes(': 0 entries,')), events.join('\n')).toEqual([]);
    // the last commit reaches the followers within the commit timeout (50 ms)
    expect(await sim.runUntil(() => followers.every((id) => commitOf(id) >= last), 60)).toBe(true);
    await sim.stop();
  });

  it('a leader whose own log write stalls answers what both followers stored, and never counts its unwritten entries', async () => {
    const sim = await started({ seed: 13, nodes: 3 });
    await writeAll(sim, 2);
    expect(await sim.settle()).toBe(true);
    const leader = sim.leader()!;
    const [f1, f2] = sim.ids.filter((id) => id !== leader.id) as [string, string];
    const applied = (id: string): string[] => sim.nodes.get(id)!.sm.items;
    const stored = (id: string, index: number): boolean => sim.nodes.get(id)!.storage.durableLog().some((e) => e.index === index);

    // Both followers store the entry: it commits without the leader's write, and is answered.
    leader.storage.hold();
    const a = sim.propose(leader.id);
    const ia = leader.server.core()!.lastIndex();
    expect(await sim.runUntil(() => a.status === 'ok', 500)).toBe(true);
    expect(stored(leader.id, ia)).toBe(false);
    expect(applied(leader.id)).toContain(a.value);
    leader.storage.release();
    expect(await sim.runUntil(() => stored(leader.id, ia), 100)).toBe(true);

    // One follower cut off: the other's copy and the leader's unwritten one are not a quorum.
    sim.partition([leader.id, f1], [f2]);
    leader.storage.hold();
    const b = sim.propose(leader.id);
    const ib = leader.server.core()!.lastIndex();
    expect(await sim.runUntil(() => stored(f1, ib), 500)).toBe(true);
    await sim.runFor(50);
    expect(b.status).toBe('pending');
    expect(applied(leader.id)).not.toContain(b.value);

    // Once the leader's write is durable, it counts.
    leader.storage.release();
    expect(await sim.runUntil(() => b.status === 'ok', 500)).toBe(true);
    expect(applied(leader.id)).toContain(b.value);
    sim.heal();
    expect(await sim.settle()).toBe(true);
    expectSafe(sim);
    expectSameStateMachines(sim);
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

  it('mutation check: a leader that commits older-term entries by counting replicas is caught in the Figure 8 scenario', async () => {
    for (const nodes of [3, 5] as const) {
      const sim = await figure8(1, nodes, { commitOlderTermsByCount: true });
      expect(sim.checker.violations.join('\n'), `${nodes} nodes`).toMatch(/committed entry/);
      await sim.stop();
    }
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
