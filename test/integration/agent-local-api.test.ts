import Consul from 'consul';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalApi } from '../unit/agent/rest-harness.js';
import type { LocalApiHarness } from '../unit/agent/rest-harness.js';

let h: LocalApiHarness;
const url = (p: string): string => h.base + p;
const put = (p: string, body?: unknown): Promise<Response> =>
  fetch(url(p), { method: 'PUT', body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
async function answer(r: Response | Promise<Response>): Promise<[number, string]> {
  const res = await r;
  return [res.status, await res.text()];
}

beforeEach(async () => {
  h = await startLocalApi();
});
afterEach(async () => {
  await h.stop();
});

describe('agent service/check endpoints with the consul npm client', () => {
  it('registers a service with a TTL check, passes it, lists checks, deregisters', async () => {
    const consul = new Consul({ host: '127.0.0.1', port: h.port });
    // The client's typings lag its runtime (it accepts any check fields): cast the options.
    await consul.agent.service.register({ name: 'cache', port: 6379, tags: ['redis'], check: { ttl: '15s', notes: 'ttl' } } as never);
    const services = (await consul.agent.services()) as unknown as Record<string, Record<string, unknown>>;
    expect(services['cache']).toEqual({
      ID: 'cache',
      Service: 'cache',
      Tags: ['redis'],
      Meta: {},
      Port: 6379,
      Address: '',
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
      Datacenter: 'dc1',
    });
    let checks = (await consul.agent.checks()) as unknown as Record<string, Record<string, unknown>>;
    expect(checks['service:cache']).toMatchObject({ Status: 'critical', Name: "Service 'cache' check", Notes: 'ttl', ServiceName: 'cache', ServiceTags: ['redis'] });
    await consul.agent.check.pass({ id: 'service:cache', note: 'all good' });
    checks = (await consul.agent.checks()) as unknown as Record<string, Record<string, unknown>>;
    expect(checks['service:cache']).toMatchObject({ Status: 'passing', Output: 'all good' });
    await consul.agent.check.fail('service:cache');
    expect(((await consul.agent.checks()) as unknown as Record<string, { Status: string }>)['service:cache']!.Status).toBe('critical');
    await consul.agent.check.register({ name: 'mem', ttl: '1m' } as never);
    expect(Object.keys((await consul.agent.checks()) as object).sort()).toEqual(['mem', 'service:cache']);
    await consul.agent.check.deregister('mem');
    await consul.agent.service.deregister('cache');
    expect(await consul.agent.services()).toEqual({});
    expect(await consul.agent.checks()).toEqual({});
  });

  it('accepts the issue example body and snake_case keys over plain HTTP', async () => {
    expect(await answer(put('/v1/agent/service/register', { Name: 'cache', Port: 6379, Check: { TTL: '15s' } }))).toEqual([200, '']);
    expect(await answer(put('/v1/agent/check/pass/service:cache'))).toEqual([200, '']);
    expect(await answer(put('/v1/agent/service/register', { name: 'api', id: 'api-1', port: 9000, checks: [{ ttl: '10s' }, { ttl: '20s', status: 'passing' }] }))).toEqual([200, '']);
    const checks = (await (await fetch(url('/v1/agent/checks'))).json()) as Record<string, { Status: string }>;
    expect(Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v.Status]))).toEqual({
      'service:api-1:1': 'critical',
      'service:api-1:2': 'passing',
      'service:cache': 'passing',
    });
  });

  it('GET /v1/agent/service/:id: the service with its ContentHash; 404 when unknown', async () => {
    await put('/v1/agent/service/register', { Name: 'web', Port: 80 });
    const r = await fetch(url('/v1/agent/service/web'));
    expect(r.status).toBe(200);
    const body = (await r.json()) as { ID: string; ContentHash: string };
    expect(body.ID).toBe('web');
    expect(r.headers.get('x-consul-contenthash')).toBe(body.ContentHash);
    expect(body.ContentHash).toMatch(/^[0-9a-f]{16}$/);
    expect(await answer(fetch(url('/v1/agent/service/nope')))).toEqual([404, 'unknown service ID: nope']);
  });

  it('GET /v1/agent/service/:id?hash= blocks until the service changes (Consul hash-based blocking)', async () => {
    await put('/v1/agent/service/register', { Name: 'web', Port: 80 });
    const first = (await (await fetch(url('/v1/agent/service/web'))).json()) as { ContentHash: string };
    // Unchanged: parks for ?wait, then answers the same hash.
    const idle = (await (await fetch(url(`/v1/agent/service/web?hash=${first.ContentHash}&wait=200ms`))).json()) as { ContentHash: string };
    expect(idle.ContentHash).toBe(first.ContentHash);
    // Changed while parked: answered with the new definition.
    let answered = false;
    const parked = fetch(url(`/v1/agent/service/web?hash=${first.ContentHash}&wait=30s`)).then(async (r) => {
      answered = true;
      return (await r.json()) as { Port: number; ContentHash: string };
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    await put('/v1/agent/service/register', { Name: 'web', Port: 81 });
    const changed = await parked;
    expect(changed.Port).toBe(81);
    expect(changed.ContentHash).not.toBe(first.ContentHash);
    // Deregistered while parked: 404.
    const gone = fetch(url(`/v1/agent/service/web?hash=${changed.ContentHash}&wait=30s`));
    await new Promise((r) => setTimeout(r, 50));
    await put('/v1/agent/service/deregister/web');
    expect((await gone).status).toBe(404);
  });

  it('?filter on /v1/agent/services and /v1/agent/checks', async () => {
    await put('/v1/agent/service/register', { Name: 'web', Tags: ['a'] });
    await put('/v1/agent/service/register', { Name: 'db', Tags: ['b'], Check: { TTL: '1m' } });
    const svcs = (await (await fetch(url(`/v1/agent/services?filter=${encodeURIComponent('"a" in Tags')}`))).json()) as object;
    expect(Object.keys(svcs)).toEqual(['web']);
    const checks = (await (await fetch(url(`/v1/agent/checks?filter=${encodeURIComponent('ServiceName == "web"')}`))).json()) as object;
    expect(checks).toEqual({});
  });

  it('answers bad input with 400 naming the field, unknown ids with 404, GET on write endpoints with 405', async () => {
    expect(await answer(put('/v1/agent/service/register', { Port: 80 }))).toEqual([400, 'Missing service name']);
    expect(await answer(put('/v1/agent/service/register', '{"Name": '))).toEqual([400, expect.stringMatching(/^Request decode failed: /)]);
    expect(await answer(put('/v1/agent/service/register', { Name: 'w', Check: { HTTP: 'http://x' } }))).toEqual([400, 'Invalid check: interval is required for http checks (and must be > 0)']);
    expect(await answer(put('/v1/agent/service/register', { Name: 'w', Check: { HTTP: 'http://x', Interval: '-5s' } }))).toEqual([400, 'Invalid check: interval must not be negative: "-5s"']);
    expect(await answer(put('/v1/agent/service/register', { Name: 'w', Check: { GRPC: 'x:1', Interval: '5s' } }))).toEqual([
      400,
      'Invalid check: unknown check kind: no loaded check runner accepts "grpc" (loaded check kinds: docker, http, script, tcp, ttl)',
    ]);
    expect(await answer(put('/v1/agent/service/register', { Name: 'w', Check: { Args: ['true'], Interval: '5s' } }))).toEqual([
      400,
      "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
    ]);
    expect(await answer(put('/v1/agent/service/deregister/ghost'))).toEqual([404, 'Unknown service ID "ghost". Ensure that the service ID is passed, not the service name.']);
    expect(await answer(put('/v1/agent/check/deregister/ghost'))).toEqual([404, 'Unknown check ID "ghost". Ensure that the check ID is passed, not the check name.']);
    expect(await answer(put('/v1/agent/check/pass/ghost'))).toEqual([404, 'Unknown check ID "ghost". Ensure that the check ID is passed, not the check name.']);
    for (const p of ['/v1/agent/service/register', '/v1/agent/service/deregister/x', '/v1/agent/check/pass/x', '/v1/agent/check/register', '/v1/agent/maintenance']) {
      const r = await fetch(url(p));
      expect([r.status, await r.text(), r.headers.get('allow')]).toEqual([405, 'method GET not allowed', 'PUT']);
    }
  });

  it('check/update sets status and output (truncated to 4 KB with Consul\'s suffix); bad status is 400', async () => {
    await put('/v1/agent/check/register', { Name: 'job', TTL: '1m' });
    expect(await answer(put('/v1/agent/check/update/job', { Status: 'warning', Output: 'y'.repeat(5000) }))).toEqual([200, '']);
    const c = ((await (await fetch(url('/v1/agent/checks'))).json()) as Record<string, { Status: string; Output: string }>)['job']!;
    expect(c.Status).toBe('warning');
    expect(c.Output).toBe(`${'y'.repeat(4096)} ... (captured 4096 of 5000 bytes)`);
    expect(await answer(put('/v1/agent/check/update/job', { status: 'bogus' }))).toEqual([400, "Invalid check status: 'bogus'"]);
    expect(await answer(put('/v1/agent/check/warn/job?note=careful'))).toEqual([200, '']);
  });

  it('maintenance endpoints: enable required, critical checks added and removed', async () => {
    await put('/v1/agent/service/register', { Name: 'web', Check: { TTL: '1m', Status: 'passing' } });
    expect(await answer(put('/v1/agent/maintenance'))).toEqual([400, 'Missing value for enable']);
    expect(await answer(put('/v1/agent/maintenance?enable=maybe'))).toEqual([400, 'Invalid value for enable: "maybe"']);
    expect(await answer(put('/v1/agent/service/maintenance/ghost?enable=true'))).toEqual([404, 'No service registered with ID "ghost"']);
    expect(await answer(put('/v1/agent/service/maintenance/web?enable=true&reason=deploy'))).toEqual([200, '']);
    expect(await answer(put('/v1/agent/maintenance?enable=true'))).toEqual([200, '']);
    const checks = (await (await fetch(url('/v1/agent/checks'))).json()) as Record<string, { Notes: string; Status: string }>;
    expect(checks['_service_maintenance:web']).toMatchObject({ Status: 'critical', Notes: 'deploy' });
    expect(checks['_node_maintenance']).toMatchObject({ Status: 'critical', Notes: 'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.' });
    expect(await answer(fetch(url('/v1/agent/health/service/id/web?format=text')))).toEqual([503, 'maintenance']);
    await put('/v1/agent/maintenance?enable=false');
    await put('/v1/agent/service/maintenance/web?enable=false');
    expect(await answer(fetch(url('/v1/agent/health/service/id/web?format=text')))).toEqual([200, 'passing']);
  });

  it('health by id and by name: 200/429/503/404, JSON or text', async () => {
    await put('/v1/agent/service/register', { Name: 'web', ID: 'web1', Check: { TTL: '1m', Status: 'passing' } });
    await put('/v1/agent/service/register', { Name: 'web', ID: 'web2', Check: { TTL: '1m', Status: 'passing' } });
    const r = await fetch(url('/v1/agent/health/service/id/web1'));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ AggregatedStatus: 'passing', Service: { ID: 'web1', Service: 'web' }, Checks: [{ CheckID: 'service:web1', Status: 'passing' }] });
    await put('/v1/agent/check/warn/service:web2');
    expect(await answer(fetch(url('/v1/agent/health/service/name/web?format=text')))).toEqual([429, 'warning']);
    await put('/v1/agent/check/fail/service:web1');
    expect(await answer(fetch(url('/v1/agent/health/service/name/web'), { headers: { Accept: 'text/plain' } }))).toEqual([503, 'critical']);
    const all = (await (await fetch(url('/v1/agent/health/service/name/web'))).json()) as { AggregatedStatus: string }[];
    expect(all.map((x) => x.AggregatedStatus)).toEqual(['critical', 'warning']);
    expect(await answer(fetch(url('/v1/agent/health/service/id/nope')))).toEqual([404, '{"AggregatedStatus":"critical","Service":null,"Checks":null}']);
    expect(await answer(fetch(url('/v1/agent/health/service/id/nope?format=text')))).toEqual([404, 'ServiceId nope not found']);
    expect(await answer(fetch(url('/v1/agent/health/service/name/nope')))).toEqual([404, '[]']);
  });

  it('?replace-existing-checks drops the checks the new definition does not have', async () => {
    await put('/v1/agent/service/register', { Name: 'web', Checks: [{ TTL: '1m' }, { TTL: '2m' }] });
    await put('/v1/agent/service/register?replace-existing-checks=true', { Name: 'web', Check: { TTL: '1m', CheckID: 'service:web:1' } });
    expect(Object.keys((await (await fetch(url('/v1/agent/checks'))).json()) as object)).toEqual(['service:web:1']);
  });
});
