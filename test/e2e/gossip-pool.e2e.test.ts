import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startAgent, type AgentProcess } from '../support/agent-process.js';
import { eventually } from '../support/socket-test-helpers.js';
import { dig } from '../unit/dns/dig.js';

/**
 * A LAN pool of five real agent processes on their own loopback addresses (127.0.13.1–5): one
 * server and four clients joined by encrypted gossip, each client offering a `web` service. As a
 * user sees it: `members` everywhere, the catalog following the pool (serfHealth), DNS answering
 * only live instances, kill -9 and restart, user events across the pool, a key rotation with
 * events flowing, graceful leave and force-leave.
 */
interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Status: number;
  Tags: Record<string, string>;
}

const NET = '127.0.13';
/** The pool's gossip key at start, and the one it is rotated to. */
const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(16, 2).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'sextant-gossip-pool-'));
const agents = new Map<string, AgentProcess>();
let serverSerfPort = 0;
let dnsPort = 0;

async function getJson<T>(agent: AgentProcess, path: string): Promise<T> {
  const res = await fetch(`${agent.httpAddr}${path}`);
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
  return (await res.json()) as T;
}

function statusOf(members: Member[], name: string): number | undefined {
  return members.find((m) => m.Name === name)?.Status;
}

/** Starts node `n` (1 = the server) on 127.0.13.<n>; clients retry-join the server. */
async function start(n: number): Promise<AgentProcess> {
  const name = n === 1 ? 's1' : `c${n}`;
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const conf = join(dir, `${name}.json`);
  writeFileSync(conf, JSON.stringify(n === 1 ? {} : { service: { name: 'web', port: 8000 + n } }));
  const args = [
    '-node', name, '-data-dir', data, '-bind', `${NET}.${n}`, '-client', '127.0.0.1',
    '-http-port', '0', '-dns-port', n === 1 ? '0' : '-1', '-server-port', '0', '-serf-lan-port', '0',
    '-config-file', conf, '-log-level', 'debug', '-encrypt', K1,
  ];
  if (n === 1) args.push('-server', '-bootstrap');
  else args.push('-retry-join', `${NET}.1:${serverSerfPort}`, '-retry-interval', '1s');
  const agent = await startAgent(args, { timeoutMs: 30_000 });
  agents.set(name, agent);
  return agent;
}

function running(): AgentProcess[] {
  return [...agents.values()].filter((a) => a.proc.exitCode === null && a.proc.signalCode === null);
}

async function webAnswers(): Promise<string[]> {
  const r = await dig(dnsPort, ['web.service.consul', 'A']);
  return r.answer.map((a) => a.data).sort();
}

beforeAll(async () => {
  const s1 = await start(1);
  const self = await getJson<{ Member: Member }>(s1, '/v1/agent/self');
  serverSerfPort = self.Member.Port;
  expect(self.Member.Addr).toBe(`${NET}.1`);
  dnsPort = Number(/DNS: (\d+)\)/.exec(s1.output())![1]);
  await Promise.all([2, 3, 4, 5].map((n) => start(n)));
}, 90_000);

afterEach((ctx) => {
  // A failed step shows what each agent logged last (they run in the background).
  if (ctx.task.result?.state !== 'fail') return;
  for (const [name, a] of agents) process.stderr.write(`--- ${name} (exit ${a.proc.exitCode ?? a.proc.signalCode ?? 'running'})\n${a.output().split('\n').slice(-40).join('\n')}\n`);
});

afterAll(async () => {
  await Promise.all(running().map((a) => a.kill9()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a pool of five agents', () => {
  it('every agent lists all five alive, with their roles; the catalog has them with a passing serfHealth', async () => {
    for (const a of running()) {
      await eventually('pool state', async () => (await getJson<Member[]>(a, '/v1/agent/members')).filter((m) => m.Status === 1).length === 5, 30_000);
    }
    const members = await getJson<Member[]>(agents.get('c3')!, '/v1/agent/members');
    expect(members.map((m) => [m.Name, m.Addr, m.Tags['role']])).toEqual([
      ['c2', `${NET}.2`, 'node'],
      ['c3', `${NET}.3`, 'node'],
      ['c4', `${NET}.4`, 'node'],
      ['c5', `${NET}.5`, 'node'],
      ['s1', `${NET}.1`, 'consul'],
    ]);
    const cli = await runCli(['members', '-http-addr', agents.get('c2')!.httpAddr]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^c5\\s+${NET.replaceAll('.', '\\.')}\\.5:\\d+\\s+alive\\s+client`, 'm'));
    const s1 = agents.get('s1')!;
    const serfHealth = async (): Promise<Array<{ Node: string; Status: string; Output: string }>> =>
      (await getJson<Array<{ Node: string; CheckID: string; Status: string; Output: string }>>(s1, '/v1/health/state/any')).filter((c) => c.CheckID === 'serfHealth');
    await eventually('a serfHealth check for each of the five', async () => (await serfHealth()).length === 5, 30_000);
    expect((await serfHealth()).every((c) => c.Status === 'passing' && c.Output === 'Agent alive and reachable')).toBe(true);
    await eventually('pool state', async () => (await webAnswers()).length === 4, 30_000);
    expect(await webAnswers()).toEqual([`${NET}.2`, `${NET}.3`, `${NET}.4`, `${NET}.5`]);
  }, 120_000);

  it('kill -9 of a client: the others mark it failed, its serfHealth turns critical, DNS stops answering with it; restarted, it is back', async () => {
    await agents.get('c5')!.kill9();
    for (const a of running()) {
      await eventually('pool state', async () => statusOf(await getJson<Member[]>(a, '/v1/agent/members'), 'c5') === 4, 60_000);
    }
    const s1 = agents.get('s1')!;
    await eventually('pool state', async () => (await getJson<Array<{ CheckID: string; Status: string }>>(s1, '/v1/health/node/c5')).some((c) => c.CheckID === 'serfHealth' && c.Status === 'critical'), 30_000);
    const serfHealth = (await getJson<Array<{ CheckID: string; Output: string }>>(s1, '/v1/health/node/c5')).find((c) => c.CheckID === 'serfHealth');
    expect(serfHealth?.Output).toBe('Agent not live or unreachable');
    expect(await webAnswers()).toEqual([`${NET}.2`, `${NET}.3`, `${NET}.4`]);
    await start(5);
    for (const a of running()) {
      await eventually('pool state', async () => statusOf(await getJson<Member[]>(a, '/v1/agent/members'), 'c5') === 1, 60_000);
    }
    await eventually('pool state', async () => (await webAnswers()).length === 4, 30_000);
  }, 180_000);

  it('a user event fired on one client reaches every agent of the pool', async () => {
    const fired = await runCli(['event', '-http-addr', agents.get('c2')!.httpAddr, '-name', 'deploy', 'v42']);
    expect(fired.code, fired.stderr).toBe(0);
    for (const a of running()) {
      await eventually('pool state', async () => (await getJson<Array<{ Name: string; Payload: string }>>(a, '/v1/event/list?name=deploy')).some((e) => Buffer.from(e.Payload, 'base64').toString() === 'v42'), 20_000);
    }
  }, 60_000);

  it('rotates the gossip key across the pool while events keep flowing: install, use, remove', async () => {
    const s1 = agents.get('s1')!;
    let fired = 0;
    const firing = setInterval(() => {
      void fetch(`${agents.get('c2')!.httpAddr}/v1/event/fire/rotation`, { method: 'PUT', body: String(++fired) });
    }, 200);
    try {
      for (const [op, key] of [['-install', K2], ['-use', K2], ['-remove', K1]] as const) {
        const r = await runCli(['keyring', '-http-addr', s1.httpAddr, op, key]);
        expect(r.code, `${op}: ${r.stderr}`).toBe(0);
      }
      const list = await runCli(['keyring', '-http-addr', agents.get('c3')!.httpAddr, '-list']);
      expect(list.stdout).toContain(`${K2} [5/5]`);
      expect(list.stdout).not.toContain(K1);
    } finally {
      clearInterval(firing);
    }
    // Everybody is still alive on the new key, and the last event fired reached every agent.
    const last = String(fired);
    for (const a of running()) {
      expect((await getJson<Member[]>(a, '/v1/agent/members')).filter((m) => m.Status === 1)).toHaveLength(5);
      await eventually('the last event on the new key', async () => (await getJson<Array<{ Payload: string }>>(a, '/v1/event/list?name=rotation')).some((e) => Buffer.from(e.Payload, 'base64').toString() === last), 20_000);
    }
  }, 90_000);

  it('a graceful leave: the agent exits, the pool sees it left, the catalog drops it', async () => {
    const c4 = agents.get('c4')!;
    const left = await runCli(['leave', '-http-addr', c4.httpAddr]);
    expect(left.code, left.stderr).toBe(0);
    expect(left.stdout).toContain('Graceful leave complete');
    expect(await c4.exited).toBe(0);
    for (const a of running()) {
      await eventually('pool state', async () => statusOf(await getJson<Member[]>(a, '/v1/agent/members'), 'c4') === 3, 30_000);
    }
    const s1 = agents.get('s1')!;
    await eventually('pool state', async () => !(await getJson<Array<{ Node: string }>>(s1, '/v1/catalog/nodes')).some((n) => n.Node === 'c4'), 30_000);
    expect(await webAnswers()).toEqual([`${NET}.2`, `${NET}.3`, `${NET}.5`]);
  }, 90_000);

  it('force-leave of a failed member turns it left everywhere and deregisters it', async () => {
    await agents.get('c3')!.kill9();
    const s1 = agents.get('s1')!;
    await eventually('pool state', async () => statusOf(await getJson<Member[]>(s1, '/v1/agent/members'), 'c3') === 4, 60_000);
    const forced = await runCli(['force-leave', '-http-addr', s1.httpAddr, 'c3']);
    expect(forced.code, forced.stderr).toBe(0);
    for (const a of running()) {
      await eventually('pool state', async () => statusOf(await getJson<Member[]>(a, '/v1/agent/members'), 'c3') === 3, 30_000);
    }
    await eventually('pool state', async () => !(await getJson<Array<{ Node: string }>>(s1, '/v1/catalog/nodes')).some((n) => n.Node === 'c3'), 30_000);
  }, 120_000);
});
