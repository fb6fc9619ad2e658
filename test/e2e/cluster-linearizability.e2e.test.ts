import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RPC_HOLD_TIMEOUT_MS } from '../../src/rpc/rpc-router.js';
import { kvModel } from '../../src/testing/linearizability/kv-model.js';
import { checkLinearizable } from '../../src/testing/linearizability/linearizability-checker.js';
import { REPO_ROOT, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';
import { getJson } from '../support/agent-http.js';
import { saveKvHistory } from '../support/kv-history-file.js';
import { KvHttpRecorder, type RecordedKvOp, type ReadValue } from '../support/kv-http-recorder.js';
import { eventually } from '../support/socket-test-helpers.js';

/**
 * Issue 14, "proof under faults": 3 real `-server -bootstrap-expect=3` agents and 2 client
 * agents on 127.0.22.x; concurrent workers put, cas (?cas=<ModifyIndex>) and get (default and
 * ?consistent) a few keys through all five agents while a fault schedule kill -9s the leader
 * and restarts it on its data dir, SIGSTOPs a follower for a few seconds, and restarts a
 * client, round after round. Every operation is recorded with monotonic call/return times; a
 * write whose answer is lost has an unknown outcome, a lost read is dropped. After healing, a
 * ?consistent read of every key through every agent ends the history, which must be
 * linearizable (so no acknowledged write was lost); writes must be acknowledged again within
 * rpc_hold_timeout + an election after every fault.
 *
 * A failing history is written to test-artifacts/ (path printed); re-check it with
 * `npx tsx test/support/replay-kv-history.ts <file>`. SEXTANT_LINZ_LOAD_MS sets the load time,
 * SEXTANT_LINZ_SEED the workers' seed; SEXTANT_LINZ_PAUSE_LEADER=1 SIGSTOPs the leader instead of
 * a follower (an exploration: Consul's default mode may then serve a stale read from the old
 * leader, which Consul documents; ?consistent reads and writes must stay linearizable).
 */

const SERVER_IPS = ['127.0.22.1', '127.0.22.2', '127.0.22.3'] as const;
const CLIENT_IPS = ['127.0.22.11', '127.0.22.12'] as const;
const KEYS = ['linz/a', 'linz/b', 'linz/c'] as const;
const WORKERS = 8;
/** Faults are injected until this much load time has passed (the fault in progress finishes; each kind at least once). */
const LOAD_MS = Number(process.env.SEXTANT_LINZ_LOAD_MS ?? 60_000);
const SEED = Number(process.env.SEXTANT_LINZ_SEED ?? Date.now() % 1_000_000);
/** A request's answer is lost after this long (longer than rpc_hold_timeout plus a SIGSTOP). */
const OP_TIMEOUT_MS = 12_000;
/** How long a follower stays SIGSTOPped. */
const PAUSE_MS = 3_000;
/** Writes must be acknowledged again within rpc_hold_timeout plus this (an election with raft_multiplier 1, on a busy machine). */
const ELECTION_BOUND_MS = 8_000;
const AVAILABILITY_BOUND_MS = RPC_HOLD_TIMEOUT_MS + ELECTION_BOUND_MS;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator (mulberry32), so a run's choices replay from SEXTANT_LINZ_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One agent of the cluster: its fixed address and, once started, its ports (kept across restarts). */
interface Node {
  readonly name: string;
  readonly ip: string;
  readonly server: boolean;
  readonly dataDir: string;
  ports?: { http: number; serf: number; server?: number };
  agent?: AgentProcess;
  /** `http://ip:port`, fixed after the first start. */
  url: string;
  /** Every incarnation's output, for a failure report. */
  logs: string[];
}

interface Member {
  Name: string;
  Port: number;
  Tags: Record<string, string>;
}

describe('linearizable KV through servers and clients under kill -9, SIGSTOP and restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-linz-'));
  const nodes: Node[] = [
    ...SERVER_IPS.map((ip, i) => ({ name: `s${i + 1}`, ip, server: true, dataDir: join(dir, `s${i + 1}`), url: '', logs: [] })),
    ...CLIENT_IPS.map((ip, i) => ({ name: `c${i + 1}`, ip, server: false, dataDir: join(dir, `c${i + 1}`), url: '', logs: [] })),
  ];
  const servers = nodes.filter((n) => n.server);
  const clients = nodes.filter((n) => !n.server);
  afterAll(async () => {
    for (const n of nodes) {
      const p = n.agent?.proc;
      if (p && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGCONT');
        await n.agent!.kill9();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const perf = join(dir, 'perf.json');
  writeFileSync(perf, JSON.stringify({ performance: { raft_multiplier: 1 } }));

  const alive = (n: Node): boolean => {
    const p = n.agent?.proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  };

  /** Starts (or restarts, on the same data dir and ports) `n`, retry-joining the serf address of every other server it knows. */
  const start = async (n: Node): Promise<void> => {
    const joins = servers.filter((s) => s !== n && s.ports).flatMap((s) => ['-retry-join', `${s.ip}:${s.ports!.serf}`]);
    const args = [
      '-node', n.name, '-bind', n.ip, '-client', n.ip, '-data-dir', n.dataDir,
      '-http-port', String(n.ports?.http ?? 0), '-serf-lan-port', String(n.ports?.serf ?? 0), '-dns-port', '-1',
      '-log-level', 'info', '-config-file', perf, '-retry-interval', '1s', ...joins,
      ...(n.server ? ['-server', '-bootstrap-expect', '3', '-server-port', String(n.ports?.server ?? 0)] : []),
    ];
    if (n.agent) n.logs.push(n.agent.output());
    n.agent = await startAgent(args, { timeoutMs: 60_000 }).catch((e: unknown) => {
      throw new Error(`${n.name} (${n.agent ? 'restart' : 'first start'}): ${(e as Error).message}`);
    });
    if (!n.ports) {
      const self = (await getJson<Member[]>(n.agent, '/v1/agent/members')).find((m) => m.Name === n.name)!;
      n.ports = { http: Number(new URL(n.agent.httpAddr).port), serf: self.Port, ...(n.server ? { server: Number(self.Tags['port']) } : {}) };
      n.url = n.agent.httpAddr;
    }
    expect(n.agent.httpAddr).toBe(n.url);
  };

  const statusLeader = async (n: Node): Promise<string> => {
    const res = await fetch(`${n.url}/v1/status/leader`, { signal: AbortSignal.timeout(3_000) });
    if (res.status !== 200) throw new Error(`${n.name}: /v1/status/leader ${res.status}`);
    return (await res.json()) as string;
  };

  /** The server every live server names as leader. */
  const currentLeader = async (): Promise<Node> => {
    let leader: Node | undefined;
    await eventually('one leader named by every live server', async () => {
      const named = await Promise.all(servers.filter(alive).map(statusLeader));
      leader = servers.find((s) => named[0] !== '' && named[0]!.startsWith(`${s.ip}:`) && alive(s));
      return leader !== undefined && named.every((l) => l === named[0]);
    }, 30_000, 100);
    return leader!;
  };

  it('checks the whole history and every acknowledged write survives', async () => {
    // --- the cluster: s1, then s2 and s3 retry-joining it; the clients retry-join all three.
    await start(servers[0]!);
    await Promise.all([start(servers[1]!), start(servers[2]!)]);
    await Promise.all(clients.map(start));
    await currentLeader();
    await eventually('every agent takes a write and knows the 3 voters', async () => {
      for (const n of nodes) {
        const res = await fetch(`${n.url}/v1/kv/linz/ready`, { method: 'PUT', body: n.name, signal: AbortSignal.timeout(10_000) });
        if (res.status !== 200) return false;
        if ((await getJson<string[]>(n.agent!, '/v1/status/peers')).length !== 3) return false;
      }
      return true;
    }, 60_000, 200);

    // --- the load: WORKERS workers, each one request at a time through a random agent.
    const rec = new KvHttpRecorder(OP_TIMEOUT_MS);
    let stopping = false;
    const loadStart = performance.now();
    const worker = async (w: number): Promise<void> => {
      const rand = rng(SEED * 31 + w);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      let generation = 0;
      const clientId = (): number => w * 10_000 + generation;
      const lastRead = new Map<string, ReadValue>();
      for (let n = 0; !stopping; n++) {
        const node = pick(nodes);
        const to = { name: node.name, url: node.url };
        const key = pick(KEYS);
        const r = rand();
        let outcome: 'done' | 'unknown' | 'refused';
        if (r < 0.45) {
          const got = await rec.get(clientId(), to, key, rand() < 0.5 ? 'default' : 'consistent');
          outcome = got.outcome;
          if (got.read) lastRead.set(key, got.read);
        } else if (r < 0.7 || !lastRead.has(key)) {
          outcome = (await rec.put(clientId(), to, key, `w${w}.${n}`)).outcome;
        } else {
          outcome = (await rec.cas(clientId(), to, key, lastRead.get(key)!, `w${w}.${n}`)).outcome;
          lastRead.delete(key);
        }
        // A client whose answer was lost may still see it take effect later: later operations
        // come from a new client id (one client runs one operation at a time).
        if (outcome === 'unknown') generation++;
        // A stopped agent refuses at once; do not spin on it.
        if (outcome === 'refused') await sleep(100);
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

    // --- the fault schedule, round after round until LOAD_MS has passed.
    const faults = { killLeader: 0, pauseFollower: 0, restartClient: 0 };
    const recoveries: { fault: string; ms: number }[] = [];
    /** Waits until a write invoked after `t0` (through `via`, if given) is acknowledged; records how long after `t0` it was. */
    const writesAgain = async (fault: string, t0: number, via?: Node): Promise<void> => {
      let ms = Infinity;
      await eventually(`a write acknowledged after ${fault}`, async () => {
        for (const o of rec.ops) {
          if (o.call >= t0 && o.input.op !== 'get' && o.output !== undefined && (!via || o.agent === via.name)) ms = Math.min(ms, o.return - t0);
        }
        return ms < Infinity;
      }, 60_000, 100);
      recoveries.push({ fault, ms: Math.round(ms) });
    };
    const faultLog: string[] = [];
    /** kill -9 the leader; writes resume through the others; restart it on its data dir. */
    const killLeader = async (): Promise<void> => {
      const leader = await currentLeader();
      const tKill = performance.now();
      await leader.agent!.kill9();
      faults.killLeader++;
      faultLog.push(`${Math.round(tKill - loadStart)} ms: kill -9 leader ${leader.name}`);
      await writesAgain(`kill -9 of leader ${leader.name}`, tKill);
      await start(leader);
      faultLog.push(`  ${leader.name} listening again after ${Math.round(performance.now() - tKill)} ms`);
      await eventually(`${leader.name} back with a leader`, async () => (await statusLeader(leader)) !== '', 30_000, 100);
      await writesAgain(`restart of ${leader.name}`, performance.now(), leader);
    };
    /** SIGSTOP a follower (the leader with SEXTANT_LINZ_PAUSE_LEADER=1) for PAUSE_MS, then SIGCONT. */
    const pauseFollower = async (): Promise<void> => {
      const leader = await currentLeader();
      const paused = process.env.SEXTANT_LINZ_PAUSE_LEADER === '1' ? leader : servers.find((s) => s !== leader)!;
      const tStop = performance.now();
      paused.agent!.proc.kill('SIGSTOP');
      faults.pauseFollower++;
      faultLog.push(`${Math.round(tStop - loadStart)} ms: SIGSTOP ${paused.name} (leader ${leader.name}) for ${PAUSE_MS} ms`);
      await sleep(PAUSE_MS); // the fault's own length, not a wait for a condition
      paused.agent!.proc.kill('SIGCONT');
      await writesAgain(`SIGSTOP of ${paused.name}`, tStop);
      await writesAgain(`SIGCONT of ${paused.name}`, performance.now(), paused);
    };
    /** Restart a client (kill -9, or SIGTERM every other time) on its data dir and ports. */
    const restartClient = async (): Promise<void> => {
      const nth = faults.restartClient++;
      const client = clients[nth % clients.length]!;
      const how = nth % 2 === 0 ? 'kill -9' : 'SIGTERM';
      const tClient = performance.now();
      if (how === 'kill -9') await client.agent!.kill9();
      else await client.agent!.stop();
      faultLog.push(`${Math.round(tClient - loadStart)} ms: ${how} and restart client ${client.name}`);
      await start(client);
      // Measured from the moment its HTTP API is back: until then (under SIGTERM) the old
      // process may still answer, and the start itself is not the cluster's doing.
      faultLog.push(`  ${client.name} listening again after ${Math.round(performance.now() - tClient)} ms`);
      await writesAgain(`restart of client ${client.name}`, performance.now(), client);
    };
    // The schedule: every fault at least once, then round after round until LOAD_MS has passed.
    const schedule = [killLeader, pauseFollower, restartClient];
    for (let i = 0; i < schedule.length || performance.now() - loadStart < LOAD_MS; i++) await schedule[i % schedule.length]!();
    const loadMs = performance.now() - loadStart;
    stopping = true;
    await Promise.all(workers);

    // --- healed: every agent's ?consistent read of every key agrees; those reads end the history.
    const finalClient = 1_000_000;
    await eventually('every agent reads the same value of every key', async () => {
      const values = new Set<string>();
      for (const key of KEYS) {
        const seen = new Set<string | null>();
        for (const n of nodes) {
          const got = await rec.get(finalClient, { name: n.name, url: n.url }, key, 'consistent');
          if (!got.read) return false;
          seen.add(got.read.value);
        }
        if (seen.size !== 1) return false;
        values.add(`${key}=${[...seen][0]}`);
      }
      return values.size === KEYS.length;
    }, 30_000, 200);
    // ...and every server's own replica (a ?stale read) caught up with it.
    for (const key of KEYS) {
      const final = rec.ops.filter((o) => o.clientId === finalClient && o.input.key === key).at(-1)!.output as { value: string | null };
      for (const s of servers) {
        await eventually(`${s.name}'s replica of ${key}`, async () => {
          const res = await fetch(`${s.url}/v1/kv/${key}?stale&raw`);
          return final.value === null ? res.status === 404 : res.status === 200 && (await res.text()) === final.value;
        }, 20_000, 100);
      }
    }

    // --- the check.
    const history: RecordedKvOp[] = rec.ops;
    const unknown = history.filter((o) => o.output === undefined).length;
    const t0 = performance.now();
    const result = checkLinearizable(kvModel, history);
    const checkMs = Math.round(performance.now() - t0);
    const acked = history.filter((o) => o.input.op !== 'get' && o.output !== undefined && 'ok' in o.output && o.output.ok);
    const casFalse = history.filter((o) => o.input.op === 'cas' && o.output !== undefined && 'ok' in o.output && !o.output.ok).length;
    const summary = {
      seed: SEED, loadMs: Math.round(loadMs), operations: history.length, unknown, dropped: rec.dropped,
      acknowledgedWrites: acked.length, casRefused: casFalse, faults, recoveries, checkMs, result: result.result,
    };
    console.log(`cluster linearizability: ${JSON.stringify(summary)}\n${faultLog.join('\n')}`);
    if (result.result !== 'ok') {
      const file = saveKvHistory(join(REPO_ROOT, 'test-artifacts', `cluster-linearizability-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), history, summary);
      for (const n of nodes) writeFileSync(`${file}.${n.name}.log`, [...n.logs, n.agent?.output() ?? ''].join('\n--- restart ---\n'));
      console.log(`history saved: ${file} (re-check: npx tsx test/support/replay-kv-history.ts ${file}); agent logs beside it`);
      if (result.result === 'illegal') console.log(result.explanation.split('\n').slice(-60).join('\n'));
    }
    expect(result.result).toBe('ok');

    // --- the run really exercised what it claims (a disabled checker or an idle load fails here).
    expect(faults.killLeader).toBeGreaterThanOrEqual(1);
    expect(faults.pauseFollower).toBeGreaterThanOrEqual(1);
    expect(faults.restartClient).toBeGreaterThanOrEqual(1);
    for (const r of recoveries) expect(r.ms, r.fault).toBeLessThan(AVAILABILITY_BOUND_MS);
    expect(history.length).toBeGreaterThan(500);
    expect(acked.length).toBeGreaterThan(100);
    expect(casFalse).toBeGreaterThan(0);
    expect(acked.some((o) => o.input.op === 'cas')).toBe(true);
    for (const n of nodes) {
      for (const mode of ['default', 'consistent'] as const) {
        expect(history.some((o) => o.agent === n.name && o.mode === mode && o.output !== undefined), `${mode} reads through ${n.name}`).toBe(true);
      }
      expect(acked.some((o) => o.agent === n.name), `writes through ${n.name}`).toBe(true);
    }
    // The checker rejects this very history once one answer in it is wrong: the first read
    // that saw a value now claims one nobody wrote.
    const firstRead = history.findIndex((o) => o.input.op === 'get' && o.output !== undefined && 'value' in o.output && o.output.value !== null);
    expect(firstRead).toBeGreaterThanOrEqual(0);
    const doctored = history.map((o, i) => (i === firstRead ? { ...o, output: { value: 'never-written' } } : o));
    expect(checkLinearizable(kvModel, doctored).result).toBe('illegal');
  }, 300_000);
});
