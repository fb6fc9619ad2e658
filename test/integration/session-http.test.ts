import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvPutCommand } from '../../src/cli/commands/index.js';
import type { Agent } from '../../src/kernel/agent.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import { runCommand } from '../support/run-command.js';

/**
 * Sessions and KV locks over HTTP on a real in-process agent (dev mode: Raft, state machine,
 * anti-entropy registering the node and its serfHealth check), spoken to by the `consul` npm
 * client, raw fetch and the `kv put` CLI command.
 */

let agent: Agent;
let http: string;
let node: string;
let consul: InstanceType<typeof Consul>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ({ agent, http } = await startInProcessAgent(['-dev', '-node', 'session-node']));
  node = agent.config.nodeName;
  const port = Number(new URL(http).port);
  consul = new Consul({ host: '127.0.0.1', port });
  // Anti-entropy registers the node and its serfHealth check shortly after start.
  for (let i = 0; i < 100; i++) {
    const checks = (await (await fetch(`${http}/v1/health/node/${node}`)).json()) as { CheckID: string }[];
    if (checks.some((c) => c.CheckID === 'serfHealth')) return;
    await sleep(50);
  }
  throw new Error('the agent never registered its serfHealth check');
});
afterAll(async () => {
  await agent?.stop();
});

const put = (path: string, body?: string): Promise<Response> => fetch(`${http}${path}`, { method: 'PUT', body });
/** The answer's text; dev mode pretty-prints, so JSON is re-serialized compactly (key order is kept). */
async function textOf(r: Response): Promise<string> {
  const t = await r.text();
  if (!(r.headers.get('content-type') ?? '').startsWith('application/json')) return t;
  return JSON.stringify(JSON.parse(t));
}

async function create(body: Record<string, unknown>): Promise<string> {
  const r = await put('/v1/session/create', JSON.stringify(body));
  expect(r.status, await r.clone().text()).toBe(200);
  return ((await r.json()) as { ID: string }).ID;
}

describe('sessions over HTTP', () => {
  it('the consul npm client creates, reads, renews and destroys sessions, and locks keys with them', async () => {
    const { ID: id } = (await consul.session.create({ name: 'svc-leader', ttl: '15s', behavior: 'delete', lockdelay: '1s' })) as { ID: string };
    const { ID: other } = (await consul.session.create({ name: 'contender' })) as { ID: string };
    const info = (await consul.session.info(id)) as unknown as Record<string, unknown>;
    expect(info).toMatchObject({ ID: id, Name: 'svc-leader', Node: node, LockDelay: 1_000_000_000, Behavior: 'delete', TTL: '15s', NodeChecks: ['serfHealth'] });
    expect(((await consul.session.list()) as { ID: string }[]).map((s) => s.ID)).toEqual(expect.arrayContaining([id, other]));
    expect(((await consul.session.node(node)) as { ID: string }[]).map((s) => s.ID)).toEqual(expect.arrayContaining([id, other]));
    const renewed = (await consul.session.renew(id)) as { ID: string; TTL: string }[];
    expect(renewed).toEqual([expect.objectContaining({ ID: id, TTL: '15s' })]);

    expect(await consul.kv.set({ key: 'service/svc/leader', value: 'node-a', acquire: id })).toBe(true);
    // (the npm client turns Consul's `false` body into undefined)
    expect(await consul.kv.set({ key: 'service/svc/leader', value: 'node-b', acquire: other })).toBeFalsy();
    const held = (await consul.kv.get('service/svc/leader')) as unknown as Record<string, unknown>;
    expect(held).toMatchObject({ Session: id, LockIndex: 1, Value: 'node-a' });
    expect(await consul.kv.set({ key: 'service/svc/leader', value: 'bye', release: id })).toBe(true);
    expect(await consul.kv.get('service/svc/leader')).toMatchObject({ LockIndex: 1, Value: 'bye' });
    expect(((await consul.kv.get('service/svc/leader')) as unknown as Record<string, unknown>).Session).toBeUndefined();

    expect(await consul.kv.set({ key: 'service/svc/leader', value: 'again', acquire: id })).toBe(true);
    await consul.session.destroy(id); // behavior delete: the key goes with it
    expect(await consul.kv.get('service/svc/leader')).toBeUndefined();
    expect(await consul.session.info(id)).toBeUndefined();
    await consul.session.destroy(other);
  });

  it('answers Consul\'s exact JSON and headers', async () => {
    const id = await create({ Name: 'shape', TTL: '15.0s', LockDelay: 15, Behavior: 'release' });
    const r = await fetch(`${http}/v1/session/info/${id}`);
    expect(r.headers.get('content-type')).toBe('application/json');
    const index = Number(r.headers.get('x-consul-index'));
    const text = await textOf(r);
    expect(text).toBe(
      `[{"ID":"${id}","Name":"shape","Node":"${node}","LockDelay":15000000000,"Behavior":"release","TTL":"15.0s","NodeChecks":["serfHealth"],"ServiceChecks":null,"CreateIndex":${index},"ModifyIndex":${index}}]`,
    );
    expect(r.headers.get('x-consul-knownleader')).toBe('true');
    expect(await textOf(await fetch(`${http}/v1/session/info/6c6a8b3e-0000-4000-8000-000000000000`))).toBe('[]');
    expect(await textOf(await fetch(`${http}/v1/session/node/nobody`))).toBe('[]');
    expect(await textOf(await put(`/v1/session/destroy/${id}`))).toBe('true');
    const renew = await put(`/v1/session/renew/${id}`);
    expect([renew.status, await renew.text()]).toEqual([404, `Session id '${id}' not found`]);
  });

  it('refuses bad input with Consul\'s status codes and texts', async () => {
    const ttl = await put('/v1/session/create', '{"TTL":"5s"}');
    expect(ttl.status).toBe(500);
    expect(await ttl.text()).toMatch(/^Invalid Session TTL '5000000000', must be between \[10s=24h0m0s\]$/);
    const unknownCheck = await put('/v1/session/create', '{"NodeChecks":["nope"]}');
    expect([unknownCheck.status, await unknownCheck.text()]).toEqual([500, "Missing check 'nope' registration"]);
    const unknownNode = await put('/v1/session/create', '{"Node":"ghost"}');
    expect([unknownNode.status, await unknownNode.text()]).toEqual([500, 'Missing node registration']);
    const notObject = await put('/v1/session/create', '[]');
    expect([notObject.status, await notObject.text()]).toEqual([400, 'Request decode failed: the body must be a JSON object']);
    // A JSON null is "no fields" to Go's decoder: Consul's defaults, not an error.
    const nullBody = await put('/v1/session/create', 'null');
    expect(nullBody.status).toBe(200);
    const { ID: nullId } = (await nullBody.json()) as { ID: string };
    const [nullSession] = (await (await fetch(`${http}/v1/session/info/${nullId}`)).json()) as Record<string, unknown>[];
    expect(nullSession).toMatchObject({ Node: node, LockDelay: 15_000_000_000, Behavior: 'release', TTL: '', NodeChecks: ['serfHealth'] });
    await put(`/v1/session/destroy/${nullId}`, '');
    const badJson = await put('/v1/session/create', '{"TTL":');
    expect(badJson.status).toBe(400);
    expect(await badJson.text()).toMatch(/^Request decode failed: /);
    const missing = await fetch(`${http}/v1/session/info/`);
    expect([missing.status, await missing.text()]).toEqual([400, 'Missing session']);
    const sid = '6c6a8b3e-0000-4000-8000-000000000000';
    const invalid = await put(`/v1/kv/lockme?acquire=${sid}`, 'v');
    expect([invalid.status, await invalid.text()]).toEqual([500, `invalid session "${sid}"`]);
    const conflict = await put(`/v1/kv/lockme?acquire=${sid}&release=${sid}`, 'v');
    expect([conflict.status, await conflict.text()]).toEqual([400, `Conflicting flags: acquire=${sid}&release=${sid}\n`]);
    const noSession = await put('/v1/kv/lockme?acquire=', 'v');
    expect([noSession.status, await noSession.text()]).toEqual([500, 'missing session']);
  });

  it('ids of 36 characters that are not UUIDs answer as Consul\'s (go-memdb UUID index): no 500 for a hex id that finds nothing', async () => {
    // python-consul's own suite: renew('1' * 36) must be NotFound, info('1' * 36) None.
    const hex = '1'.repeat(36);
    const renew = await put(`/v1/session/renew/${hex}`, '');
    expect([renew.status, await renew.text()]).toEqual([404, `Session id '${hex}' not found`]);
    const info = await fetch(`${http}/v1/session/info/${hex}`);
    expect([info.status, await textOf(info)]).toEqual([200, '[]']);
    expect(info.headers.get('x-consul-index')).toMatch(/^\d+$/);
    const destroy = await put(`/v1/session/destroy/${hex}`, '');
    expect([destroy.status, await textOf(destroy)]).toEqual([200, 'true']);
    const node36 = await fetch(`${http}/v1/session/node/${hex}`);
    expect([node36.status, await textOf(node36)]).toEqual([200, '[]']);
    // Not hex: Consul's state store error, answered 500 with its text (as Consul does).
    const notHex = 'z'.repeat(36);
    for (const r of [await fetch(`${http}/v1/session/info/${notHex}`), await put(`/v1/session/renew/${notHex}`, ''), await put(`/v1/session/destroy/${notHex}`, '')]) {
      expect([r.status, await r.text()]).toEqual([500, "failed session lookup: Invalid UUID: encoding/hex: invalid byte: U+007A 'z'"]);
    }
    const short = await fetch(`${http}/v1/session/info/abc`);
    expect([short.status, await short.text()]).toEqual([500, 'failed session lookup: UUID must be 36 characters']);
  });

  it('a blocking list wakes when a session is created; a destroy releases the lock and starts the lock-delay', async () => {
    const first = await fetch(`${http}/v1/session/list`);
    const index = Number(first.headers.get('x-consul-index'));
    const started = Date.now();
    const blocked = fetch(`${http}/v1/session/list?index=${index}&wait=10s`);
    await sleep(100);
    const holder = await create({ LockDelay: '0.3s' });
    const woke = await blocked;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(Number(woke.headers.get('x-consul-index'))).toBeGreaterThan(index);
    expect(((await woke.json()) as { ID: string }[]).map((s) => s.ID)).toContain(holder);

    const contender = await create({});
    expect(await textOf(await put(`/v1/kv/locks/job?acquire=${holder}`, 'a'))).toBe('true');
    expect(await textOf(await put(`/v1/session/destroy/${holder}`))).toBe('true');
    const [entry] = (await (await fetch(`${http}/v1/kv/locks/job`)).json()) as Record<string, unknown>[];
    expect(entry).toMatchObject({ LockIndex: 1 });
    expect(entry!['Session']).toBeUndefined();
    expect(await textOf(await put(`/v1/kv/locks/job?acquire=${contender}`, 'b'))).toBe('false'); // lock-delay
    await sleep(350);
    expect(await textOf(await put(`/v1/kv/locks/job?acquire=${contender}`, 'b'))).toBe('true');
    expect(((await (await fetch(`${http}/v1/kv/locks/job`)).json()) as Record<string, unknown>[])[0]).toMatchObject({ LockIndex: 2, Session: contender });
  });

  it('a check of the session turning critical (catalog write) invalidates it', async () => {
    const reg = (status: string) =>
      put('/v1/catalog/register', JSON.stringify({ Node: 'ext', Address: '10.1.1.1', Check: { CheckID: 'ext-check', Name: 'ext', Status: status } }));
    expect((await reg('passing')).status).toBe(200);
    const id = await create({ Node: 'ext', NodeChecks: ['ext-check'] });
    expect(await textOf(await put(`/v1/kv/ext/lock?acquire=${id}`, 'x'))).toBe('true');
    expect((await reg('critical')).status).toBe(200);
    expect(await textOf(await fetch(`${http}/v1/session/info/${id}`))).toBe('[]');
    const critical = await put('/v1/session/create', JSON.stringify({ Node: 'ext', NodeChecks: ['ext-check'] }));
    expect([critical.status, await critical.text()]).toEqual([500, "Check 'ext-check' is in critical state"]);
    expect((await put('/v1/catalog/deregister', JSON.stringify({ Node: 'ext' }))).status).toBe(200);
  });

  it('a deregistered node takes its sessions with it: held keys deleted (behavior delete), lock-delay started', async () => {
    expect((await put('/v1/catalog/register', JSON.stringify({ Node: 'gone-node', Address: '10.1.1.2' }))).status).toBe(200);
    const id = await create({ Node: 'gone-node', NodeChecks: [], Behavior: 'delete' });
    const bystander = await create({ Node: 'gone-node', NodeChecks: [] });
    const contender = await create({});
    expect(await textOf(await put(`/v1/kv/gone/leader?acquire=${id}`, 'x'))).toBe('true');
    expect(((await (await fetch(`${http}/v1/session/node/gone-node`)).json()) as { ID: string }[]).map((s) => s.ID).sort()).toEqual([id, bystander].sort());
    expect((await put('/v1/catalog/deregister', JSON.stringify({ Node: 'gone-node' }))).status).toBe(200);
    expect(await textOf(await fetch(`${http}/v1/session/node/gone-node`))).toBe('[]');
    expect((await fetch(`${http}/v1/kv/gone/leader`)).status).toBe(404);
    // The default 15 s lock-delay runs on the deleted key: nobody may take it yet.
    expect(await textOf(await put(`/v1/kv/gone/leader?acquire=${contender}`, 'y'))).toBe('false');
    await put(`/v1/session/destroy/${contender}`);
  });

  it("an agent check deregistered (through anti-entropy) invalidates the sessions bound to it; a warning does not", async () => {
    const agentPut = (path: string, body?: string) => put(`/v1/agent/check/${path}`, body);
    expect((await agentPut('register', JSON.stringify({ Name: 'lease-check', TTL: '60s', Status: 'passing' }))).status).toBe(200);
    const synced = async (status: string): Promise<boolean> => {
      const checks = (await (await fetch(`${http}/v1/health/node/${node}`)).json()) as { CheckID: string; Status: string }[];
      return checks.some((c) => c.CheckID === 'lease-check' && c.Status === status);
    };
    for (let i = 0; i < 100 && !(await synced('passing')); i++) await sleep(50);
    const id = await create({ NodeChecks: ['lease-check'], LockDelay: '0s' });
    expect(await textOf(await put(`/v1/kv/lease/lock?acquire=${id}`, 'x'))).toBe('true');

    expect((await agentPut('warn/lease-check?note=slow')).status).toBe(200);
    for (let i = 0; i < 100 && !(await synced('warning')); i++) await sleep(50);
    expect(await synced('warning')).toBe(true);
    expect(((await (await fetch(`${http}/v1/session/info/${id}`)).json()) as unknown[]).length).toBe(1);

    expect((await agentPut('deregister/lease-check')).status).toBe(200);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = (await textOf(await fetch(`${http}/v1/session/info/${id}`))) === '[]';
      if (!gone) await sleep(50);
    }
    expect(gone, 'the session was invalidated').toBe(true);
    const [entry] = (await (await fetch(`${http}/v1/kv/lease/lock`)).json()) as Record<string, unknown>[];
    expect(entry).toMatchObject({ LockIndex: 1, Value: Buffer.from('x').toString('base64') });
    expect(entry!['Session']).toBeUndefined();
  });

  it('sextant kv put -acquire / -release -session', async () => {
    const id = await create({});
    const run = (args: string[]) => runCommand(kvPutCommand, args, { SEXTANT_HTTP_ADDR: http, CONSUL_HTTP_ADDR: http });
    expect(await run(['-acquire', `-session=${id}`, 'cli/lock', 'mine'])).toEqual({ code: 0, stdout: 'Success! Lock acquired on: cli/lock\n', stderr: '' });
    const other = await create({});
    expect(await run(['-acquire', `-session=${other}`, 'cli/lock', 'theirs'])).toEqual({ code: 1, stdout: '', stderr: 'Error! Did not acquire lock\n' });
    expect(await run(['-release', `-session=${id}`, 'cli/lock'])).toEqual({ code: 0, stdout: 'Success! Lock released on: cli/lock\n', stderr: '' });
    expect(await run(['-acquire', 'cli/lock'])).toMatchObject({ code: 1, stderr: 'Error! Missing -session (required with -acquire and -release)\n' });
  });
});

describe('session_ttl_min', () => {
  it('a config file lowers the shortest TTL accepted; the texts name the configured minimum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-ttl-min-'));
    writeFileSync(join(dir, 'sessions.json'), JSON.stringify({ session_ttl_min: '1s' }));
    const started = await startInProcessAgent(['-dev', '-node', 'ttl-min-node', '-config-dir', dir]);
    try {
      const base = started.http;
      for (let i = 0; i < 100; i++) {
        const checks = (await (await fetch(`${base}/v1/health/node/ttl-min-node`)).json()) as { CheckID: string }[];
        if (checks.some((c) => c.CheckID === 'serfHealth')) break;
        await sleep(50);
      }
      const short = await fetch(`${base}/v1/session/create`, { method: 'PUT', body: '{"TTL":"0.5s"}' });
      expect([short.status, await short.text()]).toEqual([500, "Invalid Session TTL '500000000', must be between [1s=24h0m0s]"]);
      const ok = await fetch(`${base}/v1/session/create`, { method: 'PUT', body: '{"TTL":"1s"}' });
      expect(ok.status).toBe(200);
      const { ID: id } = (await ok.json()) as { ID: string };
      // Never renewed: the leader invalidates it after 2 × 1 s.
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        gone = ((await (await fetch(`${base}/v1/session/info/${id}`)).json()) as unknown[]).length === 0;
        if (!gone) await sleep(100);
      }
      expect(gone, 'the 1 s session expired').toBe(true);
    } finally {
      await started.agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
