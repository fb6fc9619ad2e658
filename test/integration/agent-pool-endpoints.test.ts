import { afterEach, describe, expect, it } from 'vitest';
import { startInProcessAgent } from '../support/in-process-agent.js';
import type { Agent } from '../../src/kernel/agent.js';
import { isSextantError } from '../../contracts/errors.js';

/**
 * The pool operations a user asks an agent for, end to end in one process (config → agent →
 * REST surface → AgentService → Membership port): join, leave (the agent then shuts down),
 * force-leave, keyring, start_join and retry_join. Only what any Membership adapter must do is
 * asserted: an unreachable address cannot be joined, a pool of one has no other node.
 */

const running: Agent[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
});

async function start(args: string[] = []): Promise<Awaited<ReturnType<typeof startInProcessAgent>>> {
  const started = await startInProcessAgent(['-dev', '-serf-lan-port', '0', ...args]);
  running.push(started.agent);
  return started;
}

/** 127.0.0.1 port 1: nothing listens there. */
const UNREACHABLE = '127.0.0.1:1';

describe('agent pool endpoints (in-process agent)', () => {
  it('PUT /v1/agent/join to an unreachable address: 500 naming the address, and the agent logs that it could not join', async () => {
    const { http, logs } = await start();
    const res = await fetch(`${http}/v1/agent/join/${UNREACHABLE}`, { method: 'PUT' });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain(UNREACHABLE);
    expect(logs.some((l) => l.includes('(LAN) joining') && l.includes(UNREACHABLE))).toBe(true);
    expect(logs.some((l) => l.includes("(LAN) couldn't join"))).toBe(true);
  });

  it('PUT /v1/agent/join?wan=1 on a server: 500, no WAN pool', async () => {
    const { http } = await start();
    const res = await fetch(`${http}/v1/agent/join/${UNREACHABLE}?wan=1`, { method: 'PUT' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('WAN pool is not implemented by Sextant yet: servers of other datacenters cannot be joined');
  });

  it("PUT /v1/agent/force-leave of a node the pool does not know: 500 with Consul's text", async () => {
    const { http } = await start();
    const res = await fetch(`${http}/v1/agent/force-leave/ghost?prune`, { method: 'PUT' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("agent: No node found with name 'ghost'");
  });

  it('PUT /v1/agent/leave: 200, then the agent shuts down on its own (exit status 0)', async () => {
    const { http, agent, logs } = await start();
    const res = await fetch(`${http}/v1/agent/leave`, { method: 'PUT' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(await agent.terminated()).toBe(0);
    expect(logs.some((l) => l.includes('Requesting shutdown'))).toBe(true);
    await expect(fetch(`${http}/v1/agent/self`)).rejects.toThrow();
  });

  it('GET /v1/operator/keyring on an agent without gossip encryption: 500 with the reason', async () => {
    const { http } = await start();
    const res = await fetch(`${http}/v1/operator/keyring`);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/not enabled|[Kk]eyring/);
    const bad = await fetch(`${http}/v1/operator/keyring?relay-factor=9`);
    expect(bad.status).toBe(400);
  });

  it('-join to an unreachable address: the agent fails to start with the join error', async () => {
    let failure: unknown;
    try {
      await start(['-join', UNREACHABLE]);
    } catch (e) {
      failure = e;
    }
    expect(isSextantError(failure)).toBe(true);
    expect((failure as Error).message).toContain(UNREACHABLE);
  });

  it('-retry-join exhausted (-retry-max 1): "Retry join failed" and the agent stops with exit status 1', async () => {
    const { agent, logs } = await start(['-retry-join', UNREACHABLE, '-retry-max', '1', '-retry-interval', '20ms']);
    expect(await agent.terminated()).toBe(1);
    const text = logs.join('\n');
    expect(text).toContain('Retry join is supported for the following discovery methods');
    expect(text).toContain('Joining cluster...');
    expect(text).toContain('Join cluster failed, will retry');
    expect(text).toMatch(/Retry join failed: .*agent: max join LAN retry exhausted, exiting/);
  });
});

describe('GET /v1/agent/members (in-process agent)', () => {
  it('lists the LAN pool; ?wan=1 the WAN pool, which Sextant does not have (empty); a bare ?wan is the LAN pool', async () => {
    const { http, agent } = await start();
    const lan = (await (await fetch(`${http}/v1/agent/members`)).json()) as { Name: string }[];
    expect(lan.map((m) => m.Name)).toEqual([agent.config.nodeName]);
    expect(await (await fetch(`${http}/v1/agent/members?wan=1`)).json()).toEqual([]);
    expect(((await (await fetch(`${http}/v1/agent/members?wan`)).json()) as unknown[]).length).toBe(1);
  });
});
