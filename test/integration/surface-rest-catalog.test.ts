import Consul from 'consul';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeJson } from '../../plugins/surface-rest/json-encode.js';
import { RestSurface } from '../../plugins/surface-rest/rest-surface.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { TextLogger } from '../../src/platform/text-logger.js';
import { CatalogEndpoint } from '../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../src/rpc/health-endpoint.js';
import { StateStore } from '../../src/state/state-store.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { FakeRaft } from '../unit/rpc/fake-raft.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from '../unit/surface-rest/fakes.js';

interface Harness {
  surface: RestSurface;
  base: string;
  port: number;
  store: StateStore;
}

let h: Harness;

async function start(): Promise<Harness> {
  const clock = new SystemClock();
  const config = testConfig();
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const deps = { store, raft, clock, config: { datacenter: config.datacenter, defaultQueryTimeMs: config.defaultQueryTimeMs, maxQueryTimeMs: config.maxQueryTimeMs } };
  const surface = new RestSurface({
    config,
    kv: new FakeKv(),
    status: new FakeStatus(),
    agent: new FakeAgent(),
    catalog: new CatalogEndpoint(deps),
    health: new HealthEndpoint(deps),
    logger: TextLogger.create({ level: 'error', sink: () => {}, clock }).child('http'),
    clock,
    random: new SeededRandom(3),
  });
  await surface.start();
  const addr = surface.addresses()[0] ?? '';
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  return { surface, base: `http://${addr}`, port, store };
}

const url = (p: string): string => h.base + p;
const put = (p: string, body: unknown): Promise<Response> => fetch(url(p), { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });
const getJson = async <T = unknown>(p: string): Promise<{ status: number; index: number; body: T }> => {
  const r = await fetch(url(p));
  const text = await r.text();
  return { status: r.status, index: Number(r.headers.get('x-consul-index')), body: (r.status === 200 ? JSON.parse(text) : text) as T };
};

async function seed(): Promise<void> {
  const regs = [
    { node: 'node-b', address: '10.0.0.2', nodemeta: { Env: 'dev' }, service: { service: 'web', id: 'web-b', tags: ['rails', 'v2'], port: 81 }, checks: [{ checkid: 'serfHealth', name: 'Serf Health Status', status: 'passing' }, { checkid: 'web-b-http', serviceid: 'web-b', status: 'critical' }] },
    { Node: 'node-a', Address: '10.0.0.1', NodeMeta: { Env: 'prod' }, Service: { Service: 'web', Tags: ['rails'], Port: 80, Meta: { Version: '1' } }, Checks: [{ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' }, { CheckID: 'web-http', ServiceID: 'web', Status: 'passing', Definition: { HTTP: 'http://10.0.0.1/health', Interval: '10s' } }] },
    { Node: 'node-a', Address: '10.0.0.1', NodeMeta: { Env: 'prod' }, Service: { Service: 'consul', Port: 8300 } },
  ];
  for (const r of regs) {
    const res = await put('/v1/catalog/register', r);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('true');
  }
}

describe('REST surface: catalog', () => {
  beforeEach(async () => {
    h = await start();
    await seed();
  });
  afterEach(async () => {
    await h.surface.stop();
  });

  it('decodes field names in any case but keeps map keys as sent', async () => {
    const node = await getJson<{ Node: { Meta: Record<string, string> }; Services: Record<string, { Meta: Record<string, string> }> }>('/v1/catalog/node/node-a');
    expect(node.body.Node.Meta).toEqual({ Env: 'prod' });
    expect(node.body.Services['web']!.Meta).toEqual({ Version: '1' });
  });

  it('lists services as a tag union, nodes by name and datacenters', async () => {
    const s = await getJson('/v1/catalog/services');
    expect(s.body).toEqual({ consul: [], web: ['rails', 'v2'] });
    expect(s.index).toBe(3);
    expect((await getJson<{ Node: string }[]>('/v1/catalog/nodes')).body.map((n) => n.Node)).toEqual(['node-a', 'node-b']);
    expect((await getJson<{ Node: string }[]>('/v1/catalog/nodes?node-meta=Env:dev')).body.map((n) => n.Node)).toEqual(['node-b']);
    expect((await getJson('/v1/catalog/datacenters')).body).toEqual(['dc1']);
  });

  it('answers /catalog/service with flattened fields, ?tag (AND), ?node-meta and ?filter', async () => {
    const r = await getJson<Record<string, unknown>[]>('/v1/catalog/service/web');
    expect(r.status).toBe(200);
    expect(r.index).toBe(2);
    expect(r.body.map((x) => [x['Node'], x['ServiceID'], x['ServicePort']])).toEqual([
      ['node-a', 'web', 80],
      ['node-b', 'web-b', 81],
    ]);
    expect(r.body[0]).toMatchObject({ Address: '10.0.0.1', Datacenter: 'dc1', ServiceAddress: '', ServiceName: 'web', ServiceTags: ['rails'], NodeMeta: { Env: 'prod' }, ServiceWeights: { Passing: 1, Warning: 1 } });
    const tagged = await getJson<{ Node: string }[]>('/v1/catalog/service/web?tag=rails&tag=v2');
    expect(tagged.body.map((x) => x.Node)).toEqual(['node-b']);
    const filtered = await getJson<{ Node: string }[]>(`/v1/catalog/service/web?filter=${encodeURIComponent('ServicePort == 80 and NodeMeta.Env == prod')}`);
    expect(filtered.body.map((x) => x.Node)).toEqual(['node-a']);
    expect((await getJson('/v1/catalog/service/nothing')).body).toEqual([]);
  });

  it('answers /catalog/node in map form, null when unknown; /node-services in list form', async () => {
    const n = await getJson<{ Node: { Node: string }; Services: Record<string, unknown> }>('/v1/catalog/node/node-a');
    expect(Object.keys(n.body.Services)).toEqual(['consul', 'web']);
    const missing = await fetch(url('/v1/catalog/node/ghost'));
    expect(missing.status).toBe(200);
    expect(await missing.text()).toBe('null');
    expect(missing.headers.get('x-consul-index')).not.toBeNull();
    const list = await getJson<{ Services: { ID: string }[] }>('/v1/catalog/node-services/node-a');
    expect(list.body.Services.map((s) => s.ID)).toEqual(['consul', 'web']);
  });

  it('rejects bad input with plain-text 400s', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/v1/catalog/register', { Address: '1.2.3.4' }, /^Must provide node$/],
      ['/v1/catalog/register', { Node: 'x' }, /^Must provide address/],
      ['/v1/catalog/register', '{not json', /^Request decode failed/],
      ['/v1/catalog/register', { Node: 'x', Address: 'y', Check: { CheckID: 'c', ServiceID: 'nope' } }, /Missing service registration/],
      ['/v1/catalog/deregister', {}, /^Must provide node$/],
    ];
    for (const [path, body, want] of cases) {
      const r = await put(path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(await r.text()).toMatch(want);
    }
    const f = await getJson<string>(`/v1/catalog/nodes?filter=${encodeURIComponent('Node ==')}`);
    expect(f.status).toBe(400);
    expect(f.body).toMatch(/^Failed to create boolean expression evaluator: 1:8 \(7\)/);
    expect((await getJson('/v1/health/state/bogus')).status).toBe(400);
    expect((await fetch(url('/v1/catalog/register'))).status).toBe(405);
    // An empty name is Consul's 400 `Missing …`, not a 404.
    for (const [path, text] of [
      ['/v1/catalog/service/', 'Missing service name'],
      ['/v1/catalog/node/', 'Missing node name'],
      ['/v1/catalog/node-services/', 'Missing node name'],
      ['/v1/health/node/', 'Missing node name'],
      ['/v1/health/checks/', 'Missing service name'],
      ['/v1/health/service/', 'Missing service name'],
      ['/v1/health/state/', 'Missing check state'],
    ] as const) {
      const r = await fetch(url(path));
      expect([r.status, await r.text()], path).toEqual([400, text]);
    }
  });

  it('deregisters a service, then a node with everything on it', async () => {
    expect(await (await put('/v1/catalog/deregister', { Node: 'node-b', ServiceID: 'web-b' })).text()).toBe('true');
    expect((await getJson<unknown[]>('/v1/catalog/service/web')).body).toHaveLength(1);
    await put('/v1/catalog/deregister', { node: 'node-a' });
    expect((await getJson<unknown[]>('/v1/catalog/service/web')).body).toEqual([]);
    expect((await getJson('/v1/catalog/services')).body).toEqual({});
    expect((await getJson<unknown[]>('/v1/health/node/node-a')).body).toEqual([]);
  });
});

describe('REST surface: health', () => {
  beforeEach(async () => {
    h = await start();
    await seed();
  });
  afterEach(async () => {
    await h.surface.stop();
  });

  it('answers /health/service entries with node checks first, ?passing and ?filter', async () => {
    const r = await getJson<{ Node: { Node: string }; Service: { ID: string }; Checks: { CheckID: string }[] }[]>('/v1/health/service/web');
    expect(r.body.map((e) => [e.Node.Node, e.Service.ID, e.Checks.map((c) => c.CheckID)])).toEqual([
      ['node-a', 'web', ['serfHealth', 'web-http']],
      ['node-b', 'web-b', ['serfHealth', 'web-b-http']],
    ]);
    expect((await getJson<{ Node: { Node: string } }[]>('/v1/health/service/web?passing')).body.map((e) => e.Node.Node)).toEqual(['node-a']);
    expect((await getJson<unknown[]>('/v1/health/service/web?passing=false')).body).toHaveLength(2);
    const f = await getJson<{ Node: { Node: string } }[]>(`/v1/health/service/web?filter=${encodeURIComponent('"v2" in Service.Tags')}`);
    expect(f.body.map((e) => e.Node.Node)).toEqual(['node-b']);
    expect((await getJson('/v1/health/service/nothing')).body).toEqual([]);
  });

  it('sends a large /health/service answer exactly as encodeJson writes it, compact and ?pretty, the same when sent again', async () => {
    for (let i = 0; i < 40; i++) {
      const res = await put('/v1/catalog/register', {
        Node: `big-${i}`,
        Address: `10.1.0.${i}`,
        NodeMeta: { note: 'a<b> & "c" \u2028 é \u{1F680}', empty: '' },
        Service: { Service: 'big', ID: `big-${i}`, Tags: ['<t>', 'ü'], Port: 1000 + i, Meta: {} },
        Checks: [{ CheckID: `big-${i}`, Name: 'big & <check>', ServiceID: `big-${i}`, Status: 'passing', Output: 'ok\u2029', Definition: { HTTP: 'http://x/?a=1&b=2', Header: {} } }],
      });
      expect(res.status).toBe(200);
    }
    const bodies: Record<string, string[]> = { compact: [], pretty: [] };
    for (let i = 0; i < 3; i++) {
      bodies['compact']!.push(await (await fetch(url('/v1/health/service/big'))).text());
      bodies['pretty']!.push(await (await fetch(url('/v1/health/service/big?pretty'))).text());
    }
    const compact = bodies['compact']![0]!;
    const pretty = bodies['pretty']![0]!;
    expect(compact.length).toBeGreaterThan(16 * 1024);
    const value = JSON.parse(compact) as { Node: { Meta: Record<string, string> } }[];
    expect(value).toHaveLength(40);
    expect(value[0]!.Node.Meta['note']).toBe('a<b> & "c" \u2028 é \u{1F680}');
    expect(compact).toContain('"note":"a\\u003cb\\u003e \\u0026 \\"c\\" \\u2028 é \u{1F680}"');
    expect(compact).toBe(encodeJson(value, false));
    expect(pretty).toBe(encodeJson(value, true));
    expect(bodies['compact']).toEqual([compact, compact, compact]);
    expect(bodies['pretty']).toEqual([pretty, pretty, pretty]);
  });

  it('answers checks by state, by service and by node', async () => {
    const crit = await getJson<{ Node: string; CheckID: string; ServiceName: string }[]>('/v1/health/state/critical');
    expect(crit.body.map((c) => [c.Node, c.CheckID, c.ServiceName])).toEqual([['node-b', 'web-b-http', 'web']]);
    expect((await getJson<unknown[]>('/v1/health/state/any')).body).toHaveLength(4);
    expect((await getJson<unknown[]>('/v1/health/state/passing?node-meta=Env:prod')).body).toHaveLength(2);
    expect((await getJson<{ CheckID: string }[]>('/v1/health/checks/web')).body.map((c) => c.CheckID)).toEqual(['web-http', 'web-b-http']);
    const node = await getJson<{ CheckID: string; Name: string; Definition: unknown }[]>('/v1/health/node/node-a');
    expect(node.body.map((c) => c.CheckID)).toEqual(['serfHealth', 'web-http']);
    expect(node.body[0]!.Name).toBe('Serf Health Status');
    expect(node.body[1]!.Definition).toEqual({ HTTP: 'http://10.0.0.1/health', Interval: '10s' });
  });

  it('blocks /health/service on that service: a change to another service does not answer it, a node check flip does', async () => {
    const first = await getJson('/v1/health/service/web?passing');
    const started = Date.now();
    const pending = getJson<{ Node: { Node: string } }[]>(`/v1/health/service/web?passing&index=${first.index}&wait=5s`);
    await new Promise((r) => setTimeout(r, 100));
    await put('/v1/catalog/register', { Node: 'node-a', Address: '10.0.0.1', NodeMeta: { Env: 'prod' }, Service: { Service: 'consul', Port: 8301 } });
    // node-a runs web too, so a node-level change is the only thing that may wake it; consul's port is not
    const other = await getJson(`/v1/catalog/service/web?index=${first.index}&wait=300ms`);
    expect(other.index).toBe(first.index);
    await put('/v1/catalog/register', { Node: 'node-a', Address: '10.0.0.1', NodeMeta: { Env: 'prod' }, Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical' } });
    const r = await pending;
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.index).toBeGreaterThan(first.index);
    expect(r.body).toEqual([]);
  });

  it('works with the consul npm client', async () => {
    const consul = new Consul({ host: '127.0.0.1', port: h.port });
    await consul.catalog.register({ node: 'node-c', address: '10.0.0.3', service: { service: 'cache', port: 6379, tags: ['redis'] }, check: { name: 'redis alive', serviceid: 'cache', status: 'passing' } } as never);
    const list = (await consul.catalog.service.list()) as Record<string, string[]>;
    expect(list).toEqual({ cache: ['redis'], consul: [], web: ['rails', 'v2'] });
    const nodes = (await consul.catalog.service.nodes('web')) as { Node: string; ServicePort: number }[];
    expect(nodes.map((n) => [n.Node, n.ServicePort])).toEqual([
      ['node-a', 80],
      ['node-b', 81],
    ]);
    const healthy = (await consul.health.service({ service: 'web', passing: true })) as { Node: { Node: string } }[];
    expect(healthy.map((e) => e.Node.Node)).toEqual(['node-a']);
    const cache = (await consul.health.service('cache')) as { Service: { Port: number }; Checks: { Status: string }[] }[];
    expect(cache[0]!.Service.Port).toBe(6379);
    expect(cache[0]!.Checks.map((c) => c.Status)).toEqual(['passing']);
    expect(await consul.catalog.datacenters()).toEqual(['dc1']);
    await consul.catalog.deregister({ node: 'node-c' } as never);
    expect(((await consul.catalog.service.list()) as Record<string, unknown>)['cache']).toBeUndefined();
  });
});
