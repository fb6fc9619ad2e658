import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/agent-process.js';
import { exitWithOutput } from '../support/exit-with-output.js';
import { freePort } from '../support/free-port.js';
import { eventually } from '../support/socket-test-helpers.js';

/**
 * examples/cluster/local-cluster.sh run as a user runs it: 3 servers and 3 clients on their own
 * loopback addresses (127.0.15.11-13 and .21-23, so no other test collides with them; ports
 * picked free at start rather than Consul's defaults, through the script's SEXTANT_*_PORT
 * settings), a write through one client read back through another, and `local-cluster.sh stop`
 * leaving no process.
 */

const SCRIPT = join(REPO_ROOT, 'examples', 'cluster', 'local-cluster.sh');
const NET = '127.0.15';
const NAMES = ['server-1', 'server-2', 'server-3', 'client-1', 'client-2', 'client-3'] as const;
const dir = mkdtempSync(join(tmpdir(), 'sextant-examples-cluster-'));
const PORTS = { http: 0, dns: 0, server: 0, serf: 0 };
const http = (ip: string): string => `http://${NET}.${ip}:${PORTS.http}`;

function runScript(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const env = {
      ...process.env,
      SEXTANT_CLUSTER_NET: NET,
      SEXTANT_HTTP_PORT: String(PORTS.http),
      SEXTANT_DNS_PORT: String(PORTS.dns),
      SEXTANT_SERVER_PORT: String(PORTS.server),
      SEXTANT_SERF_LAN_PORT: String(PORTS.serf),
    };
    const p = spawn('bash', [SCRIPT, ...args], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exitWithOutput(p).then((code) => resolve({ code, out }));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids the script recorded, read before `stop` removes the files. */
const pids = new Map<string, number>();

afterEach((ctx) => {
  // A failed step shows what each agent logged last (they run in the background).
  if (ctx.task.result?.state !== 'fail') return;
  for (const n of NAMES) {
    const log = join(dir, `${n}.log`);
    if (existsSync(log)) process.stderr.write(`--- ${n}\n${readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}\n`);
  }
});

afterAll(() => {
  // Only if the test failed half-way: nothing the script started outlives the test.
  for (const pid of pids.values()) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/cluster/local-cluster.sh', () => {
  beforeAll(async () => {
    const picked = new Set<number>();
    for (const k of ['http', 'dns', 'server', 'serf'] as const) {
      let p = await freePort();
      while (picked.has(p)) p = await freePort();
      picked.add(p);
      PORTS[k] = p;
    }
  });

  it('starts 3 servers and 3 clients that form one pool and one Raft cluster; a client write is read through another client; stop ends every agent', async () => {
    const started = await runScript(['start', dir]);
    for (const n of NAMES) if (existsSync(join(dir, `${n}.pid`))) pids.set(n, Number(readFileSync(join(dir, `${n}.pid`), 'utf8').trim()));
    expect(started.code, started.out).toBe(0);
    expect([...pids.keys()].sort()).toEqual([...NAMES].sort());
    for (const pid of pids.values()) expect(isRunning(pid)).toBe(true);
    expect(started.out).toContain('The cluster is up');
    expect(started.out).toContain(`stop ${dir}`);

    // Six alive members, as agents see them (Consul's Member JSON: Status 1 = alive). Gossip on a
    // loaded machine may briefly suspect a member, so a view is given a few seconds to agree.
    for (const ip of ['11', '21', '23']) {
      let seen: string[] = [];
      await eventually(`six alive members seen by ${NET}.${ip}`, async () => {
        const members = (await (await fetch(`${http(ip)}/v1/agent/members`)).json()) as { Name: string; Status: number }[];
        seen = members.map((m) => `${m.Name}:${m.Status}`);
        return members.filter((m) => m.Status === 1).length === 6;
      }, 15_000).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}: ${seen.join(' ')}\n${NAMES.map((n) => `--- ${n}\n${readFileSync(join(dir, `${n}.log`), 'utf8').split('\n').filter((l) => /WARN|ERROR|Member|suspect/i.test(l)).slice(-15).join('\n')}`).join('\n')}`);
      });
      const members = (await (await fetch(`${http(ip)}/v1/agent/members`)).json()) as { Name: string; Status: number }[];
      expect(members.map((m) => m.Name).sort()).toEqual([...NAMES].sort());
    }
    // Three Raft voters and one leader, known to servers and clients alike.
    const peers = (await (await fetch(`${http('12')}/v1/status/peers`)).json()) as string[];
    expect(peers.sort()).toEqual([`${NET}.11:${PORTS.server}`, `${NET}.12:${PORTS.server}`, `${NET}.13:${PORTS.server}`]);
    const leader = (await (await fetch(`${http('22')}/v1/status/leader`)).json()) as string;
    expect(peers).toContain(leader);

    // A write through client-1 (forwarded to the servers) is read through client-2, with the CLI a user types.
    const put = await runCli(['kv', 'put', '-http-addr', http('21'), 'examples/cluster', 'hello']);
    expect(put.code, put.stderr).toBe(0);
    const get = await runCli(['kv', 'get', '-http-addr', http('22'), 'examples/cluster']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout.trim()).toBe('hello');
    const consistent = await fetch(`${http('23')}/v1/kv/examples/cluster?raw&consistent`);
    expect(await consistent.text()).toBe('hello');

    const stopped = await runScript(['stop', dir]);
    expect(stopped.code, stopped.out).toBe(0);
    for (const [n, pid] of pids) expect(isRunning(pid), `${n} (pid ${pid}) still runs`).toBe(false);
    for (const n of NAMES) expect(existsSync(join(dir, `${n}.pid`))).toBe(false);
    expect(readFileSync(join(dir, 'client-1.log'), 'utf8')).toContain('Graceful exit completed');
  }, 120_000);
});
