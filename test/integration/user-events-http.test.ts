import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCommand } from '../../src/cli/commands/index.js';
import type { Agent } from '../../src/kernel/agent.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import { runCommand } from '../support/run-command.js';

/**
 * User events through the HTTP API (/v1/event/fire, /v1/event/list), the `consul` npm client
 * and `sextant event`, against a real agent: fired through the RPC layer into the (one-member)
 * pool and kept by the agent when its filters match.
 */

let agent: Agent;
let http: string;
let consul: Consul;

beforeAll(async () => {
  ({ agent, http } = await startInProcessAgent(['-dev', '-node', 'ev-node']));
  consul = new Consul({ host: '127.0.0.1', port: Number(http.slice(http.lastIndexOf(':') + 1)) });
  await consul.agent.service.register({ name: 'api', tags: ['blue'], port: 80 });
});
afterAll(async () => {
  await agent?.stop();
});

interface EventJson {
  ID: string;
  Name: string;
  Payload: string | null;
  NodeFilter: string;
  Version: number;
  LTime: number;
}

async function list(query = ''): Promise<{ events: EventJson[]; index: string }> {
  const res = await fetch(`${http}/v1/event/list${query}`);
  expect(res.status).toBe(200);
  return { events: (await res.json()) as EventJson[], index: res.headers.get('x-consul-index')! };
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await what();
    if (ok(v) || i > 100) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function run(args: string[]): ReturnType<typeof runCommand> {
  return runCommand(eventCommand, args, { SEXTANT_HTTP_ADDR: http });
}

describe('user events over HTTP', () => {
  it('fires with the consul client and lists what the agent kept, payload base64, index from the newest ID', async () => {
    const fired = (await consul.event.fire('deploy', 'v2')) as unknown as { ID: string; Name: string; Payload: string; Version: number; LTime: number };
    expect(fired).toMatchObject({ Name: 'deploy', Payload: 'v2', Version: 1, LTime: 0 });
    const { events, index } = await until(() => list('?name=deploy'), (l) => l.events.length === 1);
    expect(events[0]).toMatchObject({ ID: fired.ID, Name: 'deploy', Payload: Buffer.from('v2').toString('base64'), NodeFilter: '' });
    const lower = BigInt(`0x${fired.ID.slice(0, 8)}${fired.ID.slice(9, 13)}${fired.ID.slice(14, 18)}`);
    const upper = BigInt(`0x${fired.ID.slice(19, 23)}${fired.ID.slice(24)}`);
    expect(index).toBe((lower ^ upper).toString());
    const viaClient = (await consul.event.list('deploy')) as unknown as { ID: string; Payload: string }[];
    expect(viaClient.map((e) => [e.ID, e.Payload])).toEqual([[fired.ID, 'v2']]);
    expect(await list('?name=none')).toEqual({ events: [], index: '1' });
  });

  it('keeps only events whose node, service and tag filters match this agent', async () => {
    const put = (q: string): Promise<Response> => fetch(`${http}/v1/event/fire/filtered${q}`, { method: 'PUT' });
    expect((await put('?node=^ev-')).status).toBe(200);
    expect((await put('?node=^other$')).status).toBe(200);
    expect((await put('?service=ap&tag=blu')).status).toBe(200);
    expect((await put('?service=api&tag=green')).status).toBe(200);
    await until(() => list('?name=filtered'), (l) => l.events.length >= 2);
    await new Promise((r) => setTimeout(r, 50)); // the two that do not match had their chance to arrive
    expect((await list('?name=filtered')).events.map((e) => [e.NodeFilter, (e as unknown as { TagFilter: string }).TagFilter])).toEqual([
      ['^ev-', ''],
      ['', 'blu'],
    ]);
  });

  it("answers bad requests as Consul does: 400 Missing name, 500 with Consul's and serf's texts, 405 for GET", async () => {
    const missing = await fetch(`${http}/v1/event/fire/`, { method: 'PUT' });
    expect([missing.status, await missing.text()]).toEqual([400, 'Missing name']);
    const tagOnly = await fetch(`${http}/v1/event/fire/x?tag=a`, { method: 'PUT' });
    expect([tagOnly.status, await tagOnly.text()]).toEqual([500, 'Cannot provide tag filter without service filter']);
    const big = await fetch(`${http}/v1/event/fire/x`, { method: 'PUT', body: 'z'.repeat(600) });
    expect([big.status, await big.text()]).toEqual([500, 'user event exceeds configured limit of 512 bytes before encoding']);
    expect((await fetch(`${http}/v1/event/fire/x`)).status).toBe(405);
  });

  it('blocks a list on ?index until a new event arrives', async () => {
    const before = await list();
    const started = Date.now();
    const blocked = list(`?index=${before.index}&wait=5s`);
    await new Promise((r) => setTimeout(r, 200));
    await fetch(`${http}/v1/event/fire/wake`, { method: 'PUT' });
    const after = await blocked;
    expect(after.events.at(-1)!.Name).toBe('wake');
    expect(after.index).not.toBe(before.index);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('sextant event fires and prints the ID; its flag errors are Consul’s', async () => {
    const ok = await run(['-name', 'cli-event', '-service', 'api', 'payload text']);
    expect(ok.code).toBe(0);
    const id = /^Event ID: ([0-9a-f-]{36})\n$/.exec(ok.stdout)?.[1];
    expect(id).toBeDefined();
    const { events } = await until(() => list('?name=cli-event'), (l) => l.events.length === 1);
    expect(events[0]).toMatchObject({ ID: id, Payload: Buffer.from('payload text').toString('base64') });

    expect((await run([])).stderr).toMatch(/^Event name must be specified\n/);
    expect(await run(['-name', 'x', '-tag', 'a'])).toMatchObject({ code: 1, stderr: 'Cannot provide tag filter without service filter.\n' });
    expect(await run(['-name', 'x', '-node', '('])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^Failed to compile node filter regexp: /) });
    expect((await run(['-name', 'x', 'a', 'b'])).stderr).toMatch(/^Too many command line arguments\.\n/);
  });
});
