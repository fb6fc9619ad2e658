import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { NodeStateType } from '../../../../src/gossip/memberlist/messages.js';
import { defaultBounds, GossipSim, type GossipSimNode } from '../../../../src/testing/gossip-sim.js';

/**
 * The memberlist engine in the deterministic fault simulation (src/testing/gossip-sim.ts): random
 * loss, delay, partitions and healing, slow members, crashes and restarts with the invariants
 * checked every 200 ms tick; convergence, detection latency, Lifeguard's effect on false positives
 * and the table's memory, printed. A failing seed replays exactly: SEXTANT_SIM_SEED=<seed>;
 * SEXTANT_SIM_SEEDS=<n> runs more seeds.
 */

const ONE = process.env.SEXTANT_SIM_SEED ? [Number(process.env.SEXTANT_SIM_SEED)] : undefined;
const SEEDS = ONE ?? Array.from({ length: Number(process.env.SEXTANT_SIM_SEEDS ?? 8) }, (_, i) => 3000 + i);
const BIG_SEEDS = ONE ?? Array.from({ length: Math.max(1, Math.floor(Number(process.env.SEXTANT_SIM_SEEDS ?? 8) / 8)) }, (_, i) => 7000 + i);

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const isDown = (s: NodeStateType | undefined): boolean => s === undefined || s === NodeStateType.Dead || s === NodeStateType.Left;

/** One seeded run of random faults; returns its violations and a trace of what every member ended up believing. */
async function faultRun(seed: number): Promise<{ n: number; violations: string[]; trace: string; events: string[] }> {
  const n = [5, 10, 20, 50][seed % 4]!;
  const sim = new GossipSim({ seed, minDelayMs: 1, maxDelayMs: 5 });
  const r = sim.rand();
  const slowCount = Math.max(seed % 2, Math.floor(n / 10));
  for (let i = 0; i < n; i++) await sim.add(i >= n - slowCount ? { minLagMs: 0, maxLagMs: 300, stallMs: [500, 3000], runMs: [5000, 20000] } : undefined);
  await sim.formByJoining();
  const violations: string[] = [];
  if (!(await sim.runChecked(60_000, { until: () => sim.converged() }))) violations.push('the pool did not converge after forming');
  const events: string[] = [];
  const note = (e: string): void => void events.push(`t=${sim.elapsed()} ${e}`);
  let healAt = -1;
  const restarts = new Map<GossipSimNode, number>();
  await sim.runChecked(120_000, {
    onTick: async () => {
      const now = sim.clock.now();
      if (healAt >= 0 && now >= healAt) {
        sim.heal();
        healAt = -1;
        note('heal');
      }
      for (const [node, at] of restarts) {
        if (now < at) continue;
        restarts.delete(node);
        const via = sim.nodes.filter((x) => x.running);
        await sim.restart(node, [via[r.int(via.length)]!, via[r.int(via.length)]!]);
        note(`restart ${node.name}`);
      }
      const p = r.next();
      if (p < 0.01) {
        const loss = r.int(11) / 100;
        sim.network.setDropRate(loss);
        note(`loss ${loss}`);
      } else if (p < 0.02) {
        const max = 1 + r.int(50);
        sim.network.setDelay(1, max);
        note(`delay 1..${max}`);
      } else if (p < 0.025 && healAt < 0) {
        const side = sim.nodes.filter(() => r.next() < 0.3);
        if (side.length > 0 && side.length < n) {
          sim.partition(side, sim.nodes.filter((x) => !side.includes(x)));
          healAt = now + 5_000 + r.int(35_000);
          note(`partition ${side.map((x) => x.name).join(',')}`);
        }
      } else if (p < 0.03) {
        const up = sim.nodes.filter((x) => x.running);
        if (up.length > Math.max(2, n / 2)) {
          const victim = up[r.int(up.length)]!;
          await sim.crash(victim);
          restarts.set(victim, now + 10_000 + r.int(50_000));
          note(`crash ${victim.name}`);
        }
      }
    },
  });
  // Heal everything and bring everyone back: the pool must converge.
  sim.heal();
  sim.network.setDropRate(0);
  sim.network.setDelay(1, 5);
  for (const node of restarts.keys()) {
    const via = sim.nodes.filter((x) => x.running);
    await sim.restart(node, [via[0]!]);
  }
  const bound = defaultBounds(sim).refuteMs + 30_000;
  if (!(await sim.runChecked(bound, { until: () => sim.converged() }))) violations.push(`the pool did not converge within ${bound} ms of healing`);
  violations.push(...sim.violations);
  const trace = JSON.stringify([sim.deaths, sim.nodes.map((v) => (v.running ? v.list.members().map((m) => [m.name, m.state, m.incarnation]) : null))]);
  await sim.stop();
  return { n, violations, trace, events };
}

/** A pool of `n` converged members (primed); the numbers a join, a graceful leave and a crash take to reach everyone. */
async function convergence(n: number, seed: number): Promise<{ join: number; leave: number; detectFirst: number; detectAll: number; heapPerMember: number; violations: string[] }> {
  const sim = new GossipSim({ seed, minDelayMs: 1, maxDelayMs: 5 });
  for (let i = 0; i < n; i++) await sim.add();
  gc();
  const before = process.memoryUsage().heapUsed;
  sim.prime();
  gc();
  const heapPerMember = (process.memoryUsage().heapUsed - before) / n;
  await sim.runChecked(5_000);
  const r = sim.rand();
  const rounds = 120_000;

  const joiner = await sim.add();
  let t0 = sim.clock.now();
  await sim.settle(joiner.list.join([sim.nodes[r.int(n)]!.address]));
  await sim.runChecked(rounds, { tickMs: 100, until: () => sim.fractionSeeing(joiner, (s) => s === NodeStateType.Alive) === 1 });
  const join = sim.clock.now() - t0;

  const leaver = sim.nodes[r.int(n)]!;
  t0 = sim.clock.now();
  await sim.leave(leaver);
  await sim.runChecked(rounds, { tickMs: 100, until: () => sim.fractionSeeing(leaver, (s) => s === NodeStateType.Left || s === undefined) === 1 });
  const leave = sim.clock.now() - t0;

  let victim = sim.nodes[r.int(n)]!;
  while (!victim.running) victim = sim.nodes[r.int(n)]!;
  t0 = sim.clock.now();
  await sim.crash(victim);
  let detectFirst = -1;
  await sim.runChecked(defaultBounds(sim).detectMs, {
    tickMs: 100,
    until: () => {
      const f = sim.fractionSeeing(victim, isDown);
      if (detectFirst < 0 && f > 0) detectFirst = sim.clock.now() - t0;
      return f === 1;
    },
  });
  const detectAll = sim.clock.now() - t0;
  const violations = [...sim.violations];
  if (sim.fractionSeeing(victim, isDown) < 1) violations.push(`${victim.name} not dead everywhere after ${detectAll} ms`);
  await sim.stop();
  return { join, leave, detectFirst, detectAll, heapPerMember, violations };
}

/** `n` members, 10% of them slow (stalling 1-8 s every 5-30 s), 10 minutes: the dead declarations about running members. */
async function falsePositives(n: number, seed: number, lifeguard: boolean): Promise<{ healthy: number; slow: number; healthyTargets: number; all: number; violations: string[] }> {
  const sim = new GossipSim({ seed, minDelayMs: 1, maxDelayMs: 5, config: { lifeguard } });
  const slowCount = Math.round(n / 10);
  for (let i = 0; i < n; i++) await sim.add(i % 10 === 9 && i / 10 < slowCount ? { minLagMs: 0, maxLagMs: 200, stallMs: [1000, 8000], runMs: [5000, 30000] } : undefined);
  sim.prime();
  await sim.runChecked(600_000, { tickMs: 500 });
  const healthy = sim.falseDeaths.filter(([, , , slow]) => !slow);
  const out = {
    healthy: healthy.length,
    slow: sim.falseDeaths.length - healthy.length,
    healthyTargets: new Set(healthy.map(([, , t]) => t)).size,
    all: sim.deaths.length,
    violations: [...sim.violations],
  };
  await sim.stop();
  return out;
}

describe('memberlist fault simulation (seeded, replayable)', () => {
  it(`${SEEDS.length} seeded runs of 5-50 members with loss, delay, partitions, slow members, crashes and restarts keep the invariants and converge after healing`, async () => {
    for (const seed of SEEDS) {
      const r = await faultRun(seed);
      expect(r.violations, `seed ${seed} (n=${r.n}) failed; replay with SEXTANT_SIM_SEED=${seed}\n${r.events.join('\n')}`).toEqual([]);
    }
  }, 600_000);

  it('replays exactly from its seed', async () => {
    const seed = SEEDS[0]!;
    expect((await faultRun(seed)).trace).toBe((await faultRun(seed)).trace);
  }, 300_000);

  it('a join, a leave and a crash reach every member of 10, 100 and 1,000 in O(log N) gossip rounds', async () => {
    const rows: string[] = [];
    const gossipMs = 200;
    for (const n of [10, 100, 1000]) {
      for (const seed of n === 1000 ? BIG_SEEDS : SEEDS.slice(0, 2)) {
        const r = await convergence(n, seed);
        expect(r.violations, `n=${n} seed ${seed}; replay with SEXTANT_SIM_SEED=${seed}`).toEqual([]);
        const log2 = Math.log2(n);
        rows.push(
          `| ${n} | ${seed} | ${log2.toFixed(1)} | ${r.join} ms = ${(r.join / gossipMs).toFixed(1)} rounds | ${r.leave} ms = ${(r.leave / gossipMs).toFixed(1)} rounds | ${r.detectFirst} ms | ${r.detectAll} ms | ${n >= 100 ? `${(r.heapPerMember / 1024).toFixed(1)} KiB (${(r.heapPerMember / n).toFixed(0)} B/entry)` : '—'} |`,
        );
        // Dissemination is epidemic: a few gossip rounds per doubling of the pool.
        expect(r.join / gossipMs).toBeLessThan(4 * log2 + 10);
        expect(r.leave / gossipMs).toBeLessThan(4 * log2 + 10);
        expect(r.detectAll).toBeLessThan(defaultBounds({ nodes: { length: n }, config: {} } as unknown as GossipSim).detectMs);
      }
    }
    console.log(['gossip convergence (gossip round 200 ms, probe 1 s; join through one member, graceful leave, crash):', '| N | seed | log2 N | join, all know | leave, all know | crash, first declares dead | crash, all know | heap per member (table) |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n'));
  }, 600_000);

  it('with 10% of the members slow, Lifeguard declares no more live members dead than plain SWIM', async () => {
    const n = 50;
    const rows: string[] = [];
    const totals = { lg: { healthy: 0, slow: 0 }, plain: { healthy: 0, slow: 0 } };
    for (const seed of SEEDS.slice(0, Math.max(1, Math.floor(SEEDS.length / 8)))) {
      const a = await falsePositives(n, seed, true);
      const b = await falsePositives(n, seed, false);
      expect(a.violations, `seed ${seed}; replay with SEXTANT_SIM_SEED=${seed}`).toEqual([]);
      totals.lg.healthy += a.healthy;
      totals.lg.slow += a.slow;
      totals.plain.healthy += b.healthy;
      totals.plain.slow += b.slow;
      for (const [name, x] of [['Lifeguard', a], ['no Lifeguard', b]] as const) {
        rows.push(`| ${name} | ${seed} | ${x.healthy} (${x.healthyTargets} members) | ${x.slow} | ${(((x.healthy + x.slow) / (n * 10)) * 60).toFixed(2)} |`);
      }
    }
    console.log([`false positives, ${n} members, 5 slow (stall 1-8 s every 5-30 s, 0-200 ms jitter), 10 simulated minutes:`, '| engine | seed | healthy members declared dead | slow members declared dead | per member-hour |', '|---|---|---|---|---|', ...rows].join('\n'));
    console.log(`totals: Lifeguard ${JSON.stringify(totals.lg)}, no Lifeguard ${JSON.stringify(totals.plain)}`);
    // Lifeguard's promise: healthy members are not taken down by the slow ones' late timeouts.
    expect(totals.lg.healthy).toBeLessThanOrEqual(totals.plain.healthy);
    expect(totals.lg.healthy + totals.lg.slow).toBeLessThanOrEqual(totals.plain.healthy + totals.plain.slow);
  }, 600_000);
});
