/**
 * Snapshot and store-size benchmark (`npm run bench:snapshot`), on a real dev server with
 * -data-dir (SQLite, fsync on), 256-byte values, wrk (or the node closed loop) at 64 clients:
 *
 * 1. Write latency across snapshots: two agents are filled with 100,000 keys, one with
 *    raft_snapshot_threshold 8192 and raft_snapshot_interval 5s (several snapshots of the
 *    100,000-key store fall in each window), one with snapshots disabled (threshold 10^12). Before
 *    the windows, 5 s rounds of the same writes run until a first snapshot of the full store is
 *    complete (one round with snapshots disabled), so the windows show the steady state of a
 *    running server (BENCH_SNAPSHOT_WARMUP=0: no warm-up, the first window then holds the first
 *    snapshot, which encodes every row). Then 64 clients overwrite random keys for
 *    BENCH_SNAPSHOT_SECONDS (default 20) on each agent in turn, BENCH_SNAPSHOT_ROUNDS (default 3)
 *    times in ABBA order, the other agent idle; each window follows BENCH_SNAPSHOT_PREWARM
 *    (default 2) seconds of the same load, not measured, so it does not start on a server left
 *    idle by the windows before it. Prints p50/p99/max of each window, the median p99 of each
 *    side and their ratio, and the max over all windows: as the load generator saw it, and
 *    inside the agent (its consul.http.PUT.v1.kv timer, from the request's dispatch to its
 *    answer, read from /v1/agent/metrics; whole 10 s intervals, so the pre-warm's writes may
 *    count in it too). Each round also runs the same load against a bare Node HTTP server (no
 *    agent): its max is what this machine adds on its own when the load generator and a server
 *    share two cores.
 *    Target: p99 with snapshots ≤ 1.5 × p99 without; max ≤ 100 ms.
 * 2. Write throughput by store size (`writesBySize`, also run by `npm run bench:kv`): writes/s of
 *    64 clients creating new keys, measured with the store at 1,000, 100,000 and 500,000 keys:
 *    windows of fresh 1,000-key agents alternate (ABBA, BENCH_SIZE_ROUNDS times, default 1) with
 *    windows of one agent filled to 100,000 and then 500,000, each of whose windows' new keys are
 *    deleted after it (default snapshot settings: threshold 16384, interval 30s, so whether a snapshot falls in a
 *    window depends on the interval's jitter; BENCH_SIZE_INTERVAL, e.g. 5s, sets the interval to
 *    put snapshots in every window). Each window's line says which snapshots completed in it.
 *    Target: the 500,000-key median within 20% of the 1,000-key one.
 *
 * 3. Main-thread cost of one snapshot (`BENCH_PARTS=cost`, in process, no agent): a StateStore
 *    holding BENCH_COST_KEYS (default 100,000) keys of 256 bytes is snapshotted from scratch, then
 *    again after each of a few rounds of overwrites of random keys (the writes a snapshot
 *    threshold lets through). Prints, per snapshot, the event loop's active time from the call
 *    to the image (what the snapshot takes from the writes), the process CPU time (all threads),
 *    the wall time, the longest gap between ticks of a 1 ms timer (~ the longest turn), and the
 *    image size. BENCH_COST_ROUNDS (default 3) rounds.
 *
 * BENCH_PARTS=latency, size or cost runs those parts only (default latency,size). BENCH_ADDR
 * (default 127.0.0.1) is the loopback address the agents bind and the clients use.
 * BENCH_NODE_ARGS adds node flags to the agents (e.g. `--trace-gc`, or `--require` of a tracer);
 * each agent's output is then kept in the temporary directory when it stops.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { encodeCommand } from '../../src/state/command-codec.js';
import { StateStore } from '../../src/state/state-store.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { closedLoop, type LoadResult } from './load-generator.js';
import { withAgentTimerMax } from './agent-timer-max.js';
import { startBareHttpServer } from './bare-http-server.js';
import { median } from './median.js';
import { WRK, requestScript, wrk } from './wrk.js';

const VALUE_B64 = Buffer.alloc(256, 'v').toString('base64');
const TXN_OPS = 64;
const HOST = process.env.BENCH_ADDR ?? '127.0.0.1';

/** Starts a dev agent with `config` merged in; the caller removes `dir`. */
async function agentWith(dir: string, config: Record<string, unknown>): Promise<AgentProcess> {
  writeFileSync(join(dir, 'bench.json'), JSON.stringify({ limits: { http_max_conns_per_client: 20000 }, ...config }));
  return startAgent(
    ['-dev', '-client', HOST, '-bind', HOST, '-data-dir', join(dir, 'data'), '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-log-level', 'info', '-config-file', join(dir, 'bench.json')],
    // BENCH_CPU_PROF_DIR: write each agent's CPU profile there (node --cpu-prof), to see where its time goes.
    // BENCH_NODE_ARGS: more node flags for the agents (e.g. --trace-gc; their output is kept, see stopBenchAgent).
    {
      timeoutMs: 60_000,
      nodeArgs: [
        ...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR] : []),
        ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
    },
  );
}

/** An agent a part runs, with its HTTP port and the directory that holds its data and config. */
interface BenchAgent {
  agent: AgentProcess;
  port: number;
  dir: string;
}

/** Starts a dev agent with `config` merged in, in a new temporary directory named after `prefix`. */
async function startBenchAgent(prefix: string, config: Record<string, unknown>): Promise<BenchAgent> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const agent = await agentWith(dir, config);
  return { agent, port: Number(new URL(agent.httpAddr).port), dir };
}

/** Stops the agent (SIGKILL if it does not exit) and removes its directory. */
async function stopBenchAgent(a: BenchAgent): Promise<void> {
  await a.agent.stop().catch(() => undefined);
  if (a.agent.proc.exitCode === null) await a.agent.kill9();
  if (process.env.BENCH_NODE_ARGS) writeFileSync(join(tmpdir(), `sextant-snapbench-${a.port}.log`), a.agent.output());
  rmSync(a.dir, { recursive: true, force: true });
}

/** Sends `body` to `path` with `method` (PUT by default); resolves with the status code. */
function send(agent: http.Agent, port: number, path: string, body: string, method = 'PUT'): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request({ agent, host: HOST, port, method, path, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** Creates keys `${prefix}${from}` … `${prefix}${to - 1}` with /v1/txn batches of 64 sets, 8 in flight. */
async function fill(port: number, prefix: string, from: number, to: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const lo = next;
      const hi = Math.min(to, lo + TXN_OPS);
      next = hi;
      const ops = [];
      for (let i = lo; i < hi; i++) ops.push({ KV: { Verb: 'set', Key: `${prefix}${i}`, Value: VALUE_B64 } });
      const status = await send(agent, port, '/v1/txn', JSON.stringify(ops));
      if (status !== 200) throw new Error(`txn fill answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
}

/** 64 clients writing for `seconds`: overwriting random keys of `prefix`0…`keys`-1, or (keys 0) creating new random keys. */
function writeLoad(url: string, port: number, prefix: string, keys: number, seconds: number): Promise<LoadResult> {
  const space = keys > 0 ? keys : 1_000_000_000;
  if (WRK) {
    return wrk(`${url}/`, {
      connections: 64,
      seconds,
      lua: requestScript('PUT', `"/v1/kv/${prefix}" .. math.random(0, ${space - 1})`, 'string.rep("v", 256)', `math.randomseed(os.time() + os.clock() * 1e6)`),
    });
  }
  return closedLoop({
    host: HOST,
    port,
    concurrency: 64,
    seconds,
    request: () => ({ method: 'PUT', path: `/v1/kv/${prefix}${Math.floor(Math.random() * space)}`, body: Buffer.alloc(256, 'v') }),
  });
}

/** The snapshots an agent logged (`snapshot complete`), with their duration when given. */
function snapshotsLogged(agent: AgentProcess): string[] {
  return agent.output().split('\n').filter((l) => l.includes('snapshot complete'));
}

/** Prints the index, size and duration of each `snapshot complete` line. */
function printSnapshots(lines: string[]): void {
  for (const line of lines) {
    const m = /index=(\d+).*bytes=(\d+).*ms=(\d+)/.exec(line);
    if (m) console.log(`  snapshot at index ${m[1]}: ${(Number(m[2]) / 1e6).toFixed(1)} MB, ${m[3]} ms from start to saved (the log compaction follows, paced)`);
  }
}

function fmt(r: LoadResult): string {
  return `${r.perSecond.toFixed(0)}/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms, errors ${r.errors}`;
}

/** An agent of part 1, filled and warmed up, with the results of its windows. */
interface LatencySide extends BenchAgent {
  label: string;
  results: LoadResult[];
  /** Per window: the longest a KV PUT took inside the agent (its consul.http.PUT.v1.kv timer). */
  agentMax: number[];
}

/**
 * Part 1: write latency at 64 clients over windows with snapshots of a 100,000-key store, and
 * without. Both agents run side by side (each idle while the other is measured) and their
 * windows alternate, BENCH_SNAPSHOT_ROUNDS times (default 3) in ABBA order, so a drift of the
 * machine's speed falls on both; the figures compared are the medians of the rounds.
 */
export async function latencyAcrossSnapshots(seconds = Number(process.env.BENCH_SNAPSHOT_SECONDS ?? 20)): Promise<void> {
  const keys = 100_000;
  const rounds = Math.max(1, Number(process.env.BENCH_SNAPSHOT_ROUNDS ?? 3));
  // Seconds of the same load, not measured, right before each window: a window then finds its
  // server as a busy one is, not idle since its last window (the others ran meanwhile).
  const prewarm = Number(process.env.BENCH_SNAPSHOT_PREWARM ?? 2);
  const sides: LatencySide[] = [];
  const bareResults: LoadResult[] = [];
  let bare: { port: number; stop: () => void } | undefined;
  try {
    for (const [label, threshold] of [
      ['snapshots (threshold 8192, checked every 5-10 s)', 8192],
      ['snapshots disabled', 1_000_000_000_000],
    ] as const) {
      const side: LatencySide = {
        label,
        ...(await startBenchAgent('sextant-snapbench-', { raft_snapshot_threshold: threshold, raft_snapshot_interval: '5s', raft_trailing_logs: 10240 })),
        results: [],
        agentMax: [],
      };
      const agent = side.agent;
      sides.push(side);
      await fill(side.port, 'k/', 0, keys);
      // Warm up into the steady state: overwrites until the first snapshot of the full store is
      // done (with snapshots enabled), so the windows hold snapshots that follow an earlier one,
      // as on a server that has been running (the first after a start encodes every row).
      const warmUntil = Date.now() + 60_000;
      if (process.env.BENCH_SNAPSHOT_WARMUP !== '0') {
        do await writeLoad(agent.httpAddr, side.port, 'k/', keys, 5);
        while (threshold < 1e12 && snapshotsLogged(agent).length === 0 && Date.now() < warmUntil);
      }
    }
    // The machine's own floor: a bare Node HTTP server under the same load, in the same rounds.
    bare = await startBareHttpServer(HOST);
    const bareSide = bare;
    for (let round = 0; round < rounds; round++) {
      const windows: (() => Promise<void>)[] = sides.map((side) => async () => {
        if (prewarm > 0) await writeLoad(side.agent.httpAddr, side.port, 'k/', keys, prewarm);
        const before = snapshotsLogged(side.agent).length;
        const { result: r, agentMaxMs } = await withAgentTimerMax(side.agent, 'consul.http.PUT.v1.kv', () => writeLoad(side.agent.httpAddr, side.port, 'k/', keys, seconds));
        const snaps = snapshotsLogged(side.agent).slice(before);
        side.results.push(r);
        side.agentMax.push(agentMaxMs);
        console.log(
          `round ${round + 1}, writes over ${keys} keys, 64 clients, ${seconds} s, ${side.label}: ${fmt(r)}; inside the agent max ${agentMaxMs.toFixed(2)} ms; ${snaps.length} snapshots in the window`,
        );
        printSnapshots(snaps);
      });
      windows.push(async () => {
        if (prewarm > 0) await writeLoad(`http://${HOST}:${bareSide.port}`, bareSide.port, 'k/', keys, prewarm);
        const r = await writeLoad(`http://${HOST}:${bareSide.port}`, bareSide.port, 'k/', keys, seconds);
        bareResults.push(r);
        console.log(`round ${round + 1}, the same load on a bare Node HTTP server (no agent): ${fmt(r)}`);
      });
      for (const w of round % 2 === 0 ? windows : [...windows].reverse()) await w();
    }
  } finally {
    bare?.stop();
    for (const side of sides) await stopBenchAgent(side);
  }
  const [on, off] = sides as [LatencySide, LatencySide];
  const p99 = (side: LatencySide): number => median(side.results.map((r) => r.p99Ms));
  const max = (side: LatencySide): number => Math.max(...side.results.map((r) => r.maxMs));
  const agentMax = (side: LatencySide): number => Math.max(...side.agentMax);
  const ratios = on.results.map((r, i) => (r.p99Ms / off.results[i]!.p99Ms).toFixed(2)).join(', ');
  console.log(
    `snapshot effect over ${rounds} rounds: median p99 ${p99(on).toFixed(2)} vs ${p99(off).toFixed(2)} ms (${(p99(on) / p99(off)).toFixed(2)}×, per round ${ratios}; target ≤ 1.5×); ` +
      `max ${max(on).toFixed(2)} vs ${max(off).toFixed(2)} ms (target ≤ 100 ms), inside the agent ${agentMax(on).toFixed(2)} vs ${agentMax(off).toFixed(2)} ms; ` +
      `${Math.max(...bareResults.map((r) => r.maxMs)).toFixed(2)} ms on the bare server`,
  );
}

/**
 * Part 2: writes/s of 64 clients creating new keys with the store at 1,000, 100,000 and 500,000
 * keys. The large store is one agent, filled to 100,000 and then 500,000 keys; each of its windows'
 * new keys are deleted after it (one recursive delete), so it stays at its size (plus their
 * tombstones, which only weigh on it). Each 1,000-key window runs on a fresh agent (filled, then
 * warmed up by 3 s of overwrites), so it starts at 1,000 keys as the first window of a new store
 * would. At each size the two alternate in ABBA order, BENCH_SIZE_ROUNDS times (default 1), so a
 * drift of the machine's speed falls on both; the figures compared are the medians of each
 * side's windows.
 */
export async function writesBySize(seconds = Number(process.env.BENCH_SIZE_SECONDS ?? 10)): Promise<void> {
  const rounds = Math.max(1, Number(process.env.BENCH_SIZE_ROUNDS ?? 1));
  // BENCH_SIZE_THRESHOLD (e.g. 1000000000000) sets raft_snapshot_threshold, to tell snapshot cost from the rest.
  const threshold = process.env.BENCH_SIZE_THRESHOLD;
  const config = {
    ...(threshold ? { raft_snapshot_threshold: Number(threshold) } : {}),
    ...(process.env.BENCH_SIZE_INTERVAL ? { raft_snapshot_interval: process.env.BENCH_SIZE_INTERVAL } : {}),
  };
  let windows = 0;
  /** One window of new keys under a prefix of its own: its writes/s and that prefix. */
  const measure = async (side: BenchAgent, label: string): Promise<{ rate: number; prefix: string }> => {
    const prefix = `new${++windows}/`;
    const before = snapshotsLogged(side.agent).length;
    const r = await writeLoad(side.agent.httpAddr, side.port, prefix, 0, seconds);
    const snaps = snapshotsLogged(side.agent).slice(before);
    console.log(`writes of new keys, 64 clients, store at ${label} keys: ${fmt(r)}; ${snaps.length} snapshots completed in the window`);
    printSnapshots(snaps);
    return { rate: r.perSecond, prefix };
  };
  const small = async (): Promise<number> => {
    const side = await startBenchAgent('sextant-sizebench-', config);
    try {
      await fill(side.port, 'fill/', 0, 1_000);
      await writeLoad(side.agent.httpAddr, side.port, 'fill/', 1_000, 3);
      return (await measure(side, '1,000')).rate;
    } finally {
      await stopBenchAgent(side);
    }
  };
  const large = await startBenchAgent('sextant-sizebench-', config);
  try {
    let have = 0;
    const ratios: number[] = [];
    for (const size of [100_000, 500_000]) {
      await fill(large.port, 'fill/', have, size);
      have = size;
      const rates = { small: [] as number[], large: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        for (const which of round % 2 === 0 ? (['small', 'large', 'large', 'small'] as const) : (['large', 'small', 'small', 'large'] as const)) {
          if (which === 'small') {
            rates.small.push(await small());
            continue;
          }
          const { rate, prefix } = await measure(large, size.toLocaleString('en-US'));
          rates.large.push(rate);
          const status = await send(new http.Agent(), large.port, `/v1/kv/${prefix}?recurse`, '', 'DELETE');
          if (status !== 200) throw new Error(`deleting the window's keys answered ${status}`);
        }
      }
      const ratio = median(rates.large) / median(rates.small);
      ratios.push(ratio);
      console.log(
        `store at ${size.toLocaleString('en-US')} keys: median ${median(rates.large).toFixed(0)}/s against ${median(rates.small).toFixed(0)}/s at 1,000 keys in the windows around it: ${(100 * ratio).toFixed(0)}%`,
      );
    }
    console.log(`throughput at 500,000 keys is ${(100 * ratios[1]!).toFixed(0)}% of that at 1,000 (interleaved windows; target ≥ 80%)`);
  } finally {
    await stopBenchAgent(large);
  }
}

/** What one snapshot cost the process (see snapshotCost). */
interface SnapshotCost {
  /** Event-loop active time from the call until the image is ready, ms (main-thread work). */
  activeMs: number;
  /** Process CPU time (user + system, all threads, GC included), ms. */
  cpuMs: number;
  wallMs: number;
  /** The longest gap between two ticks of a 1 ms timer running beside the snapshot, ms (≥ 1: the longest turn, roughly). */
  longestTurnMs: number;
  bytes: number;
}

/**
 * Takes one snapshot of `store` with a 1 ms interval timer beside it (the loop stays idle between
 * its ticks, so the event loop's active time is the snapshot's), measuring what it costs.
 */
async function measureSnapshot(store: StateStore): Promise<SnapshotCost> {
  let last = performance.now();
  let longest = 0;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  last = t0;
  const timer = setInterval(tick, 1);
  const image = await store.snapshot();
  const wallMs = performance.now() - t0;
  tick();
  clearInterval(timer);
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  return { activeMs: elu.active, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, longestTurnMs: longest, bytes: image.length };
}

/** Part 3: main-thread cost of snapshots of a BENCH_COST_KEYS-key store, from scratch and after rounds of overwrites. */
export async function snapshotCost(keys = Number(process.env.BENCH_COST_KEYS ?? 100_000), rounds = Number(process.env.BENCH_COST_ROUNDS ?? 3)): Promise<void> {
  const store = new StateStore();
  const value = new Uint8Array(256).fill(0x76);
  let index = 0;
  const apply = (key: string): void => void store.apply({ index: ++index, term: 1, data: encodeCommand({ type: 'kv.set', key: `k/${key}`, value, flags: '0' }) });
  for (let i = 0; i < keys; i++) apply(String(i));
  const show = (label: string, c: SnapshotCost): void =>
    console.log(
      `snapshot of ${keys} keys, ${label}: main thread ${c.activeMs.toFixed(0)} ms, process CPU ${c.cpuMs.toFixed(0)} ms, wall ${c.wallMs.toFixed(0)} ms, ` +
        `longest turn ${c.longestTurnMs.toFixed(1)} ms, ${(c.bytes / 1e6).toFixed(1)} MB`,
    );
  show('first (from scratch)', await measureSnapshot(store));
  show('again, nothing written', await measureSnapshot(store));
  // Overwrites between snapshots: the default raft_snapshot_threshold (16384) and the bench's 8192.
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let r = 0; r < rounds; r++) {
    for (const writes of [8192, 16384]) {
      for (let w = 0; w < writes; w++) apply(String(random(keys)));
      show(`after ${writes} overwrites of random keys`, await measureSnapshot(store));
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const parts = process.env.BENCH_PARTS ?? 'latency,size';
  console.log(`load generator: ${WRK ? 'wrk (Debian), 64 connections' : 'node closed loop, 64 clients'}`);
  if (parts.includes('latency')) await latencyAcrossSnapshots();
  if (parts.includes('size')) await writesBySize();
  if (parts.includes('cost')) await snapshotCost();
}
