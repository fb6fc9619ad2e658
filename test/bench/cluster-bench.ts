/**
 * Cluster benchmark (`npm run bench:cluster`): 3 Sextant servers (real `sextant agent -server
 * -bootstrap-expect 3` processes, data dirs in a tmp dir, the log flushed with fdatasync) on
 * 127.0.23.1–3 beside 3 etcd 3.4 members (Debian's /usr/bin/etcd, static --initial-cluster) on
 * 127.0.23.11–13, started in the same run and loaded one after the other, never both at once.
 *
 * Load phases, each against the leader, alternating Sextant and etcd per run (BENCH_RUNS):
 *   - KV put at 64 clients (throughput, p50, p99), 256-byte values over 10,000 keys;
 *   - `?consistent` reads at 64 clients vs etcd's linearizable (default) Range;
 *   - sequential put p50 (1 client).
 * Sextant is driven by wrk (HTTP/1.1, its native client protocol). etcd is driven twice: by the
 * same wrk through its HTTP/JSON gateway (/v3/kv/put, /v3/kv/range, base64 keys: the same
 * load generator, but the gateway is an extra in-process gRPC hop), and through its native gRPC
 * API with @grpc/grpc-js (64 concurrent unary calls on one HTTP/2 channel, as clientv3 does,
 * from this node process). The targets are checked against the BETTER etcd figure of the two,
 * so neither choice flatters Sextant. Sequential puts use this process's node client for all.
 *
 * Failover (BENCH_FAILOVER_RUNS, default 20): kill -9 of the leader, then a write every 5 ms
 * alternating between the two survivors until one succeeds; the killed member is restarted on its
 * data dir and caught up before the next run. Sextant with performance.raft_multiplier 1 and 5;
 * etcd with its defaults (--heartbeat-interval 100 --election-timeout 1000, the same as Sextant's
 * multiplier-1 timings: 100 ms heartbeats, 1 s base election timeout) and scaled ×5 (500 / 5000,
 * matching multiplier 5).
 *
 * Client agent: a client agent on 127.0.23.4 joined to the servers; sequential KV puts
 * alternating one by one between the leader directly, the client agent and a follower (which
 * forwards to the leader, as a server the client picks may), so all see the same machine load;
 * p50 of each per run (BENCH_RUNS runs of up to 5 s after a warm-up of BENCH_CLIENT_WARMUP_SECONDS,
 * printed but not counted: the client agent starts just before, and a fresh Node process takes
 * ~10 s of this traffic to compile its hot paths; over 8 runs after a 1 s warm-up the hop fell
 * 0.999 → 0.523 → 0.415 ms and then held at 0.37–0.45). The target compares the client agent
 * with the leader (the stricter of the two).
 *
 *   npm run bench:cluster
 *   env: BENCH_SECONDS (10, per load phase), BENCH_WARMUP_SECONDS (5: put load on other keys
 *        before each system's first measured run; 0 for none), BENCH_CLIENT_WARMUP_SECONDS (10:
 *        the client phase's uncounted first run), BENCH_RUNS (3), BENCH_FAILOVER_RUNS (20),
 *        BENCH_PHASES (load,client,failover), BENCH_MULTIPLIERS (1,5), BENCH_SYSTEMS (sextant,etcd:
 *        whose load phases run), BENCH_CPU_PROF (a dir: the Sextant agents run with --cpu-prof)
 * Each load line also prints the servers' CPU per operation (user + system of the three member
 * processes over the phase, from /proc): unlike throughput it hardly moves with the load other
 * programs put on the machine, so it is the figure to compare optimisations by.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startAgent } from '../support/agent-process.js';
import { waitFor } from '../support/agent-http.js';
import type { AgentProcess } from '../support/agent-process.js';
import { closedLoop } from './load-generator.js';
import { median } from './median.js';
import type { LoadResult } from './load-generator.js';
import { WRK, requestScript, wrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Put load on other keys before a system's first measured phase (0: none). */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const CLIENT_WARMUP_SECONDS = Number(process.env.BENCH_CLIENT_WARMUP_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FAILOVER_RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 20);
const PHASES = (process.env.BENCH_PHASES ?? 'load,client,failover').split(',');
const MULTIPLIERS = (process.env.BENCH_MULTIPLIERS ?? '1,5').split(',').map(Number);
/** Which systems' load phases run (profiling one side: BENCH_SYSTEMS=sextant). */
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'sextant,etcd').split(',');
const ETCD = '/usr/bin/etcd';
const SEXTANT_IPS = ['127.0.23.1', '127.0.23.2', '127.0.23.3'];
const CLIENT_IP = '127.0.23.4';
const ETCD_IPS = ['127.0.23.11', '127.0.23.12', '127.0.23.13'];
const VALUE = Buffer.alloc(256, 'v');
const KEYS = 10_000;
/** Reads go to the first READ_KEYS keys, all written before the read phase (a missing key would be a 404). */
const READ_KEYS = 1000;

/** Writes keys bench/0..READ_KEYS-1 through `put`, 32 at a time. */
async function fill(put: (key: string) => Promise<boolean>): Promise<void> {
  for (let i = 0; i < READ_KEYS; i += 32) {
    const ok = await Promise.all(Array.from({ length: Math.min(32, READ_KEYS - i) }, (_, j) => put(`bench/${i + j}`)));
    if (!ok.every(Boolean)) throw new Error('filling the read keys failed');
  }
}

/** A TCP port on `ip` that was free a moment ago. */
function freePortOn(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, ip, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** CPU seconds (user + system) the processes used so far, from /proc/<pid>/stat. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticks / 100;
}

/** A 3-member cluster the bench drives: Sextant's or etcd's. */
interface Cluster {
  name: string;
  /** The member processes' pids (for CPU accounting). */
  pids(): number[];
  /** Index of the member all live members agree leads. */
  leader(): Promise<number>;
  /** One write to member i; true when it succeeded. */
  put(i: number, key: string, signal: AbortSignal): Promise<boolean>;
  kill9(i: number): void;
  /** Restarts member i on its data dir and waits until it has caught up. */
  restart(i: number, key: string): Promise<void>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Sextant

interface SextantCluster extends Cluster {
  agents: AgentProcess[];
  httpPorts: number[];
  client?: AgentProcess;
  startClient(): Promise<AgentProcess>;
}

async function sextantCluster(multiplier: number, dir: string): Promise<SextantCluster> {
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'perf.json');
  writeFileSync(cfg, JSON.stringify({ performance: { raft_multiplier: multiplier }, limits: { http_max_conns_per_client: 20000 } }));
  const serverPorts = await Promise.all(SEXTANT_IPS.map(freePortOn));
  const serfPorts = await Promise.all(SEXTANT_IPS.map(freePortOn));
  const httpPorts = await Promise.all(SEXTANT_IPS.map(freePortOn));
  const joins = SEXTANT_IPS.flatMap((ip, i) => ['-retry-join', `${ip}:${serfPorts[i]}`]);
  const args = (i: number): string[] => [
    '-server', '-bootstrap-expect', '3', '-node', `s${i + 1}`, '-bind', SEXTANT_IPS[i]!, '-client', SEXTANT_IPS[i]!,
    '-data-dir', join(dir, `s${i + 1}`), '-http-port', String(httpPorts[i]), '-dns-port', '-1',
    '-server-port', String(serverPorts[i]), '-serf-lan-port', String(serfPorts[i]), '-log-level', 'warn',
    '-config-file', cfg, '-retry-interval', '1s', ...joins,
  ];
  const nodeArgs = (i: number | 'c1'): string[] => {
    const name = typeof i === 'number' ? `s${i + 1}` : i;
    return process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  };
  const agents = await Promise.all([0, 1, 2].map((i) => startAgent(args(i), { timeoutMs: 30_000, nodeArgs: nodeArgs(i) })));
  const alive = (i: number): boolean => agents[i]!.proc.exitCode === null && agents[i]!.proc.signalCode === null;
  const url = (i: number, path: string): string => `http://${SEXTANT_IPS[i]}:${httpPorts[i]}${path}`;
  const c: SextantCluster = {
    name: `sextant ×${multiplier}`,
    pids: () => agents.map((a) => a.proc.pid!),
    agents,
    httpPorts,
    async leader() {
      return waitFor('a Sextant leader all agree on', 60_000, async () => {
        const live = [0, 1, 2].filter(alive);
        const ls = await Promise.all(live.map(async (i) => (await (await fetch(url(i, '/v1/status/leader'))).json()) as string));
        if (ls[0] === '' || !ls.every((l) => l === ls[0])) return undefined;
        const idx = SEXTANT_IPS.indexOf(ls[0]!.split(':')[0]!);
        // It must also take writes (a new leader first commits its no-op and barrier).
        return (await c.put(idx, 'bench/probe', AbortSignal.timeout(5000))) ? idx : undefined;
      });
    },
    async put(i, key, signal) {
      const res = await fetch(url(i, `/v1/kv/${key}`), { method: 'PUT', body: VALUE, signal });
      return res.status === 200 && (await res.text()).trim() === 'true';
    },
    kill9(i) {
      agents[i]!.proc.kill('SIGKILL');
    },
    async restart(i, key) {
      await agents[i]!.exited;
      agents[i] = await startAgent(args(i), { timeoutMs: 30_000, nodeArgs: nodeArgs(i) });
      await waitFor(`s${i + 1} catches up`, 60_000, async () => {
        const res = await fetch(url(i, `/v1/kv/${key}?stale`));
        return res.status === 200 ? true : undefined;
      });
    },
    async startClient() {
      const clientHttp = await freePortOn(CLIENT_IP);
      c.client = await startAgent(
        ['-node', 'c1', '-bind', CLIENT_IP, '-client', CLIENT_IP, '-data-dir', join(dir, 'c1'), '-http-port', String(clientHttp),
          '-dns-port', '-1', '-log-level', 'warn', '-config-file', cfg, '-retry-interval', '1s', ...joins],
        { timeoutMs: 30_000, nodeArgs: nodeArgs('c1') },
      );
      await waitFor('the client agent forwards a write', 60_000, async () => {
        const res = await fetch(`${c.client!.httpAddr}/v1/kv/bench/client-probe`, { method: 'PUT', body: 'x' });
        return res.status === 200 ? true : undefined;
      });
      return c.client;
    },
    async stop() {
      for (const a of [...agents, ...(c.client ? [c.client] : [])]) {
        if (a.proc.exitCode === null && a.proc.signalCode === null) {
          // SIGTERM so --cpu-prof writes its profile; SIGKILL if it hangs.
          const t = setTimeout(() => a.proc.kill('SIGKILL'), 15_000);
          await a.stop();
          clearTimeout(t);
        }
      }
    },
  };
  return c;
}

// ---------------------------------------------------------------------------------------------
// etcd

interface EtcdCluster extends Cluster {
  clientUrl(i: number): URL;
}

async function postJson(url: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function etcdCluster(timing: { heartbeat: number; election: number }, dir: string): Promise<EtcdCluster> {
  const clientPorts = await Promise.all(ETCD_IPS.map(freePortOn));
  const peerPorts = await Promise.all(ETCD_IPS.map(freePortOn));
  const initial = ETCD_IPS.map((ip, i) => `e${i + 1}=http://${ip}:${peerPorts[i]}`).join(',');
  const procs: ChildProcess[] = [];
  const spawnMember = (i: number): ChildProcess => {
    const ip = ETCD_IPS[i]!;
    const p = spawn(
      ETCD,
      [
        '--name', `e${i + 1}`, '--data-dir', join(dir, `e${i + 1}`),
        '--listen-client-urls', `http://${ip}:${clientPorts[i]}`, '--advertise-client-urls', `http://${ip}:${clientPorts[i]}`,
        '--listen-peer-urls', `http://${ip}:${peerPorts[i]}`, '--initial-advertise-peer-urls', `http://${ip}:${peerPorts[i]}`,
        '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', `bench-${timing.election}`,
        '--heartbeat-interval', String(timing.heartbeat), '--election-timeout', String(timing.election),
        '--logger', 'zap', '--log-level', 'error',
      ],
      { stdio: 'ignore' },
    );
    procs[i] = p;
    return p;
  };
  [0, 1, 2].forEach(spawnMember);
  const alive = (i: number): boolean => procs[i]!.exitCode === null && procs[i]!.signalCode === null;
  const base = (i: number): string => `http://${ETCD_IPS[i]}:${clientPorts[i]}`;
  const c: EtcdCluster = {
    name: `etcd ${timing.heartbeat}/${timing.election}`,
    pids: () => procs.map((p) => p.pid!),
    clientUrl: (i) => new URL(base(i)),
    async leader() {
      return waitFor('an etcd leader all agree on', 60_000, async () => {
        const live = [0, 1, 2].filter(alive);
        const st = await Promise.all(live.map((i) => postJson(`${base(i)}/v3/maintenance/status`, {}, AbortSignal.timeout(2000))));
        const leaders = st.map((s) => String(s.json['leader'] ?? ''));
        if (leaders[0] === '' || !leaders.every((l) => l === leaders[0])) return undefined;
        const at = st.findIndex((s) => String((s.json['header'] as Record<string, unknown>)['member_id']) === leaders[0]);
        if (at < 0) return undefined;
        const idx = live[at]!;
        return (await c.put(idx, 'bench/probe', AbortSignal.timeout(5000))) ? idx : undefined;
      });
    },
    async put(i, key, signal) {
      const r = await postJson(`${base(i)}/v3/kv/put`, { key: Buffer.from(key).toString('base64'), value: VALUE.toString('base64') }, signal);
      return r.status === 200 && r.json['header'] !== undefined && r.json['error'] === undefined;
    },
    kill9(i) {
      procs[i]!.kill('SIGKILL');
    },
    async restart(i, key) {
      const p = procs[i]!;
      if (p.exitCode === null && p.signalCode === null) await new Promise((r) => p.once('exit', r));
      spawnMember(i);
      await waitFor(`e${i + 1} catches up`, 60_000, async () => {
        const r = await postJson(`${base(i)}/v3/kv/range`, { key: Buffer.from(key).toString('base64'), serializable: true }, AbortSignal.timeout(2000));
        return Number(r.json['count'] ?? 0) > 0 ? true : undefined;
      });
    },
    async stop() {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
    },
  };
  return c;
}

// ---------------------------------------------------------------------------------------------
// etcd gRPC (native API): hand-encoded protobuf, no .proto needed.

function pbBytes(field: number, b: Buffer): Buffer {
  const len: number[] = [];
  let n = b.length;
  while (n > 127) {
    len.push((n & 127) | 128);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), b]);
}
const identity = (b: Buffer): Buffer => b;
const EtcdKv = grpc.makeGenericClientConstructor(
  {
    Put: { path: '/etcdserverpb.KV/Put', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
    Range: { path: '/etcdserverpb.KV/Range', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  },
  'KV',
);

/** Closed loop of `concurrency` workers making unary gRPC calls on one channel (clientv3's shape). */
async function grpcLoop(target: URL, concurrency: number, seconds: number, method: 'Put' | 'Range', body: (n: number) => Buffer): Promise<LoadResult> {
  const client = new EtcdKv(`${target.hostname}:${target.port}`, grpc.credentials.createInsecure()) as unknown as Record<
    string,
    (req: Buffer, cb: (err: grpc.ServiceError | null) => void) => void
  >;
  const call = (req: Buffer): Promise<boolean> => new Promise((resolve) => client[method]!.call(client, req, (err) => resolve(err === null)));
  await call(body(0)); // connect
  const latencies: number[] = [];
  let n = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        if (!(await call(body(n++)))) errors++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  (client as unknown as grpc.Client).close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, seconds: secs, perSecond: latencies.length / secs, p50Ms: pct(50), p99Ms: pct(99), maxMs: latencies.at(-1) ?? 0 };
}
/** etcd's gRPC PutRequest for request n: key `${prefix}${n % KEYS}`. */
const etcdPutPb = (prefix: string) => (n: number): Buffer => Buffer.concat([pbBytes(1, Buffer.from(`${prefix}${n % KEYS}`)), pbBytes(2, VALUE)]);
/** etcd's gateway /v3/kv/put body for request n: key `${prefix}${n % KEYS}`, base64 as the gateway wants. */
const etcdPutJson = (prefix: string) => (n: number): Buffer => Buffer.from(JSON.stringify({ key: Buffer.from(`${prefix}${n % KEYS}`).toString('base64'), value: VALUE.toString('base64') }));
/** A wrk script table `keys` of the base64 keys `${prefix}0` … `${prefix}${KEYS - 1}` (Lua index n + 1). */
const etcdKeysLua = (prefix: string): string => `local keys = { ${Array.from({ length: KEYS }, (_, i) => `"${Buffer.from(`${prefix}${i}`).toString('base64')}"`).join(',')} }`;

/** 64 clients putting 256-byte values over KEYS keys `${prefix}n` on the Sextant agent at host:port. */
function sextantPuts(host: string, port: number, prefix: string, seconds: number): Promise<LoadResult> {
  return WRK
    ? wrk(`http://${host}:${port}/`, { connections: 64, seconds, lua: requestScript('PUT', `"/v1/kv/${prefix}" .. (n % ${KEYS})`, `string.rep("v", 240) .. string.format("%016d", n)`) })
    : closedLoop({ host, port, concurrency: 64, seconds, request: (i) => ({ method: 'PUT', path: `/v1/kv/${prefix}${i % KEYS}`, body: VALUE }) });
}

/** The same load through etcd's HTTP/JSON gateway at `u`. */
function etcdGatewayPuts(u: URL, prefix: string, seconds: number): Promise<LoadResult> {
  const body = etcdPutJson(prefix);
  return WRK
    ? wrk(`${u.origin}/v3/kv/put`, {
        connections: 64,
        seconds,
        lua: requestScript('POST', '"/v3/kv/put"', `'{"key":"' .. keys[(n % ${KEYS}) + 1] .. '","value":"${VALUE.toString('base64')}"}'`, etcdKeysLua(prefix)),
      })
    : closedLoop({ host: u.hostname, port: Number(u.port), concurrency: 64, seconds, request: (i) => ({ method: 'POST', path: '/v3/kv/put', body: body(i) }) });
}
const etcdRangePb = (n: number): Buffer => pbBytes(1, Buffer.from(`bench/${n % READ_KEYS}`));

// ---------------------------------------------------------------------------------------------
// Phases

type Row = Map<string, number[]>;
const results = new Map<string, Row>();
function record(metric: string, who: string, v: number): void {
  if (!results.has(metric)) results.set(metric, new Map());
  const row = results.get(metric)!;
  if (!row.has(who)) row.set(who, []);
  row.get(who)!.push(v);
}
function line(who: string, what: string, r: LoadResult, cpuMs?: number): void {
  const cpu = cpuMs === undefined ? '' : `  servers' CPU ${((1000 * cpuMs) / Math.max(1, r.requests)).toFixed(0)} µs/op`;
  console.log(`  ${who.padEnd(16)} ${what.padEnd(26)} ${r.perSecond.toFixed(0).padStart(7)}/s  p50 ${r.p50Ms.toFixed(3)} ms  p99 ${r.p99Ms.toFixed(2)} ms  errors ${r.errors}${cpu}`);
}

/** Runs `f` and returns its result with the CPU ms the cluster's processes spent meanwhile. */
async function metered(c: Cluster, f: () => Promise<LoadResult>): Promise<[LoadResult, number]> {
  const before = cpuSeconds(c.pids());
  const r = await f();
  return [r, 1000 * (cpuSeconds(c.pids()) - before)];
}

/**
 * The same put load as the measured phase, on keys of its own, for WARMUP_SECONDS before a
 * system's first measured run: a freshly started agent runs its first seconds of load in
 * unoptimised JavaScript while V8 compiles the hot paths (measured: ~25% fewer puts/s in the
 * first 5 s), which a long-running agent never sees again. etcd gets the same load, through
 * its gateway and its gRPC API, so both are measured warm.
 */
async function sextantWarmUp(c: SextantCluster): Promise<void> {
  if (WARMUP_SECONDS <= 0) return;
  const l = await c.leader();
  line('sextant', 'warm-up put (not counted)', await sextantPuts(SEXTANT_IPS[l]!, c.httpPorts[l]!, 'warmup/', WARMUP_SECONDS));
}

/** etcd's warm-up: the same put load through its gateway and its gRPC API. */
async function etcdWarmUp(c: EtcdCluster): Promise<void> {
  if (WARMUP_SECONDS <= 0) return;
  const u = c.clientUrl(await c.leader());
  line('etcd gateway', 'warm-up put (not counted)', await etcdGatewayPuts(u, 'warmup/', WARMUP_SECONDS));
  line('etcd gRPC', 'warm-up put (not counted)', await grpcLoop(u, 64, WARMUP_SECONDS, 'Put', etcdPutPb('warmup/')));
}

async function sextantLoad(c: SextantCluster): Promise<void> {
  const l = await c.leader();
  const host = SEXTANT_IPS[l]!;
  const port = c.httpPorts[l]!;
  const base = `http://${host}:${port}/`;
  const [puts, putCpu] = await metered(c, () => sextantPuts(host, port, 'bench/', SECONDS));
  line('sextant', 'put, 64 clients', puts, putCpu);
  record('servers CPU µs/put, 64 clients', 'sextant', (1000 * putCpu) / puts.requests);
  record('put/s, 64 clients', 'sextant', puts.perSecond);
  record('put p50 ms, 64 clients', 'sextant', puts.p50Ms);
  record('put p99 ms, 64 clients', 'sextant', puts.p99Ms);
  await fill((key) => c.put(l, key, AbortSignal.timeout(10_000)));
  const [reads, readCpu] = await metered(c, async () => WRK
    ? await wrk(base, { connections: 64, seconds: SECONDS, lua: requestScript('GET', `"/v1/kv/bench/" .. (n % ${READ_KEYS}) .. "?consistent"`, 'nil') })
    : await closedLoop({ host, port, concurrency: 64, seconds: SECONDS, request: (i) => ({ method: 'GET', path: `/v1/kv/bench/${i % READ_KEYS}?consistent` }) }));
  line('sextant', '?consistent read, 64 cl.', reads, readCpu);
  record('servers CPU µs/read, 64 clients', 'sextant', (1000 * readCpu) / reads.requests);
  record('linearizable read/s, 64 clients', 'sextant', reads.perSecond);
  record('read p50 ms, 64 clients', 'sextant', reads.p50Ms);
  await closedLoop({ host, port, concurrency: 1, seconds: 1, request: (i) => ({ method: 'PUT', path: `/v1/kv/seq/${i % 1000}`, body: VALUE }) });
  const seq = await closedLoop({ host, port, concurrency: 1, seconds: Math.min(5, SECONDS), request: (i) => ({ method: 'PUT', path: `/v1/kv/seq/${i % 1000}`, body: VALUE }) });
  line('sextant', 'sequential put, 1 client', seq);
  record('sequential put p50 ms', 'sextant', seq.p50Ms);
}

async function etcdLoad(c: EtcdCluster): Promise<void> {
  const l = await c.leader();
  const u = c.clientUrl(l);
  const host = u.hostname;
  const port = Number(u.port);
  const putBody = etcdPutJson('bench/');
  const [puts, putCpu] = await metered(c, () => etcdGatewayPuts(u, 'bench/', SECONDS));
  line('etcd gateway', 'put, 64 clients', puts, putCpu);
  record('servers CPU µs/put, 64 clients', 'etcd-gw', (1000 * putCpu) / puts.requests);
  record('put/s, 64 clients', 'etcd-gw', puts.perSecond);
  record('put p50 ms, 64 clients', 'etcd-gw', puts.p50Ms);
  record('put p99 ms, 64 clients', 'etcd-gw', puts.p99Ms);
  const [gputs, gputCpu] = await metered(c, () => grpcLoop(u, 64, SECONDS, 'Put', etcdPutPb('bench/')));
  line('etcd gRPC', 'put, 64 clients', gputs, gputCpu);
  record('servers CPU µs/put, 64 clients', 'etcd-grpc', (1000 * gputCpu) / gputs.requests);
  record('put/s, 64 clients', 'etcd-grpc', gputs.perSecond);
  record('put p50 ms, 64 clients', 'etcd-grpc', gputs.p50Ms);
  record('put p99 ms, 64 clients', 'etcd-grpc', gputs.p99Ms);
  await fill((key) => c.put(l, key, AbortSignal.timeout(10_000)));
  const [reads, readCpu] = await metered(c, async () => WRK
    ? await wrk(`${u.origin}/v3/kv/range`, {
        connections: 64,
        seconds: SECONDS,
        lua: requestScript('POST', '"/v3/kv/range"', `'{"key":"' .. keys[(n % ${READ_KEYS}) + 1] .. '"}'`, etcdKeysLua('bench/')),
      })
    : await closedLoop({ host, port, concurrency: 64, seconds: SECONDS, request: (i) => ({ method: 'POST', path: '/v3/kv/range', body: Buffer.from(JSON.stringify({ key: Buffer.from(`bench/${i % READ_KEYS}`).toString('base64') })) }) }));
  line('etcd gateway', 'linearizable read, 64 cl.', reads, readCpu);
  record('servers CPU µs/read, 64 clients', 'etcd-gw', (1000 * readCpu) / reads.requests);
  record('linearizable read/s, 64 clients', 'etcd-gw', reads.perSecond);
  record('read p50 ms, 64 clients', 'etcd-gw', reads.p50Ms);
  const [greads, greadCpu] = await metered(c, () => grpcLoop(u, 64, SECONDS, 'Range', etcdRangePb));
  line('etcd gRPC', 'linearizable read, 64 cl.', greads, greadCpu);
  record('servers CPU µs/read, 64 clients', 'etcd-grpc', (1000 * greadCpu) / greads.requests);
  record('linearizable read/s, 64 clients', 'etcd-grpc', greads.perSecond);
  record('read p50 ms, 64 clients', 'etcd-grpc', greads.p50Ms);
  await closedLoop({ host, port, concurrency: 1, seconds: 1, request: (i) => ({ method: 'POST', path: '/v3/kv/put', body: putBody(i) }) });
  const seq = await closedLoop({ host, port, concurrency: 1, seconds: Math.min(5, SECONDS), request: (i) => ({ method: 'POST', path: '/v3/kv/put', body: putBody(i) }) });
  line('etcd gateway', 'sequential put, 1 client', seq);
  record('sequential put p50 ms', 'etcd-gw', seq.p50Ms);
  const gseq = await grpcLoop(u, 1, Math.min(5, SECONDS), 'Put', etcdPutPb('bench/'));
  line('etcd gRPC', 'sequential put, 1 client', gseq);
  record('sequential put p50 ms', 'etcd-grpc', gseq.p50Ms);
}

/** One PUT on a keep-alive agent; resolves with its latency in ms (throws unless 200). */
function timedPut(agent: http.Agent, host: string, port: number, path: string, method: 'PUT' | 'GET' = 'PUT'): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const headers = method === 'PUT' ? { 'content-length': VALUE.length } : {};
    const r = http.request({ agent, host, port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`status ${res.statusCode}`))));
    });
    r.on('error', reject);
    r.end(method === 'PUT' ? VALUE : undefined);
  });
}

/**
 * Sequential KV puts alternating, one at a time, between the leader directly and the client
 * agent (which forwards to a server over RPC), so both see the same machine load: the p50 of
 * each and their difference.
 */
async function clientOverhead(c: SextantCluster): Promise<void> {
  const client = c.client ?? (await c.startClient());
  const l = await c.leader();
  const cu = new URL(client.httpAddr);
  const f = [0, 1, 2].find((i) => i !== l)!;
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const toFollower = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const via = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const pct50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  for (let r = 0; r <= RUNS; r++) {
    const d: number[] = [];
    const v: number[] = [];
    const fo: number[] = [];
    const sd: number[] = [];
    const sv: number[] = [];
    const end = performance.now() + 1000 * (r === 0 ? CLIENT_WARMUP_SECONDS : Math.min(5, SECONDS));
    for (let i = 0; performance.now() < end; i++) {
      d.push(await timedPut(direct, SEXTANT_IPS[l]!, c.httpPorts[l]!, `/v1/kv/seq/${i % 1000}`));
      v.push(await timedPut(via, cu.hostname, Number(cu.port), `/v1/kv/seq/${i % 1000}`));
      fo.push(await timedPut(toFollower, SEXTANT_IPS[f]!, c.httpPorts[f]!, `/v1/kv/seq/${i % 1000}`));
      sd.push(await timedPut(direct, SEXTANT_IPS[l]!, c.httpPorts[l]!, `/v1/kv/seq/${i % 1000}?stale`, 'GET'));
      sv.push(await timedPut(via, cu.hostname, Number(cu.port), `/v1/kv/seq/${i % 1000}?stale`, 'GET'));
    }
    if (r === 0) {
      console.log(`  sextant          warm-up (not counted): seq put → leader p50 ${pct50(d).toFixed(3)} ms, → client agent p50 ${pct50(v).toFixed(3)} ms (${d.length} each)`);
      continue;
    }
    console.log(
      `  sextant          seq put, alternating: → leader p50 ${pct50(d).toFixed(3)} ms, → client agent p50 ${pct50(v).toFixed(3)} ms, ` +
        `→ a follower p50 ${pct50(fo).toFixed(3)} ms (${d.length} each)`,
    );
    record('seq put p50 ms → leader', 'sextant', pct50(d));
    record('seq put p50 ms → follower', 'sextant', pct50(fo));
    record('seq put p50 ms → client agent', 'sextant', pct50(v));
    record('client agent adds, p50 ms', 'sextant', pct50(v) - pct50(d));
    console.log(`  sextant          stale get, alternating: → a server p50 ${pct50(sd).toFixed(3)} ms, → client agent p50 ${pct50(sv).toFixed(3)} ms`);
    record('client agent adds to a stale read, p50 ms', 'sextant', pct50(sv) - pct50(sd));
  }
  direct.destroy();
  toFollower.destroy();
  via.destroy();
}

/** kill -9 of the leader until a write to a survivor succeeds; ms per run. */
async function failover(c: Cluster, runs: number, who: string): Promise<void> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const l = await c.leader();
    const survivors = [0, 1, 2].filter((i) => i !== l);
    const key = `bench/failover/${r}`;
    const t0 = performance.now();
    c.kill9(l);
    const ms = await new Promise<number>((resolve, reject) => {
      let done = false;
      let n = 0;
      const controllers = new Set<AbortController>();
      const give = setTimeout(() => finish(undefined), 120_000);
      const finish = (v: number | undefined): void => {
        if (done) return;
        done = true;
        clearInterval(timer);
        clearTimeout(give);
        for (const a of controllers) a.abort();
        if (v === undefined) reject(new Error(`${who}: no write succeeded within 120 s of kill -9`));
        else resolve(v);
      };
      const attempt = (): void => {
        // Each attempt gives up after 1 s (etcd holds a write without a leader for its 7 s
        // request timeout): a newer attempt, every 5 ms, finds the new leader instead.
        if (done || controllers.size > 400) return;
        const ac = new AbortController();
        controllers.add(ac);
        const t = setTimeout(() => ac.abort(), 1000);
        c.put(survivors[n++ % 2]!, key, ac.signal).then(
          (ok) => {
            if (ok) finish(performance.now() - t0);
          },
          () => undefined,
        ).finally(() => {
          clearTimeout(t);
          controllers.delete(ac);
        });
      };
      const timer = setInterval(attempt, 5);
      attempt();
    });
    times.push(ms);
    record(`failover ms (${who})`, who, ms);
    process.stdout.write(`  ${who} failover run ${r + 1}: ${ms.toFixed(0)} ms\n`);
    await c.restart(l, key);
  }
}

// ---------------------------------------------------------------------------------------------

function fmt(xs: number[] | undefined, digits: number): string {
  if (!xs || xs.length === 0) return '—';
  const s = [...xs].sort((a, b) => a - b);
  const m = median(s).toFixed(digits);
  return s.length === 1 ? m : `${m} (${s[0]!.toFixed(digits)}–${s.at(-1)!.toFixed(digits)})`;
}

function printTable(): void {
  console.log(`\nCluster bench: 3 servers each, one machine, runs=${RUNS}, ${SECONDS} s per load phase; median (min–max over runs)`);
  const cols = ['sextant', 'etcd-gw', 'etcd-grpc'];
  console.log(`${'metric'.padEnd(34)} ${cols.map((c) => c.padEnd(24)).join(' ')}`);
  for (const [metric, row] of results) {
    if (metric.startsWith('failover')) continue;
    const digits = metric.includes('/s') || metric.includes('µs') ? 0 : 3;
    console.log(`${metric.padEnd(34)} ${cols.map((c) => fmt(row.get(c), digits).padEnd(24)).join(' ')}`);
  }
  const fo = [...results].filter(([m]) => m.startsWith('failover'));
  if (fo.length > 0) {
    console.log(`\nFailover: kill -9 of the leader → first successful write (ms over ${FAILOVER_RUNS} runs)`);
    for (const [, row] of fo) {
      for (const [who, xs] of row) {
        const s = [...xs].sort((a, b) => a - b);
        console.log(`  ${who.padEnd(34)} p50 ${median(s).toFixed(0).padStart(6)}   max ${s.at(-1)!.toFixed(0).padStart(6)}   min ${s[0]!.toFixed(0).padStart(6)}`);
      }
    }
  }
  const best = (metric: string, higher: boolean): number | undefined => {
    const row = results.get(metric);
    const e = ['etcd-gw', 'etcd-grpc'].map((k) => row?.get(k)).filter((x): x is number[] => !!x && x.length > 0).map(median);
    if (e.length === 0) return undefined;
    return higher ? Math.max(...e) : Math.min(...e);
  };
  const s = (metric: string): number | undefined => {
    const xs = results.get(metric)?.get('sextant');
    return xs && xs.length > 0 ? median(xs) : undefined;
  };
  console.log('\nTargets (against the better etcd figure):');
  const check = (label: string, ok: boolean | undefined, detail: string): void =>
    console.log(`  ${ok === undefined ? '  ?' : ok ? ' met' : 'MISS'}  ${label}: ${detail}`);
  const put = s('put/s, 64 clients');
  const eput = best('put/s, 64 clients', true);
  if (put && eput) check('put throughput ≥ 1.5× etcd', put >= 1.5 * eput, `${(put / eput).toFixed(2)}×`);
  const rd = s('linearizable read/s, 64 clients');
  const erd = best('linearizable read/s, 64 clients', true);
  if (rd && erd) check('consistent reads ≥ 1.5× etcd linearizable', rd >= 1.5 * erd, `${(rd / erd).toFixed(2)}×`);
  const sq = s('sequential put p50 ms');
  const esq = best('sequential put p50 ms', false);
  if (sq && esq) check('sequential put p50 ≤ etcd', sq <= esq, `${sq.toFixed(3)} vs ${esq.toFixed(3)} ms`);
  const co = s('client agent adds, p50 ms');
  if (co !== undefined) check('client agent adds < 0.5 ms p50', co < 0.5, `${co.toFixed(3)} ms`);
}

async function main(): Promise<void> {
  console.log(
    `cluster bench: ${WRK ? 'wrk' : 'node closed loop'} for HTTP, @grpc/grpc-js for etcd gRPC; ${SECONDS} s per phase, ${RUNS} runs, ` +
      `${FAILOVER_RUNS} failover runs, phases ${PHASES.join(',')}, multipliers ${MULTIPLIERS.join(',')}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'sextant-cluster-bench-'));
  const clusters: Cluster[] = [];
  try {
    for (const [k, mult] of MULTIPLIERS.entries()) {
      const sx = await sextantCluster(mult, join(dir, `sextant-${mult}`));
      clusters.push(sx);
      const timing = { heartbeat: 100 * mult, election: 1000 * mult };
      const et = await etcdCluster(timing, join(dir, `etcd-${mult}`));
      clusters.push(et);
      if (k === 0 && PHASES.includes('load')) {
        console.log(`load (×${mult} timings):`);
        if (SYSTEMS.includes('sextant')) await sextantWarmUp(sx);
        if (SYSTEMS.includes('etcd')) await etcdWarmUp(et);
        for (let r = 0; r < RUNS; r++) {
          if (SYSTEMS.includes('sextant')) await sextantLoad(sx);
          if (SYSTEMS.includes('etcd')) await etcdLoad(et);
        }
      }
      if (k === 0 && PHASES.includes('client')) await clientOverhead(sx);
      if (PHASES.includes('failover')) {
        console.log(`failover (raft_multiplier ${mult}; etcd --heartbeat-interval ${timing.heartbeat} --election-timeout ${timing.election}):`);
        await failover(sx, FAILOVER_RUNS, `sextant raft_multiplier ${mult}`);
        await failover(et, FAILOVER_RUNS, `etcd ${timing.heartbeat}/${timing.election} ms`);
      }
      await sx.stop();
      await et.stop();
    }
  } finally {
    for (const c of clusters) await c.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  printTable();
}

await main();
