import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { QueryOptions } from '../../contracts/model/query.js';
import { RestSurface } from '../../plugins/surface-rest/rest-surface.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { TextLogger } from '../../src/platform/text-logger.js';
import { CatalogEndpoint } from '../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../src/rpc/health-endpoint.js';
import { InternalUiEndpoint } from '../../src/rpc/internal-ui-endpoint.js';
import { StateStore } from '../../src/state/state-store.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { FakeRaft } from '../unit/rpc/fake-raft.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from '../unit/surface-rest/fakes.js';

let surface: RestSurface;
let base: string;
let ui: InternalUiEndpoint;

beforeEach(async () => {
  const clock = new SystemClock();
  const config = testConfig();
  const store = new StateStore();
  const deps = { store, raft: new FakeRaft(store), clock, config: { datacenter: config.datacenter, defaultQueryTimeMs: config.defaultQueryTimeMs, maxQueryTimeMs: config.maxQueryTimeMs } };
  ui = new InternalUiEndpoint(deps);
  surface = new RestSurface({
    config,
    kv: new FakeKv(),
    status: new FakeStatus(),
    agent: new FakeAgent(),
    catalog: new CatalogEndpoint(deps),
    health: new HealthEndpoint(deps),
    internalUi: ui,
    logger: TextLogger.create({ level: 'error', sink: () => {}, clock }).child('http'),
    clock,
    random: new SeededRandom(5),
  });
  await surface.start();
  base = `http://${surface.addresses()[0] ?? ''}`;
  const regs = [
    { Node: 'node-a', Address: '10.0.0.1', Service: { Service: 'web', Tags: ['rails'], Port: 80 }, Checks: [{ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' }, { CheckID: 'web-ttl', ServiceID: 'web', Status: 'passing' }] },
    { Node: 'node-a', Address: '10.0.0.1', Service: { Service: 'consul', Port: 8300 } },
    { Node: 'node-b', Address: '10.0.0.2', Service: { Service: 'web', Tags: ['v2'], Port: 81 }, Checks: [{ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'warning' }] },
  ];
  for (const r of regs) expect((await fetch(`${base}/v1/catalog/register`, { method: 'PUT', body: JSON.stringify(r) })).status).toBe(200);
});
afterEach(async () => {
  await surface.stop();
});

const get = async <T>(p: string): Promise<{ status: number; index: number; known: string | null; body: T }> => {
  const r = await fetch(base + p);
  const text = await r.text();
  return { status: r.status, index: Number(r.headers.get('x-consul-index')), known: r.headers.get('x-consul-knownleader'), body: (r.status === 200 ? JSON.parse(text) : text) as T };
};

describe('REST surface: /v1/internal/ui/*', () => {
  it('GET /v1/internal/ui/services answers Consul\'s ServiceListingSummary array with the query headers', async () => {
    const r = await get<Record<string, unknown>[]>('/v1/internal/ui/services');
    expect(r.status).toBe(200);
    expect(r.index).toBe(3);
    expect(r.known).toBe('true');
    expect(r.body).toEqual([
      { Name: 'consul', Datacenter: 'dc1', Tags: null, Nodes: ['node-a'], ExternalSources: null, InstanceCount: 1, ChecksPassing: 1, ChecksWarning: 0, ChecksCritical: 0, GatewayConfig: {}, TransparentProxy: false, ConnectNative: false, ConnectedWithProxy: false, ConnectedWithGateway: false },
      { Name: 'web', Datacenter: 'dc1', Tags: ['rails', 'v2'], Nodes: ['node-a', 'node-b'], ExternalSources: null, InstanceCount: 2, ChecksPassing: 2, ChecksWarning: 1, ChecksCritical: 0, GatewayConfig: {}, TransparentProxy: false, ConnectNative: false, ConnectedWithProxy: false, ConnectedWithGateway: false },
    ]);
    expect((await get<{ Name: string }[]>('/v1/internal/ui/services?filter=' + encodeURIComponent('Service.Port == 81'))).body.map((s) => s.Name)).toEqual(['web']);
    expect((await get('/v1/internal/ui/services?filter=' + encodeURIComponent('Service.Port =='))).status).toBe(400);
  });

  it('GET /v1/internal/ui/nodes answers every node with its services and checks; a blocking read wakes on a check change', async () => {
    const r = await get<{ Node: string; Services: { Service: string }[]; Checks: { CheckID: string; Status: string }[] }[]>('/v1/internal/ui/nodes');
    expect(r.status).toBe(200);
    expect(r.body.map((n) => [n.Node, n.Services.map((s) => s.Service), n.Checks.map((c) => `${c.CheckID}:${c.Status}`)])).toEqual([
      ['node-a', ['consul', 'web'], ['serfHealth:passing', 'web-ttl:passing']],
      ['node-b', ['web'], ['serfHealth:warning']],
    ]);
    const parked = get<{ Node: string; Checks: { CheckID: string; Status: string }[] }[]>(`/v1/internal/ui/nodes?index=${r.index}&wait=30s`);
    const services = get<{ Name: string; ChecksCritical: number }[]>(`/v1/internal/ui/services?index=${r.index}&wait=30s`);
    await fetch(`${base}/v1/catalog/register`, { method: 'PUT', body: JSON.stringify({ Node: 'node-b', Address: '10.0.0.2', Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical' } }) });
    const woken = await parked;
    expect(woken.index).toBeGreaterThan(r.index);
    expect(woken.body.find((n) => n.Node === 'node-b')!.Checks[0]!.Status).toBe('critical');
    expect((await services).body.find((s) => s.Name === 'web')!.ChecksCritical).toBe(1);
  });

  it('re-does a read that found no leader once as stale, as Consul\'s UI endpoints do; a stale read is not re-done', async () => {
    const seen: string[] = [];
    const real = ui.serviceSummaries.bind(ui);
    ui.serviceSummaries = (f, opts: QueryOptions) => {
      seen.push(opts.consistency);
      return opts.consistency === 'stale' ? real(f, opts) : Promise.reject(new SextantError(ErrorCode.NoLeader, 'No cluster leader'));
    };
    const r = await get<{ Name: string }[]>('/v1/internal/ui/services');
    expect([r.status, r.body.map((s) => s.Name)]).toEqual([200, ['consul', 'web']]);
    expect(seen).toEqual(['default', 'stale']);
    ui.serviceSummaries = () => Promise.reject(new SextantError(ErrorCode.NoLeader, 'No cluster leader'));
    expect((await get('/v1/internal/ui/services?stale')).status).toBe(500);
  });
});
