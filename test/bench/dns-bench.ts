/**
 * DNS benchmark (`npm run bench:dns`; needs the build: `npm run build`): a real dev agent with
 * 10 healthy instances of `web`, loaded over UDP with `web.service.consul A` for BENCH_SECONDS
 * (default 60) by dnsperf (Debian package) when installed, else by a Node load generator.
 * Prints queries/s, the p50/p99 latency of a 500/s probe sent alongside the load, and the agent's
 * RSS every 5 s (memory must stay flat). A short EDNS run (all 10 answers) follows, then the
 * same load against a bare dns-packet server: the floor the target is half of.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { startAgent } from '../support/agent-process.js';

const require = createRequire(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const DNSPERF = ['/usr/bin/dnsperf', '/usr/local/bin/dnsperf'].find((p) => existsSync(p));
const QUESTION = { name: 'web.service.consul', type: 'A' as const };

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

interface LoadResult {
  qps: number;
  /** dnsperf: queries lost; the Node generator: queries unanswered when it stopped (lost or still in flight). */
  lost: number;
  avgMs: number;
}

/** dnsperf for `seconds` with 2 clients and 500 outstanding queries. */
function dnsperf(port: number, file: string, seconds: number, edns: boolean): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-c', '2', '-q', '500', ...(edns ? ['-e'] : [])];
    const p = spawn(DNSPERF!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', () => {
      const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
      resolve({ qps: num(/Queries per second:\s+([\d.]+)/), lost: num(/Queries lost:\s+(\d+)/), avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000 });
    });
  });
}

/** A Node closed-loop UDP generator: `outstanding` queries in flight on 4 sockets. */
async function nodeLoad(port: number, seconds: number, edns: boolean, outstanding = 256): Promise<LoadResult> {
  const query = (id: number): Buffer =>
    dnsPacket.encode({ type: 'query', id, questions: [QUESTION], additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0, options: [] } as unknown as dnsPacket.Answer] : [] });
  const sockets = Array.from({ length: 4 }, () => createSocket('udp4'));
  let done = 0;
  let sentCount = 0;
  let stop = false;
  let totalMs = 0;
  const sent = new Map<number, number>();
  let nextId = 0;
  const send = (s: ReturnType<typeof createSocket>): void => {
    const id = nextId++ & 0xffff;
    sent.set(id, performance.now());
    sentCount++;
    s.send(query(id), port, '127.0.0.1');
  };
  for (const s of sockets) {
    s.on('message', (m) => {
      const t = sent.get(m.readUInt16BE(0));
      if (t !== undefined) totalMs += performance.now() - t;
      done++;
      if (!stop) send(s);
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < outstanding / sockets.length; i++) send(s);
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  const qps = done / seconds;
  for (const s of sockets) s.close();
  // A closed loop never re-sends a lost query, so every loss shows up here (with at most `outstanding` still in flight).
  return { qps, lost: sentCount - done, avgMs: totalMs / Math.max(1, done) };
}

/** Sends one query every 2 ms alongside the load and records each round trip (ms). */
function probe(port: number): { stop: () => number[] } {
  const sock = createSocket('udp4');
  const rtts: number[] = [];
  const sentAt = new Map<number, number>();
  let id = 0;
  sock.on('message', (m) => {
    const t = sentAt.get(m.readUInt16BE(0));
    if (t !== undefined) rtts.push(performance.now() - t);
  });
  const timer = setInterval(() => {
    id = (id + 1) & 0xffff;
    sentAt.set(id, performance.now());
    sock.send(dnsPacket.encode({ type: 'query', id, questions: [QUESTION] }), port, '127.0.0.1');
  }, 2);
  return {
    stop: () => {
      clearInterval(timer);
      sock.close();
      return rtts.sort((a, b) => a - b);
    },
  };
}

/**
 * The floor the 50,000/s target is set against (half of it): a bare dns-packet server in its own
 * process that decodes each query and answers three fixed A records, under the same dnsperf
 * load. Measured in the same run because this machine kind's speed varies from day to day.
 */
async function bareFloor(file: string, seconds: number): Promise<LoadResult | undefined> {
  if (!DNSPERF) return undefined;
  const code = `
    const dgram = require('node:dgram'); const p = require(${JSON.stringify(require.resolve('dns-packet'))});
    const s = dgram.createSocket('udp4');
    s.on('message', (m, r) => { let q; try { q = p.decode(m); } catch { return; }
      const answers = [1, 2, 3].map((i) => ({ name: q.questions[0].name, type: 'A', ttl: 0, data: '10.0.0.' + i }));
      s.send(p.encode({ id: q.id, type: 'response', flags: p.AUTHORITATIVE_ANSWER, questions: q.questions, answers }), r.port, r.address); });
    s.bind(0, '127.0.0.1', () => console.log(s.address().port));`;
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      proc.once('exit', () => reject(new Error('bare DNS server exited')));
    });
    return await dnsperf(port, file, seconds, false);
  } finally {
    proc.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-dns-bench-'));
  const agent = await startAgent(['-dev', '-http-port', '0', '-dns-port', '0', '-server-port', '0', '-log-level', 'warn']);
  try {
    const port = Number(/DNS: (\d+)\)/.exec(agent.output())![1]);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${agent.httpAddr}/v1/catalog/register`, {
        method: 'PUT',
        body: JSON.stringify({ Node: `web-${i}`, Address: `10.0.0.${i + 1}`, Service: { Service: 'web', Port: 8080 }, Check: { Name: 'web alive', ServiceID: 'web', Status: 'passing' } }),
      });
      if (res.status !== 200) throw new Error(`register failed: ${res.status}`);
    }
    const file = join(dir, 'queries.txt');
    writeFileSync(file, `${QUESTION.name} ${QUESTION.type}\n`);
    const pid = agent.proc.pid!;
    console.log(`load generator: ${DNSPERF ? 'dnsperf 2 clients, 500 outstanding' : 'node closed loop, 256 outstanding (install dnsperf for server-bound numbers)'}; ${SECONDS} s; web.service.consul A, 10 healthy instances, no EDNS (3 answers, udp_answer_limit)`);
    const rss: number[] = [rssMb(pid)];
    const sampler = setInterval(() => rss.push(rssMb(pid)), 5000);
    const latency = probe(port);
    const main = DNSPERF ? await dnsperf(port, file, SECONDS, false) : await nodeLoad(port, SECONDS, false);
    const rtts = latency.stop();
    clearInterval(sampler);
    rss.push(rssMb(pid));
    console.log(`UDP A: ${main.qps.toFixed(0)} queries/s (lost ${main.lost}, load generator's mean latency ${main.avgMs.toFixed(2)} ms)`);
    console.log(`probe latency under that load (${rtts.length} probes): p50 ${percentile(rtts, 0.5).toFixed(3)} ms, p99 ${percentile(rtts, 0.99).toFixed(3)} ms, max ${rtts[rtts.length - 1]?.toFixed(3)} ms`);
    console.log(`agent RSS every 5 s (MB): ${rss.map((m) => m.toFixed(0)).join(' ')} (first ${rss[0]!.toFixed(0)}, max ${Math.max(...rss).toFixed(0)}, last ${rss[rss.length - 1]!.toFixed(0)})`);
    // "Flat" means no upward trend once warmed up: compare the mean of the middle third with the last third.
    const third = Math.floor(rss.length / 3);
    if (third > 0) {
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const middle = mean(rss.slice(third, 2 * third));
      const last = mean(rss.slice(2 * third));
      console.log(`RSS trend: middle third ${middle.toFixed(0)} MB, last third ${last.toFixed(0)} MB (${last >= middle ? '+' : ''}${(last - middle).toFixed(0)} MB)`);
    }
    const ednsSeconds = Math.min(10, SECONDS);
    const edns = DNSPERF ? await dnsperf(port, file, ednsSeconds, true) : await nodeLoad(port, ednsSeconds, true);
    console.log(`UDP A with EDNS (all 10 answers), ${ednsSeconds} s: ${edns.qps.toFixed(0)} queries/s (mean latency ${edns.avgMs.toFixed(2)} ms)`);
    const floor = await bareFloor(file, ednsSeconds);
    if (floor) {
      console.log(
        `bare dns-packet decode-and-answer floor, ${ednsSeconds} s: ${floor.qps.toFixed(0)} queries/s → the agent's UDP A rate is ${((100 * main.qps) / floor.qps).toFixed(0)}% of it (target: half)`,
      );
    }
  } finally {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
