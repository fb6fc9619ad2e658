/**
 * KV benchmark (`npm run bench:kv`): a real dev server with -data-dir (SQLite, fsync on),
 * driven by a closed-loop HTTP load generator on loopback with 256-byte values. Prints
 * writes/s at 64 clients, sequential write latency, reads/s at 64 clients, and the wake-up
 * latency and memory of 10,000 parked blocking queries, and the raw node:http floor the read
 * target is half of. When Debian's etcd is installed it runs the same write load against a
 * single etcd member and prints the ratio. Last, writes/s of new keys with the store at 1,000,
 * 100,000 and 500,000 keys (snapshot-bench.ts writesBySize; BENCH_SIZES=0 skips it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { closedLoop } from './load-generator.js';
import type { LoadResult } from './load-generator.js';
import { WRK, requestScript, wrk } from './wrk.js';
import { writesBySize } from './snapshot-bench.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const VALUE = Buffer.alloc(256, 'v');

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function get(agent: http.Agent, port: number, path: string): Promise<{ status: number; index: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ agent, host: '127.0.0.1', port, path }, (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, index: Number(res.headers['x-consul-index']), ms: performance.now() - t0 }),
        );
      })
      .on('error', reject);
  });
}

async function blockingQueries(port: number, pid: number, n: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n + 10 });
  // Create the keys first so each watcher parks on its own key's ModifyIndex.
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, n - i) }, (_, j) =>
        new Promise<void>((resolve, reject) => {
          const r = http.request({ agent, host: '127.0.0.1', port, method: 'PUT', path: `/v1/kv/watch/${i + j}` }, (res) => {
            res.resume();
            res.on('end', () => resolve());
          });
          r.on('error', reject);
          r.end(VALUE);
        }),
      ),
    );
  }
  const first = await get(agent, port, '/v1/kv/watch/0');
  const rssBefore = rssMb(pid);
  let woke = 0;
  let inFlight = 0; // blocking GETs sent and not answered yet
  let failed = 0; // probes or blocking GETs that errored before the teardown below
  let tornDown = false;
  const parked = Array.from({ length: n }, async (_, i) => {
    try {
      const probe = await get(agent, port, `/v1/kv/watch/${i}`);
      inFlight++;
      try {
        const r = await get(agent, port, `/v1/kv/watch/${i}?index=${probe.index}&wait=120s`);
        woke++;
        return r;
      } finally {
        inFlight--;
      }
    } catch (e) {
      if (!tornDown) failed++;
      throw e;
    }
  });
  // The ones never woken end when the pool is torn down below; that is expected, not a failure.
  for (const p of parked) p.catch(() => undefined);
  // Wait until every blocking GET is on the wire (a slow machine needs longer than a fixed
  // pause), then a second more for the agent to read and park the last ones.
  const parkDeadline = performance.now() + 120_000;
  while (inFlight + failed < n && performance.now() < parkDeadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000));
  const rssParked = rssMb(pid);
  const parkedAtWrite = inFlight;
  const failedAtWrite = failed;
  const wokeBefore = woke;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `/v1/kv/watch/${n - 1}` }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    r.on('error', reject);
    r.end('changed');
  });
  const woken = await parked[n - 1]!;
  const wakeMs = performance.now() - t0;
  // Only answers within this window count as woken by the write (a 120 s wait never ends in it).
  await new Promise((r) => setTimeout(r, 1000));
  console.log(
    `blocking: ${parkedAtWrite} of ${n} queries parked on their own keys when the write went out` +
      `${failedAtWrite > 0 || wokeBefore > 0 ? ` (${failedAtWrite} failed, ${wokeBefore} answered early: NOT a clean run)` : ''}; ` +
      `one write woke ${woke - wokeBefore} of them within 1 s, ` +
      `answered ${wakeMs.toFixed(1)} ms after the write was sent (status ${woken.status}, first index ${first.index}); ` +
      `agent RSS ${rssBefore.toFixed(0)} MB idle, ${rssParked.toFixed(0)} MB with ${parkedAtWrite} parked`,
  );
  tornDown = true;
  agent.destroy();
}

/**
 * The floor the read target is set against: a bare node:http server in its own process
 * answering a small JSON body, under the same wrk load (64 connections). Measured in the same
 * run because this machine kind's speed varies from day to day.
 */
async function rawHttpFloor(): Promise<LoadResult | undefined> {
  if (!WRK) return undefined;
  const code =
    "const s=require('node:http').createServer((q,r)=>{r.setHeader('Content-Type','application/json');r.end('[{\"Key\":\"k\"}]')});" +
    "s.listen(0,'127.0.0.1',()=>console.log(s.address().port))";
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      proc.once('exit', () => reject(new Error('raw HTTP server exited')));
    });
    return await wrk(`http://127.0.0.1:${port}/`, { connections: 64, seconds: SECONDS });
  } finally {
    proc.kill('SIGKILL');
  }
}

async function etcdWrites(): Promise<number | undefined> {
  const bin = ['/usr/bin/etcd', '/usr/local/bin/etcd'].find((p) => existsSync(p));
  if (!bin) {
    console.log('etcd: not installed (apt-get install etcd-server) — ratio not measured');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'etcd-bench-'));
  const client = await freePort();
  const peer = await freePort();
  const proc = spawn(
    bin,
    [
      '--data-dir', dir,
      '--listen-client-urls', `http://127.0.0.1:${client}`,
      '--advertise-client-urls', `http://127.0.0.1:${client}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `default=http://127.0.0.1:${peer}`,
    ],
    { stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await get(new http.Agent(), client, '/health').then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const keys = Array.from({ length: 10000 }, (_, i) => `"${Buffer.from(`bench/${i}`).toString('base64')}"`);
    const r = WRK
      ? await wrk(`http://127.0.0.1:${client}/v3/kv/put`, {
          connections: 64,
          seconds: SECONDS,
          lua: requestScript(
            'POST',
            '"/v3/kv/put"',
            `'{"key":"' .. keys[(n % 10000) + 1] .. '","value":"${VALUE.toString('base64')}"}'`,
            `local keys = { ${keys.join(',')} }`,
          ),
        })
      : await closedLoop({
          host: '127.0.0.1',
          port: client,
          concurrency: 64,
          seconds: SECONDS,
          request: (i) => ({
            method: 'POST',
            path: '/v3/kv/put',
            body: Buffer.from(JSON.stringify({ key: Buffer.from(`bench/${i % 10000}`).toString('base64'), value: VALUE.toString('base64') })),
          }),
        });
    console.log(`etcd 3.4 writes, 64 clients: ${r.perSecond.toFixed(0)}/s (p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors})`);
    return r.perSecond;
  } finally {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`load generator: ${WRK ? 'wrk (Debian), 64 connections' : 'node closed loop, 64 clients (install wrk for server-bound numbers)'}; ${SECONDS} s per phase`);
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bench-'));
  writeFileSync(join(dir, 'limits.json'), JSON.stringify({ limits: { http_max_conns_per_client: 20000 } }));
  const agent = await startAgent(['-dev', '-data-dir', join(dir, 'data'), '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-log-level', 'warn', '-config-file', join(dir, 'limits.json')]);
  const port = Number(new URL(agent.httpAddr).port);
  try {
    const writes: LoadResult = WRK
      ? await wrk(`${agent.httpAddr}/`, {
          connections: 64,
          seconds: SECONDS,
          lua: requestScript('PUT', '"/v1/kv/bench/" .. (n % 10000)', `string.rep("v", 240) .. string.format("%016d", n)`),
        })
      : await closedLoop({
          host: '127.0.0.1',
          port,
          concurrency: 64,
          seconds: SECONDS,
          request: (i) => ({ method: 'PUT', path: `/v1/kv/bench/${i % 10000}`, body: Buffer.concat([VALUE.subarray(0, 240), Buffer.from(String(i).padStart(16, '0'))]) }),
        });
    console.log(`sextant writes, 64 clients: ${writes.perSecond.toFixed(0)}/s (p50 ${writes.p50Ms.toFixed(2)} ms, p99 ${writes.p99Ms.toFixed(2)} ms, errors ${writes.errors})`);
    const sequential = (seconds: number): Promise<LoadResult> =>
      closedLoop({
        host: '127.0.0.1',
        port,
        concurrency: 1,
        seconds,
        request: (i) => ({ method: 'PUT', path: `/v1/kv/seq/${i % 1000}`, body: Buffer.concat([VALUE.subarray(0, 240), Buffer.from(String(i).padStart(16, '0'))]) }),
      });
    // The agent is warm from wrk's writes; this process's own HTTP client is not: one untimed
    // second first so the figure is the agent's latency, not the client's JIT warm-up.
    await sequential(1);
    const seq = await sequential(Math.min(5, SECONDS));
    console.log(`sextant sequential writes, 1 client: ${seq.perSecond.toFixed(0)}/s (p50 ${seq.p50Ms.toFixed(3)} ms, p99 ${seq.p99Ms.toFixed(3)} ms)`);
    const reads: LoadResult = WRK
      ? await wrk(`${agent.httpAddr}/`, { connections: 64, seconds: SECONDS, lua: requestScript('GET', '"/v1/kv/bench/" .. (n % 10000)', 'nil') })
      : await closedLoop({
          host: '127.0.0.1',
          port,
          concurrency: 64,
          seconds: SECONDS,
          request: (i) => ({ method: 'GET', path: `/v1/kv/bench/${i % 10000}` }),
        });
    console.log(`sextant reads (default consistency), 64 clients: ${reads.perSecond.toFixed(0)}/s (p50 ${reads.p50Ms.toFixed(2)} ms, p99 ${reads.p99Ms.toFixed(2)} ms, errors ${reads.errors})`);
    const floor = await rawHttpFloor();
    if (floor) {
      console.log(
        `raw node:http floor, 64 clients: ${floor.perSecond.toFixed(0)}/s → sextant reads are ${((100 * reads.perSecond) / floor.perSecond).toFixed(0)}% of it (target: half)`,
      );
    }
    await blockingQueries(port, agent.proc.pid!, Number(process.env.BENCH_WATCHERS ?? 10000));
    await agent.stop();
    const etcd = await etcdWrites();
    if (etcd) console.log(`ratio sextant/etcd writes: ${(writes.perSecond / etcd).toFixed(2)}`);
    // Writes/s as the store grows (1k, 100k, 500k keys) on a fresh agent; BENCH_SIZES=0 skips it.
    if (process.env.BENCH_SIZES !== '0') await writesBySize();
  } finally {
    if (agent.proc.exitCode === null) await agent.kill9();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
