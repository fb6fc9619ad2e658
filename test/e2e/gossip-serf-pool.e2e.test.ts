import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { SERF, startSerfProcess } from '../support/serf-process.js';
import { eventually } from '../support/socket-test-helpers.js';

/**
 * One encrypted LAN pool of HashiCorp's own `serf` agents (Debian's serf, the reference
 * implementation) and Sextant agents, as a user would run them side by side: each side lists the
 * other alive with its tags, kill -9 on either side is detected by the other, a Consul user event
 * fired through Sextant reaches serf as `consul:event:<name>`, the keyring is rotated across both
 * (install, use, remove) with traffic flowing, and an agent without the key cannot join.
 */
const run = promisify(execFile);
const K1 = Buffer.from('sextant-gossip-key-number-one-32').toString('base64'); // 32 bytes
const K2 = Buffer.from('sextant-rotated-key-16').subarray(0, 16).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'sextant-serf-pool-'));

interface SerfAgent {
  name: string;
  port: number;
  rpc: string;
  proc: ChildProcess;
  events: string;
}
interface Member {
  Name: string;
  Status: number;
  Tags: Record<string, string>;
}

const serfs: SerfAgent[] = [];
/** Every serf process started, running or not (a start retried on a taken port leaves one behind). */
const serfProcs: ChildProcess[] = [];
const sextants: AgentProcess[] = [];

async function startSerf(name: string, joinAddr?: string): Promise<SerfAgent> {
  const eventsFile = join(dir, `${name}.events`);
  writeFileSync(eventsFile, '');
  const args = ['-encrypt', K1, '-tag', 'role=serf', '-event-handler', `user=echo "$SERF_USER_EVENT" >> ${eventsFile}`];
  if (joinAddr) args.push('-join', joinAddr);
  const { port, rpc, proc } = await startSerfProcess(name, args, (p) => serfProcs.push(p));
  const agent = { name, port, rpc, proc, events: eventsFile };
  serfs.push(agent);
  return agent;
}

async function serfMembers(s: SerfAgent): Promise<Array<{ name: string; status: string; tags: Record<string, string> }>> {
  const { stdout } = await run(SERF, ['members', '-rpc-addr', s.rpc, '-format', 'json']);
  return (JSON.parse(stdout) as { members: Array<{ name: string; status: string; tags: Record<string, string> }> }).members;
}

async function serfKeys(s: SerfAgent): Promise<string> {
  const { stdout } = await run(SERF, ['keys', '-list', '-rpc-addr', s.rpc]);
  return stdout;
}

async function startSextant(name: string, joinAddr: string, extra: string[] = []): Promise<AgentProcess> {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const agent = await startAgent(
    ['-node', name, '-data-dir', data, '-bind', '127.0.0.1', '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-retry-join', joinAddr, '-retry-interval', '1s', ...extra],
    { timeoutMs: 30_000 },
  );
  sextants.push(agent);
  return agent;
}

async function members(a: AgentProcess): Promise<Member[]> {
  return (await (await fetch(`${a.httpAddr}/v1/agent/members`)).json()) as Member[];
}

let s1: AgentProcess;
let c1: AgentProcess;

beforeAll(async () => {
  const serfA = await startSerf('serf-a');
  await startSerf('serf-b', `127.0.0.1:${serfA.port}`);
  s1 = await startSextant('sx-server', `127.0.0.1:${serfA.port}`, ['-server', '-bootstrap', '-encrypt', K1]);
  c1 = await startSextant('sx-client', `127.0.0.1:${serfA.port}`, ['-encrypt', K1]);
}, 90_000);

afterAll(async () => {
  for (const p of serfProcs) if (p.exitCode === null) p.kill('SIGKILL');
  await Promise.all(sextants.filter((a) => a.proc.exitCode === null && a.proc.signalCode === null).map((a) => a.kill9()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a mixed, encrypted pool of serf and Sextant agents', () => {
  it('serf lists the Sextant agents alive with their tags, and Sextant lists the serf agents', async () => {
    for (const s of serfs) {
      await eventually(`${s.name} sees both Sextant agents`, async () => (await serfMembers(s)).filter((m) => m.status === 'alive').length === 4, 30_000);
    }
    const seen = await serfMembers(serfs[1]!);
    const server = seen.find((m) => m.name === 'sx-server');
    expect(server?.status).toBe('alive');
    expect(server?.tags).toMatchObject({ role: 'consul', dc: 'dc1' });
    expect(seen.find((m) => m.name === 'sx-client')?.tags).toMatchObject({ role: 'node', dc: 'dc1' });
    await eventually('Sextant sees both serf agents', async () => (await members(c1)).filter((m) => m.Status === 1).length === 4, 30_000);
    const ours = await members(c1);
    expect(ours.find((m) => m.Name === 'serf-a')?.Tags).toEqual({ role: 'serf' });
  }, 60_000);

  it('a Consul user event fired through Sextant reaches the serf agents as consul:event:<name>', async () => {
    const fired = await runCli(['event', '-http-addr', c1.httpAddr, '-name', 'deploy', 'v1']);
    expect(fired.code, fired.stderr).toBe(0);
    for (const s of serfs) {
      await eventually(`${s.name} got the event`, async () => readFileSync(s.events, 'utf8').includes('consul:event:deploy'), 20_000);
    }
  }, 60_000);

  it('rotates the keyring across serf and Sextant agents: install, use, remove', async () => {
    const install = await runCli(['keyring', '-http-addr', s1.httpAddr, '-install', K2]);
    expect(install.code, install.stderr).toBe(0);
    await eventually('serf holds the new key', async () => (await serfKeys(serfs[0]!)).includes(K2), 20_000);
    const use = await runCli(['keyring', '-http-addr', s1.httpAddr, '-use', K2]);
    expect(use.code, use.stderr).toBe(0);
    const remove = await runCli(['keyring', '-http-addr', s1.httpAddr, '-remove', K1]);
    expect(remove.code, remove.stderr).toBe(0);
    const keys = await serfKeys(serfs[1]!);
    expect(keys).toContain(K2);
    expect(keys).not.toContain(K1);
    const list = await runCli(['keyring', '-http-addr', c1.httpAddr, '-list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(`${K2} [4/4]`);
    // Traffic still flows on the new key: everybody stays alive.
    expect((await members(c1)).filter((m) => m.Status === 1).length).toBe(4);
    expect((await serfMembers(serfs[0]!)).filter((m) => m.status === 'alive').length).toBe(4);
  }, 90_000);

  it('an agent without the key cannot join, and says why', async () => {
    const port = await freePort();
    const outsider = startAgent(['-node', 'no-key', '-data-dir', join(dir, 'no-key'), '-bind', '127.0.0.1', '-serf-lan-port', String(port), '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-join', `127.0.0.1:${serfs[0]!.port}`], { timeoutMs: 30_000 });
    await expect(outsider).rejects.toThrow(/exited with 1[\s\S]*Failed to join[^\n]*Remote state is encrypted and encryption is not configured/);
  }, 60_000);

  it('kill -9 on either side is detected by the other', async () => {
    serfs[1]!.proc.kill('SIGKILL');
    await eventually('Sextant marks serf-b failed', async () => (await members(s1)).find((m) => m.Name === 'serf-b')?.Status === 4, 60_000);
    await c1.kill9();
    await eventually('serf marks sx-client failed', async () => (await serfMembers(serfs[0]!)).find((m) => m.name === 'sx-client')?.status === 'failed', 60_000);
  }, 150_000);
});
