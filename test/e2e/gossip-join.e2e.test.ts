import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * Two (then three) real agent processes on 127.0.0.x, serf LAN on ephemeral ports, forming one
 * pool the ways a user does it: `sextant join`, `-join` at start, `-retry-join`; `members` on
 * each lists the others alive; `sextant leave` ends an agent and the others see it `left`;
 * `force-leave` of an unknown node is refused with Consul's text.
 * Needs the gossip Membership (GossipMembership): a pool of one cannot be joined.
 */

interface MemberJson {
  Name: string;
  Addr: string;
  Port: number;
  Status: number;
  Tags: Record<string, string>;
}

const dirs: string[] = [];
const procs: AgentProcess[] = [];
afterAll(async () => {
  for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) await p.kill9();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PORTS = ['-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-serf-lan-port', '0'];

async function agent(node: string, bind: string, args: string[]): Promise<AgentProcess> {
  const d = mkdtempSync(join(tmpdir(), `sextant-gossip-${node}-`));
  dirs.push(d);
  const p = await startAgent([...PORTS, '-node', node, '-bind', bind, '-data-dir', d, ...args]);
  procs.push(p);
  return p;
}

async function members(a: AgentProcess): Promise<MemberJson[]> {
  return (await (await fetch(`${a.httpAddr}/v1/agent/members`)).json()) as MemberJson[];
}

/** `host:port` of an agent's serf LAN listener, from its own member entry. */
async function serfAddr(a: AgentProcess): Promise<string> {
  const self = (await (await fetch(`${a.httpAddr}/v1/agent/self`)).json()) as { Member: MemberJson };
  return `${self.Member.Addr}:${self.Member.Port}`;
}

const statusOf = async (a: AgentProcess, node: string): Promise<number | undefined> => (await members(a)).find((m) => m.Name === node)?.Status;

describe('a gossip pool of agent processes', () => {
  let server: AgentProcess;
  let client: AgentProcess;

  it('`sextant join` against a running client: "Successfully joined cluster by contacting 1 nodes.", both list each other alive', async () => {
    server = await agent('srv-1', '127.0.0.2', ['-server', '-bootstrap']);
    client = await agent('cli-1', '127.0.0.3', []);
    const addr = await serfAddr(server);
    expect(addr.startsWith('127.0.0.2:')).toBe(true);
    expect(Number(addr.split(':')[1])).toBeGreaterThan(0);
    const r = await runCli(['join', addr], { SEXTANT_HTTP_ADDR: client.httpAddr });
    expect(r).toMatchObject({ code: 0, stdout: 'Successfully joined cluster by contacting 1 nodes.\n' });
    await expect.poll(() => statusOf(server, 'cli-1'), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => statusOf(client, 'srv-1'), { timeout: 10_000 }).toBe(1);
    const m = await runCli(['members'], { SEXTANT_HTTP_ADDR: server.httpAddr });
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/srv-1\s+127\.0\.0\.2:\d+\s+alive\s+server/);
    expect(m.stdout).toMatch(/cli-1\s+127\.0\.0\.3:\d+\s+alive\s+client/);
  });

  it('-join at start and -retry-join both bring a third agent in', async () => {
    const addr = await serfAddr(server);
    const c2 = await agent('cli-2', '127.0.0.4', ['-join', addr]);
    expect(c2.output()).toMatch(/Join completed\. Synced with 1 initial agents/);
    const c3 = await agent('cli-3', '127.0.0.5', ['-retry-join', addr, '-retry-interval', '200ms']);
    await expect.poll(() => statusOf(server, 'cli-2'), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => statusOf(server, 'cli-3'), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => c3.output(), { timeout: 10_000 }).toContain('Join cluster completed. Synced with initial agents');
  });

  it("force-leave of a node nobody knows: exit 1 with Consul's text", async () => {
    const r = await runCli(['force-leave', 'ghost'], { SEXTANT_HTTP_ADDR: server.httpAddr });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error force leaving: Unexpected response code: 500 (agent: No node found with name 'ghost')\n");
  });

  it('`sextant leave` on the client: it exits 0 and the server sees it left (status 3)', async () => {
    const r = await runCli(['leave'], { SEXTANT_HTTP_ADDR: client.httpAddr });
    expect(r).toMatchObject({ code: 0, stdout: 'Graceful leave complete\n' });
    expect(await client.exited).toBe(0);
    await expect.poll(() => statusOf(server, 'cli-1'), { timeout: 10_000 }).toBe(3);
  });

  it('kill -9 of a client: failed (status 4); force-leave -prune then removes it from the list', async () => {
    const victim = procs.find((p) => p.output().includes("Node name: 'cli-2'"))!;
    await victim.kill9();
    await expect.poll(() => statusOf(server, 'cli-2'), { timeout: 20_000 }).toBe(4);
    const r = await runCli(['force-leave', '-prune', 'cli-2'], { SEXTANT_HTTP_ADDR: server.httpAddr });
    expect(r.code).toBe(0);
    await expect.poll(() => statusOf(server, 'cli-2'), { timeout: 10_000 }).toBeUndefined();
  });
}, 120_000);
