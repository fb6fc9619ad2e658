import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

interface Check {
  CheckID: string;
  Status: string;
  Output: string;
  Notes: string;
  ServiceID: string;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Issue 3's user story with a real agent process: services and checks from the config
 * directory and over HTTP, real check runners, reload, persistence across restarts,
 * maintenance, and anti-entropy against the real catalog.
 */
describe('services and checks on a real agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-svc-'));
  const conf = join(dir, 'conf.d');
  const dataDir = join(dir, 'data');
  let agent: AgentProcess;
  let api: http.Server;
  let apiPort = 0;
  let apiHealthy = false;
  const args = (): string[] => ['-dev', '-data-dir', dataDir, '-config-dir', conf, '-enable-script-checks', '-http-port', '0', '-dns-port', '-1', '-server-port', '0'];
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${agent.httpAddr}${path}`)).json()) as T;
  const checks = (): Promise<Record<string, Check>> => get('/v1/agent/checks');
  const status = async (id: string): Promise<string | undefined> => (await checks())[id]?.Status;

  beforeAll(async () => {
    api = http.createServer((req, res) => {
      res.writeHead(apiHealthy ? 200 : 503).end(apiHealthy ? 'ok' : 'down');
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
    apiPort = (api.address() as AddressInfo).port;
    mkdirSync(conf);
    writeFileSync(join(conf, 'web.json'), JSON.stringify({ service: { name: 'web', tags: ['rails'], port: 80, check: { args: [process.execPath, '-e', 'process.exit(0)'], interval: '1s' } } }));
    writeFileSync(
      join(conf, 'api.json'),
      JSON.stringify({
        service: {
          name: 'api',
          port: apiPort,
          checks: [
            { http: `http://127.0.0.1:${apiPort}/health`, interval: '1s', timeout: '1s' },
            { tcp: `127.0.0.1:${apiPort}`, interval: '1s' },
          ],
        },
      }),
    );
    agent = await startAgent(args());
  });
  afterAll(async () => {
    if (agent?.proc.exitCode === null) await agent.stop();
    await new Promise((r) => api.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs config-directory checks and answers catalog and health queries', async () => {
    await until('web passing', async () => ((await status('service:web')) === 'passing' ? true : undefined));
    // Initial status is critical; wait for the first real runs (they fill in the output).
    await until('api checks ran', async () => {
      const c = await checks();
      return c['service:api:1']?.Output && c['service:api:2']?.Output ? true : undefined;
    });
    const web = await get<{ ServiceName: string; ServiceTags: string[]; ServicePort: number }[]>('/v1/catalog/service/web');
    expect(web).toMatchObject([{ ServiceName: 'web', ServiceTags: ['rails'], ServicePort: 80 }]);
    const services = await get<Record<string, string[]>>('/v1/catalog/services');
    expect(services).toEqual({ api: [], consul: [], web: ['rails'] });
    await until('web in health?passing', async () => ((await get<unknown[]>('/v1/health/service/web?passing')).length === 1 ? true : undefined));
    const webHealth = await get<{ Checks: Check[] }[]>('/v1/health/service/web');
    expect(webHealth[0]!.Checks.map((c) => c.CheckID)).toEqual(['serfHealth', 'service:web']);
    expect(await get<unknown[]>('/v1/health/service/api?passing')).toEqual([]);
    const critical = await until('api checks critical in the catalog', async () => {
      const c = await get<Check[]>('/v1/health/state/critical');
      return c.some((x) => x.CheckID === 'service:api:1') ? c : undefined;
    });
    expect(critical.find((c) => c.CheckID === 'service:api:1')!.Status).toBe('critical');
    // The agent shows the live output; the catalog gets output-only changes lazily, as Consul does.
    expect((await checks())['service:api:1']!.Output).toBe(`HTTP GET http://127.0.0.1:${apiPort}/health: 503 Service Unavailable Output: down`);
    expect((await checks())['service:api:2']!.Output).toBe(`TCP connect 127.0.0.1:${apiPort}: Success`);
    apiHealthy = true;
    await until('api passing', async () => ((await get<unknown[]>('/v1/health/service/api?passing')).length === 1 ? true : undefined));
  });

  it('registers over HTTP with a TTL check, and keeps it, status included, across a restart', async () => {
    const consul = new Consul({ host: '127.0.0.1', port: Number(new URL(agent.httpAddr).port) });
    // The client's typings demand fields Consul does not (name, timeout); send what users send.
    await consul.agent.service.register({ name: 'cache', port: 6379, check: { ttl: '15s' } } as unknown as Parameters<typeof consul.agent.service.register>[0]);
    expect(await status('service:cache')).toBe('critical');
    await consul.agent.check.pass({ id: 'service:cache', note: 'warm' });
    expect((await checks())['service:cache']).toMatchObject({ Status: 'passing', Output: 'warm' });
    await until('cache passing in the catalog', async () => ((await get<unknown[]>('/v1/health/service/cache?passing')).length === 1 ? true : undefined));

    expect(await agent.stop()).toBe(0);
    agent = await startAgent(args());
    // Restored from the data dir, TTL status included (still within its TTL).
    expect((await checks())['service:cache']).toMatchObject({ Status: 'passing', Output: 'warm' });
    expect((await get<Record<string, unknown>>('/v1/agent/services'))['cache']).toMatchObject({ Service: 'cache', Port: 6379 });
  });

  it('reload adds, removes and keeps services and checks as the directory changed', async () => {
    await until('web passing', async () => ((await status('service:web')) === 'passing' ? true : undefined));
    rmSync(join(conf, 'api.json'));
    writeFileSync(join(conf, 'db.json'), JSON.stringify({ service: { name: 'db', port: 5432 } }));
    const reload = await runCli(['reload'], { SEXTANT_HTTP_ADDR: agent.httpAddr });
    expect(reload.code).toBe(0);
    // The unchanged web check kept running with its state: no fall-back to the initial critical.
    expect(await status('service:web')).toBe('passing');
    expect(await status('service:api:1')).toBeUndefined();
    await until('catalog updated', async () => {
      const s = await get<Record<string, string[]>>('/v1/catalog/services');
      return !('api' in s) && 'db' in s ? true : undefined;
    });
  });

  it('anti-entropy removes catalog entries of this node that the agent does not have', async () => {
    const node = (await get<{ Config: { NodeName: string } }>('/v1/agent/self')).Config.NodeName;
    const res = await fetch(`${agent.httpAddr}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({ Node: node, Address: '127.0.0.1', Service: { Service: 'intruder', Port: 1 } }),
    });
    expect(res.status).toBe(200);
    expect(await get<Record<string, string[]>>('/v1/catalog/services')).toHaveProperty('intruder');
    await fetch(`${agent.httpAddr}/v1/agent/reload`, { method: 'PUT' }); // a reload asks for a full sync
    await until('intruder removed', async () => (!('intruder' in (await get<Record<string, string[]>>('/v1/catalog/services'))) ? true : undefined));
  });

  it('node maintenance adds a critical check that survives a restart and goes away when disabled', async () => {
    const enable = await fetch(`${agent.httpAddr}/v1/agent/maintenance?enable=true&reason=patching`, { method: 'PUT' });
    expect(enable.status).toBe(200);
    expect((await checks())['_node_maintenance']).toMatchObject({ Status: 'critical', Notes: 'patching' });
    expect(await agent.stop()).toBe(0);
    agent = await startAgent(args());
    expect((await checks())['_node_maintenance']).toMatchObject({ Status: 'critical', Notes: 'patching' });
    expect(await get<unknown[]>('/v1/health/service/web?passing')).toEqual([]);
    await fetch(`${agent.httpAddr}/v1/agent/maintenance?enable=false`, { method: 'PUT' });
    expect((await checks())['_node_maintenance']).toBeUndefined();
  });

  it('refuses bad definitions with a 400 that names the problem, registering nothing', async () => {
    const noInterval = await fetch(`${agent.httpAddr}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'broken', Check: { HTTP: 'http://127.0.0.1:1/' } }),
    });
    expect(noInterval.status).toBe(400);
    expect((await noInterval.text()).toLowerCase()).toContain('interval');
    const noName = await fetch(`${agent.httpAddr}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Port: 1 }) });
    expect(noName.status).toBe(400);
    expect(await noName.text()).toMatch(/name/i);
    const badJson = await fetch(`${agent.httpAddr}/v1/agent/service/register`, { method: 'PUT', body: '{"Name": ' });
    expect(badJson.status).toBe(400);
    expect((await get<Record<string, unknown>>('/v1/agent/services'))['broken']).toBeUndefined();
    const getOnPut = await fetch(`${agent.httpAddr}/v1/agent/service/register`);
    expect(getOnPut.status).toBe(405);
  });

  it('acknowledged registrations, TTL statuses, maintenance and deregistrations survive kill -9 right after their 200', async () => {
    const put = async (path: string, body?: unknown): Promise<number> =>
      (await fetch(`${agent.httpAddr}${path}`, { method: 'PUT', ...(body ? { body: JSON.stringify(body) } : {}) })).status;
    expect(await put('/v1/agent/service/register', { Name: 'durable', Port: 7000, Check: { TTL: '1m' } })).toBe(200);
    expect(await put('/v1/agent/check/register', { Name: 'disk', TTL: '1m' })).toBe(200);
    expect(await put('/v1/agent/check/warn/service:durable?note=slow')).toBe(200);
    expect(await put('/v1/agent/service/maintenance/durable?enable=true&reason=upgrade')).toBe(200);
    await agent.kill9(); // no graceful shutdown: only what was on disk at the 200 counts
    agent = await startAgent(args());
    expect((await get<Record<string, unknown>>('/v1/agent/services'))['durable']).toMatchObject({ Port: 7000 });
    const c = await checks();
    expect(c['service:durable']).toMatchObject({ Status: 'warning', Output: 'slow' });
    expect(c['disk']).toBeDefined();
    expect(c['_service_maintenance:durable']).toMatchObject({ Status: 'critical', Notes: 'upgrade' });

    expect(await put('/v1/agent/service/maintenance/durable?enable=false')).toBe(200);
    expect(await put('/v1/agent/service/deregister/durable')).toBe(200);
    expect(await put('/v1/agent/check/deregister/disk')).toBe(200);
    await agent.kill9();
    agent = await startAgent(args());
    expect((await get<Record<string, unknown>>('/v1/agent/services'))['durable']).toBeUndefined();
    const after = await checks();
    expect(Object.keys(after).filter((id) => id.includes('durable') || id === 'disk')).toEqual([]);
  });

  it('a registration whose file cannot be written answers 500 with the reason and registers nothing, not even in the catalog', async () => {
    const services = join(dataDir, 'services');
    renameSync(services, `${services}.aside`);
    writeFileSync(services, 'a regular file where the agent needs its services directory');
    try {
      const res = await fetch(`${agent.httpAddr}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Name: 'nodisk', Port: 1, Check: { TTL: '1m' } }) });
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toMatch(/^failed persisting service "nodisk": E[A-Z]+: .*services/);
      expect((await get<Record<string, unknown>>('/v1/agent/services'))['nodisk']).toBeUndefined();
      expect((await checks())['service:nodisk']).toBeUndefined();
      // Syncs run in order: once a later registration is in the catalog, the refused one would be too.
      const ok = await fetch(`${agent.httpAddr}/v1/agent/check/register`, { method: 'PUT', body: JSON.stringify({ Name: 'marker', TTL: '1m' }) });
      expect(ok.status).toBe(200);
      await fetch(`${agent.httpAddr}/v1/agent/reload`, { method: 'PUT' }); // and a full sync
      const node = (await get<{ Config: { NodeName: string } }>('/v1/agent/self')).Config.NodeName;
      await until('marker in the catalog', async () => ((await get<Check[]>(`/v1/health/node/${node}`)).some((c) => c.CheckID === 'marker') ? true : undefined));
      expect(await get<Record<string, string[]>>('/v1/catalog/services')).not.toHaveProperty('nodisk');
    } finally {
      rmSync(services);
      renameSync(`${services}.aside`, services);
    }
    // Nothing of it after a restart either.
    await agent.kill9();
    agent = await startAgent(args());
    expect((await get<Record<string, unknown>>('/v1/agent/services'))['nodisk']).toBeUndefined();
    expect((await checks())['marker']).toBeDefined();
  });
});
