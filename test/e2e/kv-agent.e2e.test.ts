import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * The user story, end to end: a real `sextant agent -dev -data-dir` process, real HTTP,
 * the real `consul` npm client and the real CLI; restart keeps every key.
 */
describe('dev agent with a data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-e2e-'));
  const dataDir = join(dir, 'nested', 'data');
  const args = ['-dev', '-data-dir', dataDir, '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-node', 'e2e-node'];
  let agent: AgentProcess;

  const url = (path: string): string => `${agent.httpAddr}${path}`;

  beforeAll(async () => {
    agent = await startAgent(args);
  });
  afterAll(async () => {
    if (agent?.proc.exitCode === null) await agent.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the KV walk-through from the README', async () => {
    expect((await (await fetch(url('/v1/kv/web/key1'), { method: 'PUT', body: 'test' })).text()).trim()).toBe('true');
    expect((await (await fetch(url('/v1/kv/web/key2?flags=42'), { method: 'PUT', body: 'test' })).text()).trim()).toBe('true');
    const all = await fetch(url('/v1/kv/?recurse'));
    expect(all.status).toBe(200);
    const entries = (await all.json()) as { Key: string; Value: string; Flags: number; ModifyIndex: number; CreateIndex: number }[];
    expect(entries.map((e) => e.Key)).toEqual(['web/key1', 'web/key2']);
    expect(Buffer.from(entries[0]!.Value, 'base64').toString()).toBe('test');
    expect(entries[1]!.Flags).toBe(42);
    const idx = entries[0]!.ModifyIndex;
    expect((await (await fetch(url(`/v1/kv/web/key1?cas=${idx}`), { method: 'PUT', body: 'newval' })).text()).trim()).toBe('true');
    expect((await (await fetch(url(`/v1/kv/web/key1?cas=${idx}`), { method: 'PUT', body: 'again' })).text()).trim()).toBe('false');
    const miss = await fetch(url('/v1/kv/web/nope'));
    expect(miss.status).toBe(404);
    expect(await miss.text()).toBe('');
    expect(Number(miss.headers.get('x-consul-index'))).toBeGreaterThan(0);
    expect(miss.headers.get('x-consul-knownleader')).toBe('true');
  });

  it('blocks a read until the key changes', async () => {
    const first = await fetch(url('/v1/kv/web/key2'));
    const index = Number(first.headers.get('x-consul-index'));
    const t0 = Date.now();
    const parked = fetch(url(`/v1/kv/web/key2?index=${index}&wait=5s`));
    await new Promise((r) => setTimeout(r, 200));
    await fetch(url('/v1/kv/web/key2'), { method: 'PUT', body: 'changed' });
    const res = await parked;
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(Number(res.headers.get('x-consul-index'))).toBeGreaterThan(index);
    const [entry] = (await res.json()) as { Value: string }[];
    expect(Buffer.from(entry!.Value, 'base64').toString()).toBe('changed');
  });

  it('works with the consul npm client', async () => {
    const consul = new Consul({ host: '127.0.0.1', port: Number(new URL(agent.httpAddr).port) });
    expect(await consul.kv.set('client/a', 'from-node-client')).toBe(true);
    const got = (await consul.kv.get('client/a')) as { Value: string; Key: string };
    expect(got.Key).toBe('client/a');
    expect(got.Value).toBe('from-node-client');
    expect(await consul.kv.keys('client/')).toEqual(['client/a']);
    expect(await consul.status.leader()).toMatch(/^127\.0\.0\.1:\d+$/);

    // Check-and-set: cas=0 creates only; cas=N needs the current ModifyIndex. The client turns
    // Consul's `false` body into a falsy result.
    type Entry = { Value: string; ModifyIndex: number; Flags: number };
    expect(await consul.kv.set({ key: 'client/a', value: 'x', cas: 0 })).toBeFalsy();
    expect(await consul.kv.set({ key: 'client/new', value: 'n', cas: 0, flags: 9 })).toBe(true);
    const a = (await consul.kv.get('client/a')) as Entry;
    expect(await consul.kv.set({ key: 'client/a', value: 'v2', cas: a.ModifyIndex })).toBe(true);
    expect(await consul.kv.set({ key: 'client/a', value: 'v3', cas: a.ModifyIndex })).toBeFalsy();
    const a2 = (await consul.kv.get('client/a')) as Entry;
    expect(a2.Value).toBe('v2');
    expect(((await consul.kv.get('client/new')) as Entry).Flags).toBe(9);
    expect(await consul.kv.keys({ key: 'client/', separator: '/' })).toEqual(['client/a', 'client/new']);

    // A blocking get parks on the key's index and returns the new value once it is written.
    // (the client's typings lack index/wait, which it does send as ?index=&wait=)
    const parked = consul.kv.get({ key: 'client/a', index: a2.ModifyIndex, wait: '10s' } as never) as Promise<Entry>;
    await new Promise((r) => setTimeout(r, 200));
    expect(await consul.kv.set('client/a', 'v4')).toBe(true);
    const woken = await parked;
    expect(woken.Value).toBe('v4');
    expect(woken.ModifyIndex).toBeGreaterThan(a2.ModifyIndex);

    // Delete with cas: a stale index keeps the key, the current one deletes it.
    expect(await consul.kv.del({ key: 'client/a', cas: a2.ModifyIndex })).toBeFalsy();
    expect(await consul.kv.get('client/a')).toBeDefined();
    expect(await consul.kv.del({ key: 'client/a', cas: woken.ModifyIndex })).toBe(true);
    expect(await consul.kv.get('client/a')).toBeUndefined();
    await consul.kv.del({ key: 'client/', recurse: true });
    expect(await consul.kv.get({ key: 'client/', recurse: true })).toBeUndefined();
  });

  it('is driven by the CLI', async () => {
    const env = { SEXTANT_HTTP_ADDR: agent.httpAddr };
    const put = await runCli(['kv', 'put', 'web/key3', 'hello'], env);
    expect(put.stdout.trim()).toBe('Success! Data written to: web/key3');
    const get = await runCli(['kv', 'get', '-recurse', 'web/'], env);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('web/key3:hello');
    const viaConsulVar = await runCli(['kv', 'get', 'web/key3'], { CONSUL_HTTP_ADDR: agent.httpAddr });
    expect(viaConsulVar.stdout.trim()).toBe('hello');
    const members = await runCli(['members'], env);
    expect(members.code).toBe(0);
    expect(members.stdout).toMatch(/e2e-node\s+127\.0\.0\.1:\d+\s+alive\s+server/);
  });

  it('keeps every key across a clean restart', async () => {
    expect(await agent.stop()).toBe(0);
    agent = await startAgent(args);
    const res = await fetch(url('/v1/kv/web/?recurse'));
    const keys = ((await res.json()) as { Key: string }[]).map((e) => e.Key);
    expect(keys).toEqual(['web/key1', 'web/key2', 'web/key3']);
    expect((await (await fetch(url('/v1/kv/web/?recurse'), { method: 'DELETE' })).text()).trim()).toBe('true');
    expect((await fetch(url('/v1/kv/web/key1'))).status).toBe(404);
  });
});
