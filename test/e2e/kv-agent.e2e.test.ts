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
    await consul.kv.del('client/a');
    expect(await consul.kv.get('client/a')).toBeUndefined();
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
