// Gossip pool benchmark: 16 members on 127.0.0.1 (ephemeral ports), Consul's LAN timings (serf's
// `lan` profile: gossip 200 ms, probe 1 s / 500 ms, suspicion mult 4, retransmit mult 4, push/pull
// 30 s), for a pool of HashiCorp `serf agent` processes (Debian's serf) and a pool of Sextant
// members (test/bench/gossip-member.ts, one process each). Measures, the same way for both:
//   - kill -9 of a member → every other member has reported it failed (serf's log line
//     "EventMemberFailed: <name>", Sextant's onLeave event line), as the bench reads their stdout;
//   - a new member's join command → every member has reported it joined (serf: `serf join` via
//     RPC; Sextant: a "join" command on stdin);
//   - gossip bytes written per member per second at idle: serf's own memberlist counters
//     (memberlist.udp.sent + memberlist.tcp.sent, dumped by the agent's in-memory metrics sink on
//     SIGUSR1, 10 s intervals), Sextant's count of bytes handed to its UDP and TCP transports —
//     both count the memberlist payload (after compression and encryption), not IP/UDP headers;
//   - idle CPU of one member from /proc/<pid>/stat (utime + stime) over GOSSIP_BENCH_IDLE_S (30).
//   npm run bench:gossip      (GOSSIP_BENCH_MEMBERS=16, GOSSIP_BENCH_IDLE_S=30, GOSSIP_BENCH_POOLS=serf,sextant)
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { freePort } from '../support/free-port.js';
import { SERF } from '../support/serf-process.js';

const N = Number(process.env.GOSSIP_BENCH_MEMBERS ?? 16);
const IDLE_S = Number(process.env.GOSSIP_BENCH_IDLE_S ?? 30);
const POOLS = (process.env.GOSSIP_BENCH_POOLS ?? 'serf,sextant').split(',');
const TRIALS = Number(process.env.GOSSIP_BENCH_TRIALS ?? 3);
const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // clock ticks per second for /proc/<pid>/stat

interface Proc {
  name: string;
  port: number;
  proc: ChildProcess;
  /** Names this member reported joined / failed (first report time). */
  joined: Map<string, number>;
  failed: Map<string, number>;
  lines: string[];
  stats?: (s: { udpSent: number; tcpSent: number }) => void;
  rpc?: string;
}

interface Pool {
  kind: 'serf' | 'sextant';
  members: Proc[];
  start(name: string, join?: string): Promise<Proc>;
  join(p: Proc, address: string): Promise<void>;
  /** Bytes this member has written so far, or per-interval figures. */
  bytesPerSecond(p: Proc, fromMs: number, toMs: number): Promise<number>;
}

async function until(what: string, f: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

function serfPool(): Pool {
  const members: Proc[] = [];
  const metricDumps = new Map<Proc, string>();
  return {
    kind: 'serf',
    members,
    async start(name, join) {
      const port = await freePort();
      const rpc = `127.0.0.1:${await freePort()}`;
      const args = ['agent', `-node=${name}`, `-bind=127.0.0.1:${port}`, `-rpc-addr=${rpc}`, '-log-level=info'];
      if (join) args.push(`-join=${join}`);
      const proc = spawn(SERF, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const p: Proc = { name, port, proc, joined: new Map(), failed: new Map(), lines: [], rpc };
      const onLine = (line: string): void => {
        const now = Date.now();
        let m = /EventMemberJoin: (\S+)/.exec(line);
        if (m && !p.joined.has(m[1]!)) p.joined.set(m[1]!, now);
        m = /EventMemberFailed: (\S+)/.exec(line);
        if (m && !p.failed.has(m[1]!)) p.failed.set(m[1]!, now);
        if (line.includes('memberlist.')) metricDumps.set(p, (metricDumps.get(p) ?? '') + line + '\n');
        if (p.lines.length < 200) p.lines.push(line);
      };
      createInterface({ input: proc.stdout! }).on('line', onLine);
      createInterface({ input: proc.stderr! }).on('line', onLine);
      await until(`${name} to start`, () => p.lines.some((l) => l.includes('Serf agent running')), 15_000);
      members.push(p);
      return p;
    },
    async join(p, address) {
      await run(SERF, ['join', `-rpc-addr=${p.rpc}`, address]);
    },
    async bytesPerSecond(p, fromMs, toMs) {
      // go-metrics' in-memory sink: SIGUSR1 dumps every retained 10 s interval to stderr.
      metricDumps.delete(p);
      p.proc.kill('SIGUSR1');
      await sleep(500);
      const dump = metricDumps.get(p) ?? '';
      let bytes = 0;
      let intervals = 0;
      const seen = new Set<string>();
      for (const line of dump.split('\n')) {
        const m = /^\[([^\]]+)\]\[C\] '[^']*memberlist\.(udp|tcp)\.sent': .*Sum: ([\d.]+)/.exec(line);
        if (!m) continue;
        const start = Date.parse(m[1]!.replace(/ \+0000 UTC$/, 'Z').replace(' ', 'T'));
        // Whole intervals inside the idle window only.
        if (!(start >= fromMs && start + 10_000 <= toMs)) continue;
        bytes += Number(m[3]);
        if (!seen.has(m[1]!)) {
          seen.add(m[1]!);
          intervals++;
        }
      }
      if (intervals === 0) throw new Error(`no complete metrics interval for ${p.name} in the idle window:\n${dump}`);
      return bytes / (intervals * 10);
    },
  };
}

function sextantPool(): Pool {
  const members: Proc[] = [];
  return {
    kind: 'sextant',
    members,
    async start(name, join) {
      const port = await freePort();
      const args = ['--import', 'tsx', 'test/bench/gossip-member.ts', name, String(port)];
      if (join) args.push(join);
      const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const p: Proc = { name, port, proc, joined: new Map(), failed: new Map(), lines: [] };
      let ready = false;
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        const now = Date.now();
        let ev: { ev: string; node?: string; udpSent?: number; tcpSent?: number };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          return;
        }
        if (ev.ev === 'ready') ready = true;
        if (ev.ev === 'join' && ev.node && !p.joined.has(ev.node)) p.joined.set(ev.node, now);
        if (ev.ev === 'leave' && ev.node && !p.failed.has(ev.node)) p.failed.set(ev.node, now);
        if (ev.ev === 'stats') p.stats?.({ udpSent: ev.udpSent ?? 0, tcpSent: ev.tcpSent ?? 0 });
      });
      createInterface({ input: proc.stderr! }).on('line', (l) => p.lines.length < 200 && p.lines.push(l));
      await until(`${name} to start`, () => ready, 60_000);
      members.push(p);
      return p;
    },
    async join(p, address) {
      p.proc.stdin!.write(`join ${address}\n`);
    },
    async bytesPerSecond() {
      throw new Error('sextant bytes are sampled around the idle window');
    },
  };
}

async function sextantBytes(p: Proc): Promise<number> {
  const got = new Promise<{ udpSent: number; tcpSent: number }>((r) => (p.stats = r));
  p.proc.stdin!.write('stats\n');
  const s = await got;
  return s.udpSent + s.tcpSent;
}

interface Result {
  kind: string;
  killMs: number[];
  joinMs: number[];
  bytesPerSec: number;
  cpuPct: number;
}

async function measure(pool: Pool): Promise<Result> {
  console.log(`[${pool.kind}] starting ${N} members`);
  const seed = await pool.start(`${pool.kind}-0`);
  const seedAddr = `127.0.0.1:${seed.port}`;
  await Promise.all(Array.from({ length: N - 1 }, (_, i) => pool.start(`${pool.kind}-${i + 1}`, seedAddr)));
  const names = pool.members.map((m) => m.name);
  await until('every member to know every member', () => pool.members.every((m) => names.every((n) => m.joined.has(n))), 60_000);
  console.log(`[${pool.kind}] converged; settling 15 s`);
  await sleep(15_000);

  // Idle: bytes over the window (all members), CPU of one member.
  const probe = pool.members[3]!;
  const t0 = Date.now();
  const cpu0 = cpuSeconds(probe.proc.pid!);
  const before = pool.kind === 'sextant' ? await Promise.all(pool.members.map(sextantBytes)) : [];
  await sleep(Math.max(IDLE_S, pool.kind === 'serf' ? 30 : 0) * 1000);
  const cpu1 = cpuSeconds(probe.proc.pid!);
  const t1 = Date.now();
  let bytesPerSec: number;
  if (pool.kind === 'sextant') {
    const after = await Promise.all(pool.members.map(sextantBytes));
    bytesPerSec = after.reduce((a, b, i) => a + b - before[i]!, 0) / pool.members.length / ((t1 - t0) / 1000);
  } else {
    const per = await Promise.all(pool.members.map((m) => pool.bytesPerSecond(m, t0, t1)));
    bytesPerSec = per.reduce((a, b) => a + b, 0) / per.length;
  }
  const cpuPct = ((cpu1 - cpu0) / ((t1 - t0) / 1000)) * 100;
  console.log(`[${pool.kind}] idle: ${bytesPerSec.toFixed(0)} B/s per member, member ${probe.name} CPU ${cpuPct.toFixed(2)}%`);

  // TRIALS times: kill -9 of a member until every other member reports it failed, then a new
  // member joins through the seed until every member reports it (the pool stays at N).
  const killMs: number[] = [];
  const joinMs: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const live = pool.members.filter((m) => m.proc.exitCode === null && m.proc.signalCode === null);
    const victim = live[live.length - 1]!;
    const others = live.filter((m) => m !== victim);
    const k0 = Date.now();
    victim.proc.kill('SIGKILL');
    await until(`every member to report ${victim.name} failed`, () => others.every((o) => o.failed.has(victim.name)), 90_000);
    killMs.push(Math.max(...others.map((o) => o.failed.get(victim.name)!)) - k0);
    console.log(`[${pool.kind}] kill -9 → failed everywhere: ${killMs.at(-1)} ms`);
    await sleep(3000);

    const joiner = await pool.start(`${pool.kind}-new${trial}`);
    await sleep(1000);
    const j0 = Date.now();
    await pool.join(joiner, seedAddr);
    await until(`every member to report ${joiner.name} joined`, () => others.every((o) => o.joined.has(joiner.name)), 60_000);
    joinMs.push(Math.max(...others.map((o) => o.joined.get(joiner.name)!)) - j0);
    console.log(`[${pool.kind}] join → known everywhere: ${joinMs.at(-1)} ms`);
    await sleep(3000);
  }

  for (const m of pool.members) if (m.proc.exitCode === null) m.proc.kill('SIGKILL');
  return { kind: pool.kind, killMs, joinMs, bytesPerSec, cpuPct };
}

const results: Result[] = [];
for (const kind of POOLS) {
  if (kind === 'serf' && !existsSync(SERF)) {
    console.log('serf pool skipped: /usr/bin/serf is absent (apt-get install serf)');
    continue;
  }
  const pool = kind === 'serf' ? serfPool() : sextantPool();
  try {
    results.push(await measure(pool));
  } finally {
    for (const m of pool.members) if (m.proc.exitCode === null) m.proc.kill('SIGKILL');
  }
}
console.log(`\ngossip bench: ${N} members on 127.0.0.1, LAN timings, idle window ${IDLE_S} s`);
console.log(`| pool | kill -9 → failed at every member, median (${TRIALS} trials) | join → known by every member, median | gossip bytes / member / s (idle) | idle CPU of one member |`);
console.log('|---|---|---|---|---|');
const fmt = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${(s[Math.floor(s.length / 2)]! / 1000).toFixed(2)} s (${s.map((x) => (x / 1000).toFixed(2)).join(', ')})`;
};
for (const r of results) console.log(`| ${r.kind} | ${fmt(r.killMs)} | ${fmt(r.joinMs)} | ${r.bytesPerSec.toFixed(0)} | ${r.cpuPct.toFixed(2)}% of a core |`);
process.exit(0);
