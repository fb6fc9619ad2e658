/**
 * Catalog benchmark (`npm run bench:catalog`): the issue-3 performance numbers, each phase
 * against its own real agent process (`-dev -data-dir <tmp>`, so SQLite fsync is on):
 *   1. watchers — N blocking /v1/health/service/<name> queries over S services; one TTL check is
 *      failed through the agent API: how many watchers woke, how long until all of that
 *      service's watchers answered, and whether every other watcher stayed parked.
 *   2. http-checks — C services with HTTP checks at a 10 s interval against a node:http server in
 *      this process: the agent's CPU (utime+stime from /proc/<pid>/stat) over a window.
 *   3. catalog — nodes and service instances loaded through PUT /v1/catalog/register (64 in
 *      flight), then sequential GET /v1/health/service/<name> latency for 100-instance services,
 *      and wrk throughput when wrk is installed.
 *
 * Knobs: BENCH_QUICK=1 scales every size and window down 10×; BENCH_PHASES=1,3 picks phases;
 * BENCH_WATCHERS, BENCH_WATCH_SERVICES, BENCH_HTTP_CHECKS, BENCH_CPU_SECONDS, BENCH_NODES,
 * BENCH_INSTANCES, BENCH_LAT_REQUESTS, BENCH_SECONDS (wrk) override single sizes;
 * BENCH_PROFILE=<dir> runs each agent under `node --cpu-prof` and leaves the profiles there;
 * BENCH_AGENT_NODE_ARGS="--trace-gc …" passes more node flags to the agent (its output is echoed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';
import { WRK, requestScript, wrk } from './wrk.js';

const QUICK = process.env.BENCH_QUICK === '1';
const scaled = (name: string, full: number, min = 1): number =>
  Number(process.env[name] ?? Math.max(min, QUICK ? Math.round(full / 10) : full));
const PHASES = new Set((process.env.BENCH_PHASES ?? '1,2,3').split(',').map((s) => s.trim()));
const PROFILE_DIR = process.env.BENCH_PROFILE;
const AGENT_NODE_ARGS = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/** With agent output echoed (BENCH_AGENT_NODE_ARGS / BENCH_PROFILE), marks where a step starts in it. */
const mark = (what: string): void => {
  if (AGENT_NODE_ARGS.length > 0 || PROFILE_DIR) console.error(`[bench ${(performance.now() / 1000).toFixed(2)} s] ${what}`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Agent processes and HTTP helpers

interface Bench {
  agent: AgentProcess;
  port: number;
  pid: number;
  dir: string;
}

/**
 * Starts a single bootstrapped server (as in production: compact JSON, unlike -dev's pretty
 * printing) with its own data dir and a raised per-client connection limit.
 */
async function launch(label: string): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), `sextant-catalog-bench-${label}-`));
  writeFileSync(join(dir, 'limits.json'), JSON.stringify({ limits: { http_max_conns_per_client: 20000 } }));
  const args = [
    '-server', '-bootstrap', '-data-dir', join(dir, 'data'), '-http-port', '0', '-dns-port', '-1', '-server-port', '0',
    '-log-level', 'warn', '-config-file', join(dir, 'limits.json'),
  ];
  const nodeArgs = [...AGENT_NODE_ARGS];
  if (PROFILE_DIR) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${label}-${Date.now()}.cpuprofile`);
  const agent = await startAgent(args, { nodeArgs, echo: nodeArgs.length > 0 });
  return { agent, port: Number(new URL(agent.httpAddr).port), pid: agent.proc.pid!, dir };
}

/** Stops the agent (SIGTERM, so a --cpu-prof profile is written; SIGKILL after 20 s) and removes its dir. */
async function shutdown(b: Bench): Promise<void> {
  if (b.agent.proc.exitCode === null && b.agent.proc.signalCode === null) {
    const timer = setTimeout(() => b.agent.proc.kill('SIGKILL'), 20_000);
    await b.agent.stop();
    clearTimeout(timer);
  }
  rmSync(b.dir, { recursive: true, force: true });
}

interface Reply {
  status: number;
  index: number;
  body: string;
  ms: number;
}

function call(agent: http.Agent, port: number, method: string, path: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const r = http.request(
      { agent, host: '127.0.0.1', port, method, path, headers: { 'content-length': payload?.length ?? 0 } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            index: Number(res.headers['x-consul-index']),
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(payload);
  });
}

async function ok(agent: http.Agent, port: number, method: string, path: string, body?: unknown): Promise<Reply> {
  const r = await call(agent, port, method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path} → ${r.status}: ${r.body}`);
  return r;
}

/** Runs `count` jobs with at most `inFlight` at a time; resolves with the number that threw. */
async function pool(count: number, inFlight: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) {
        const i = next++;
        try {
          await job(i);
        } catch (e) {
          if (failed++ === 0) console.error(`  first failure (job ${i}): ${(e as Error).message}`);
        }
      }
    }),
  );
  return failed;
}

async function until(what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return performance.now() - t0;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** utime + stime of `pid` in seconds (all threads: JS, libuv pool, GC). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

interface HealthEntry {
  Service: { Service: string };
  Checks: { CheckID: string; Status: string }[];
}

// ---------------------------------------------------------------------------------------------
// Phase 1: parked blocking health queries, one check flipped

async function watchers(): Promise<void> {
  const total = scaled('BENCH_WATCHERS', 5000);
  const services = Number(process.env.BENCH_WATCH_SERVICES ?? 50);
  const per = Math.ceil(total / services);
  const b = await launch('watchers');
  const http1 = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const parkedAgent = new http.Agent({ keepAlive: true, maxSockets: total + 100 });
  try {
    for (let s = 0; s < services; s++) {
      await ok(http1, b.port, 'PUT', '/v1/agent/service/register', {
        ID: `web-${s}`,
        Name: `web-${s}`,
        Port: 8000 + s,
        Check: { CheckID: `ttl-${s}`, Name: `web-${s} ttl`, TTL: '30m', Status: 'passing' },
      });
    }
    // Anti-entropy puts the registrations into the catalog; wait until each shows its passing check.
    const index: number[] = [];
    const synced = await until('the services to reach the catalog', 30_000, async () => {
      for (let s = index.length; s < services; s++) {
        const r = await ok(http1, b.port, 'GET', `/v1/health/service/web-${s}?passing`);
        if ((JSON.parse(r.body) as unknown[]).length !== 1) return false;
        index.push(r.index);
      }
      return true;
    });
    const rssIdle = rssMb(b.pid);

    const answered: { service: number; at: number; reply: Reply }[] = [];
    const watches: Promise<void>[] = [];
    for (let w = 0; w < total; w++) {
      const s = w % services;
      watches.push(
        call(parkedAgent, b.port, 'GET', `/v1/health/service/web-${s}?index=${index[s]}&wait=60s`).then(
          (reply) => void answered.push({ service: s, at: performance.now(), reply }),
          () => undefined, // torn down at the end of the phase
        ),
      );
    }
    // Give every query time to connect and park.
    await sleep(QUICK ? 2000 : 4000);
    const earlyAnswers = answered.length;
    const rssParked = rssMb(b.pid);

    const target = Math.floor(services / 2);
    const t0 = performance.now();
    const flip = await ok(http1, b.port, 'PUT', `/v1/agent/check/fail/ttl-${target}?note=bench`);
    const flipMs = performance.now() - t0;
    const targetWatchers = Array.from({ length: total }, (_, w) => w).filter((w) => w % services === target).length;
    await until(`all ${targetWatchers} watchers of web-${target} to answer`, 30_000, async () =>
      answered.filter((a) => a.service === target).length >= targetWatchers,
    );
    const mine = answered.filter((a) => a.service === target);
    const firstMs = Math.min(...mine.map((a) => a.at)) - t0;
    const lastMs = Math.max(...mine.map((a) => a.at)) - t0;
    const sawCritical = mine.filter((a) => {
      const entries = JSON.parse(a.reply.body) as HealthEntry[];
      return a.reply.status === 200 && entries.some((e) => e.Checks.some((c) => c.CheckID === `ttl-${target}` && c.Status === 'critical'));
    }).length;
    // Anything else that wakes up in the next seconds is a spurious wake-up.
    await sleep(QUICK ? 2000 : 5000);
    const others = answered.filter((a) => a.service !== target).length;
    console.log(
      `watchers: ${total} blocking /v1/health/service queries over ${services} services (${per} each), ` +
        `services synced to the catalog in ${synced.toFixed(0)} ms`,
    );
    console.log(
      `  failing ttl-${target} (PUT answered in ${flipMs.toFixed(1)} ms) woke ${answered.length - earlyAnswers} watchers: ` +
        `${mine.length} of web-${target}'s ${targetWatchers} (${sawCritical} saw the critical check), ${others} of the other services'`,
    );
    console.log(
      `  web-${target}'s watchers answered ${firstMs.toFixed(1)} ms (first) to ${lastMs.toFixed(1)} ms (last) after the PUT was sent ` +
        `[target < 1000 ms: ${lastMs < 1000 && others === 0 ? 'met' : 'MISSED'}]; ` +
        `${earlyAnswers} answered before the flip; agent RSS ${rssIdle.toFixed(0)} MB idle, ${rssParked.toFixed(0)} MB parked`,
    );
    void watches;
  } finally {
    parkedAgent.destroy();
    http1.destroy();
    await shutdown(b);
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: agent CPU with many HTTP checks

async function httpChecks(): Promise<void> {
  const count = scaled('BENCH_HTTP_CHECKS', 1000);
  const windowS = scaled('BENCH_CPU_SECONDS', 130, 5); // over two minutes, so the window holds at least one anti-entropy full sync (every 60–120 s)
  const hits = new Map<string, number>();
  let windowHits = 0;
  const server = http.createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    windowHits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const b = await launch('http-checks');
  const client = new http.Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const t0 = performance.now();
    const failed = await pool(count, 16, async (i) => {
      await ok(client, b.port, 'PUT', '/v1/agent/service/register', {
        ID: `api-${i}`,
        Name: `api-${i}`,
        Port: 9000 + (i % 1000),
        Check: { CheckID: `http-${i}`, Name: `api-${i} http`, HTTP: `${target}/health/${i}`, Interval: '10s', Timeout: '5s' },
      });
    });
    const registerMs = performance.now() - t0;
    if (failed > 0) throw new Error(`${failed} service registrations failed`);
    // Past the first interval: every check has run, and the catalog shows them all passing.
    const firstRuns = await until('every HTTP check to run once', 60_000, async () => hits.size >= count);
    await until('every HTTP check to be passing in the catalog', 60_000, async () => {
      const r = await ok(client, b.port, 'GET', '/v1/health/state/passing');
      return (JSON.parse(r.body) as { CheckID: string }[]).filter((c) => c.CheckID.startsWith('http-')).length >= count;
    });
    client.destroy();
    await sleep(1000);
    windowHits = 0;
    const cpu0 = cpuSeconds(b.pid);
    const w0 = performance.now();
    await sleep(windowS * 1000);
    const cpu1 = cpuSeconds(b.pid);
    const wall = (performance.now() - w0) / 1000;
    const pct = ((cpu1 - cpu0) / wall) * 100;
    console.log(
      `http checks: ${count} services with HTTP checks at 10s (registered in ${(registerMs / 1000).toFixed(1)} s, ` +
        `all run once ${(firstRuns / 1000).toFixed(1)} s later)`,
    );
    console.log(
      `  agent CPU over ${wall.toFixed(1)} s: ${(cpu1 - cpu0).toFixed(2)} s = ${pct.toFixed(1)}% of one core ` +
        `[target < 25%: ${pct < 25 ? 'met' : 'MISSED'}]; ${windowHits} check requests served (${(windowHits / wall).toFixed(0)}/s, ` +
        `expected ${(count / 10).toFixed(0)}/s); agent RSS ${rssMb(b.pid).toFixed(0)} MB`,
    );
  } finally {
    client.destroy();
    await shutdown(b);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 3: a large catalog, health reads of 100-instance services

async function catalog(): Promise<void> {
  const nodes = scaled('BENCH_NODES', 10_000);
  const instances = scaled('BENCH_INSTANCES', 50_000);
  const perService = 100;
  const serviceCount = Math.ceil(instances / perService);
  const perNode = Math.ceil(instances / nodes);
  const latRequests = Number(process.env.BENCH_LAT_REQUESTS ?? 2000);
  const seconds = scaled('BENCH_SECONDS', 10, 3);
  const b = await launch('catalog');
  const client = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    // A reader beside the load: one GET every 20 ms on its own connection. Its worst latency is
    // what a client sees while the load's Raft snapshots (one per 16,384 entries) are taken.
    const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const probeMs: number[] = [];
    let loading = true;
    const prober = (async () => {
      while (loading) {
        probeMs.push((await ok(probeAgent, b.port, 'GET', '/v1/status/leader')).ms);
        await sleep(20);
      }
    })();
    // Instance k is svc-(k mod S) on node-(k div perNode): each service's 100 instances sit on
    // 100 different nodes, and each node carries perNode services. A node's first register also
    // sets its serfHealth check; every instance has one passing service check.
    const t0 = performance.now();
    const failed = await pool(instances, 64, async (k) => {
      const node = Math.floor(k / perNode);
      const svc = `svc-${k % serviceCount}`;
      const id = `${svc}-${node}`;
      const checks: object[] = [{ CheckID: `service:${id}`, Name: `${svc} health`, Status: 'passing', ServiceID: id, Output: 'ok' }];
      if (k % perNode === 0) checks.unshift({ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Output: 'Agent alive and reachable' });
      await ok(client, b.port, 'PUT', '/v1/catalog/register', {
        Node: `node-${node}`,
        Address: `10.${(node >> 16) & 255}.${(node >> 8) & 255}.${node & 255}`,
        NodeMeta: { rack: `r${node % 40}` },
        Service: { ID: id, Service: svc, Tags: ['v1', `shard-${k % 7}`], Port: 20000 + (k % 10000), Meta: { version: '1.2.3' } },
        Checks: checks,
      });
    });
    const loadS = (performance.now() - t0) / 1000;
    loading = false;
    await prober;
    probeAgent.destroy();
    if (failed > 0) throw new Error(`${failed} catalog registrations failed`);
    const nodesSeen = (JSON.parse((await ok(client, b.port, 'GET', '/v1/catalog/nodes')).body) as unknown[]).length;
    const services = JSON.parse((await ok(client, b.port, 'GET', '/v1/catalog/services')).body) as Record<string, string[]>;
    console.log(
      `catalog: loaded ${instances} service instances on ${nodes} nodes (${serviceCount} services × ${perService}) through ` +
        `PUT /v1/catalog/register, 64 in flight, in ${loadS.toFixed(1)} s (${(instances / loadS).toFixed(0)} registers/s); ` +
        `catalog has ${nodesSeen} nodes, ${Object.keys(services).length} services; agent RSS ${rssMb(b.pid).toFixed(0)} MB`,
    );
    probeMs.sort((a, b2) => a - b2);
    console.log(
      `  a reader during the load (GET /v1/status/leader every 20 ms, ${probeMs.length} reads, ` +
        `${Math.floor(instances / 16_384)} Raft snapshots taken meanwhile): p50 ${percentile(probeMs, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(probeMs, 99).toFixed(2)} ms, max ${probeMs[probeMs.length - 1]!.toFixed(2)} ms`,
    );
    const probeReply = await ok(client, b.port, 'GET', '/v1/health/service/svc-0');
    const probe = JSON.parse(probeReply.body) as HealthEntry[];
    if (probe.length !== perService || probe.some((e) => e.Checks.length !== 2)) {
      throw new Error(`svc-0 has ${probe.length} instances (expected ${perService}, each with a node and a service check)`);
    }
    const bytes = Buffer.byteLength(probeReply.body);

    // Sequential: one request at a time on one keep-alive connection, rotating over the services.
    const seq = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // The first read of each service after the load builds its views and their kept JSON texts:
    // measured on its own (cold), then the steady state the target is about.
    const cold: number[] = [];
    for (let i = 0; i < serviceCount; i++) cold.push((await ok(seq, b.port, 'GET', `/v1/health/service/svc-${i}`)).ms);
    cold.sort((a, b2) => a - b2);
    console.log(
      `  first read of each of the ${serviceCount} services after the load (cold): p50 ${percentile(cold, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(cold, 99).toFixed(2)} ms, max ${cold[cold.length - 1]!.toFixed(2)} ms`,
    );
    const lat: number[] = [];
    mark('sequential health reads start');
    for (let i = 0; i < latRequests; i++) lat.push((await ok(seq, b.port, 'GET', `/v1/health/service/svc-${i % serviceCount}`)).ms);
    seq.destroy();
    mark('sequential health reads end');
    lat.sort((a, b2) => a - b2);
    const p99 = percentile(lat, 99);
    console.log(
      `  GET /v1/health/service/<100-instance service> (${bytes} bytes of JSON), ${latRequests} sequential requests after that: ` +
        `p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${lat[lat.length - 1]!.toFixed(2)} ms ` +
        `[target p99 < 10 ms: ${p99 < 10 ? 'met' : 'MISSED'}]`,
    );
    if (WRK) {
      const r = await wrk(`${b.agent.httpAddr}/`, {
        connections: 64,
        seconds,
        lua: requestScript('GET', `"/v1/health/service/svc-" .. (n % ${serviceCount})`, 'nil'),
      });
      console.log(
        `  wrk, 64 connections, ${seconds} s: ${r.perSecond.toFixed(0)} req/s (p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors})`,
      );
    } else {
      console.log('  wrk: not installed (apt-get install wrk) — throughput not measured');
    }
  } finally {
    client.destroy();
    await shutdown(b);
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:catalog${QUICK ? ' (BENCH_QUICK: sizes ÷10)' : ''}; each phase runs its own single server (-server -bootstrap) with -data-dir (SQLite, fsync on)` +
      (PROFILE_DIR ? `; CPU profiles in ${PROFILE_DIR}` : ''),
  );
  // The host may be shared: say how busy it was before each phase.
  const load = (): string => `[host load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs]`;
  if (PHASES.has('1')) {
    console.log(`phase 1 ${load()}`);
    await watchers();
  }
  if (PHASES.has('2')) {
    console.log(`phase 2 ${load()}`);
    await httpChecks();
  }
  if (PHASES.has('3')) {
    console.log(`phase 3 ${load()}`);
    await catalog();
  }
}

await main();
