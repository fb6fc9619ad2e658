import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { RegisterRequest } from '../../../contracts/model/catalog.js';
import type { QueryOptions } from '../../../contracts/model/query.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../../src/rpc/health-endpoint.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakeRaft } from './fake-raft.js';

const config = { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 };

function setup() {
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const clock = new ManualClock();
  const deps = { store, raft, clock, config };
  return { store, raft, clock, catalog: new CatalogEndpoint(deps), health: new HealthEndpoint(deps) };
}

const now: QueryOptions = { minIndex: 0, waitMs: 0, consistency: 'default' };
const block = (minIndex: number, waitMs = 60_000): QueryOptions => ({ minIndex, waitMs, consistency: 'default' });
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
function track<T>(p: Promise<T>): { done: () => boolean; p: Promise<T> } {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  return { done: () => done, p };
}
async function rejection(p: Promise<unknown>): Promise<SextantError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SextantError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const reg = (node: string, extra: Partial<RegisterRequest> = {}): RegisterRequest => ({ Node: node, Address: '10.0.0.1', ...extra }) as RegisterRequest;
const svc = (name: string, more: Record<string, unknown> = {}) => ({ Service: name, ...more }) as unknown as RegisterRequest['Service'];
const chk = (more: Record<string, unknown>) => more as unknown as NonNullable<RegisterRequest['Check']>;

describe('CatalogEndpoint writes', () => {
  it('validates with Consul texts and normalizes defaults', async () => {
    const { catalog, store } = setup();
    expect((await rejection(catalog.register({ Address: 'x' } as RegisterRequest))).message).toBe('Must provide node');
    expect((await rejection(catalog.register({ Node: 'n' } as RegisterRequest))).message).toBe('Must provide address if SkipNodeUpdate is not set');
    expect((await rejection(catalog.register(reg('n', { ID: 'nope' })))).message).toMatch(/^Bad node ID/);
    expect((await rejection(catalog.register(reg('n', { Service: svc('', { ID: 'x' }) })))).message).toBe('Must provide service name with ID');
    expect((await rejection(catalog.register(reg('n', { Check: chk({ Name: 'c', Status: 'bogus' }) })))).message).toMatch(/Invalid Check.Status "bogus"/);
    expect((await rejection(catalog.register(reg('n', { Datacenter: 'dc9' })))).code).toBe(ErrorCode.NoPathToDatacenter);
    const e = await rejection(catalog.register(reg('n', { Check: chk({ Name: 'c', ServiceID: 'ghost' }) })));
    expect(e.code).toBe(ErrorCode.BadRequest);
    expect(e.message).toMatch(/Missing service registration/);

    await catalog.register(reg('n', { Service: svc('web', { Tags: ['a'] }), Check: chk({ Name: 'web check', ServiceID: 'web', Definition: { HTTP: 'http://x' } }) }));
    const [inst] = store.catalog.serviceInstances('web').value;
    expect(inst!.service).toMatchObject({ ID: 'web', Weights: { Passing: 1, Warning: 1 }, Meta: {}, Tags: ['a'] });
    expect(inst!.serviceChecks[0]).toMatchObject({ CheckID: 'web check', Status: 'critical', Type: 'http', Node: 'n' });
    expect(inst!.node.Datacenter).toBe('dc1');
  });

  it('deregisters services, checks and nodes', async () => {
    const { catalog, store } = setup();
    await catalog.register(reg('n', { Service: svc('web'), Checks: [chk({ Name: 'serfHealth', Status: 'passing' })] }));
    await catalog.deregister({ Node: 'n', ServiceID: 'web' });
    expect(store.catalog.serviceInstances('web').value).toEqual([]);
    await catalog.deregister({ Node: 'n' });
    expect(store.catalog.nodes().value).toEqual([]);
    expect((await rejection(catalog.deregister({} as never))).message).toBe('Must provide node');
  });
});

describe('CatalogEndpoint reads', () => {
  it('answers services as a tag union, service nodes flattened and a node with its services', async () => {
    const { catalog, health } = setup();
    await catalog.register(reg('b', { NodeMeta: { env: 'dev' }, Service: svc('web', { ID: 'web2', Tags: ['v2', 'rails'], Port: 81, Address: '10.9.9.9' }) }));
    await catalog.register(reg('a', { NodeMeta: { env: 'prod' }, Service: svc('web', { Tags: ['rails'], Port: 80 }) }));
    await catalog.register(reg('a', { Service: svc('consul') , NodeMeta: { env: 'prod' } }));
    expect((await catalog.services({}, now)).value).toEqual({ consul: [], web: ['rails', 'v2'] });
    expect((await catalog.services({ nodeMeta: { env: 'dev' } }, now)).value).toEqual({ web: ['rails', 'v2'] });
    expect((await catalog.services({ filter: 'ServicePort == 80' }, now)).value).toEqual({ web: ['rails'] });

    const nodes = (await catalog.serviceNodes('web', [], {}, now)).value;
    expect(nodes.map((n) => [n.Node, n.ServiceID, n.ServiceAddress, n.ServicePort])).toEqual([
      ['a', 'web', '', 80],
      ['b', 'web2', '10.9.9.9', 81],
    ]);
    expect(nodes[0]).toMatchObject({ Address: '10.0.0.1', Datacenter: 'dc1', NodeMeta: { env: 'prod' }, ServiceName: 'web', ServiceTags: ['rails'], ServiceKind: '' });
    expect((await catalog.serviceNodes('web', ['rails', 'V2'], {}, now)).value.map((n) => n.Node)).toEqual(['b']);
    expect((await catalog.serviceNodes('web', [], { filter: 'NodeMeta.env == prod' }, now)).value.map((n) => n.Node)).toEqual(['a']);

    const node = (await catalog.nodeServices('a', {}, now)).value!;
    expect(node.Node.Node).toBe('a');
    expect(node.Services.map((s) => s.ID)).toEqual(['consul', 'web']);
    expect((await catalog.nodeServices('zzz', {}, now)).value).toBeNull();
    expect((await catalog.nodes({ filter: 'Meta.env == dev' }, now)).value.map((n) => n.Node)).toEqual(['b']);
    expect(await catalog.datacenters()).toEqual(['dc1']);
    await expect(health.checksInState('bogus', {}, now)).rejects.toMatchObject({ code: ErrorCode.BadRequest });
    await expect(catalog.nodes({ filter: 'Meta.env ==' }, now)).rejects.toMatchObject({ code: ErrorCode.BadRequest });
  });

  it('health: node checks first, ?passing drops an instance with any non-passing node or service check', async () => {
    const { catalog, health } = setup();
    await catalog.register(reg('a', { Service: svc('web'), Checks: [chk({ CheckID: 'serfHealth', Status: 'passing' }), chk({ CheckID: 'svc', ServiceID: 'web', Status: 'passing' })] }));
    await catalog.register(reg('b', { Service: svc('web'), Checks: [chk({ CheckID: 'serfHealth', Status: 'critical' }), chk({ CheckID: 'svc', ServiceID: 'web', Status: 'passing' })] }));
    await catalog.register(reg('c', { Service: svc('web'), Checks: [chk({ CheckID: 'serfHealth', Status: 'passing' }), chk({ CheckID: 'svc', ServiceID: 'web', Status: 'warning' })] }));
    const all = (await health.serviceHealth('web', { tags: [], passingOnly: false }, {}, now)).value;
    expect(all.map((e) => [e.Node.Node, e.Checks.map((c) => c.CheckID)])).toEqual([
      ['a', ['serfHealth', 'svc']],
      ['b', ['serfHealth', 'svc']],
      ['c', ['serfHealth', 'svc']],
    ]);
    expect(all[0]!.Service).toMatchObject({ ID: 'web', Service: 'web', Proxy: { MeshGateway: {}, Expose: {} }, Connect: {} });
    expect(all[0]!.Checks[0]!.Definition).toEqual({});
    const passing = (await health.serviceHealth('web', { tags: [], passingOnly: true }, {}, now)).value;
    expect(passing.map((e) => e.Node.Node)).toEqual(['a']);
    expect((await health.serviceHealth('web', { tags: [], passingOnly: false }, { filter: 'Checks.Status == warning' }, now)).value.map((e) => e.Node.Node)).toEqual(['c']);
    expect((await health.serviceHealth('nope', { tags: [], passingOnly: false }, {}, now)).value).toEqual([]);
    expect((await health.checksInState('critical', {}, now)).value.map((c) => `${c.Node}/${c.CheckID}`)).toEqual(['b/serfHealth']);
    expect((await health.checksInState('any', {}, now)).value).toHaveLength(6);
    expect((await health.serviceChecks('web', {}, now)).value.map((c) => c.Node)).toEqual(['a', 'b', 'c']);
    expect((await health.nodeChecks('b', {}, now)).value.map((c) => c.CheckID)).toEqual(['serfHealth', 'svc']);
  });
});

describe('catalog and health blocking queries', () => {
  it('a blocked /health/service wakes on its own service and on a node check of a node it runs on, not on another service', async () => {
    const { catalog, health, clock } = setup();
    await catalog.register(reg('a', { Service: svc('web'), Checks: [chk({ CheckID: 'serfHealth', Status: 'passing' })] }));
    await catalog.register(reg('b', { Service: svc('db') }));
    const first = await health.serviceHealth('web', { tags: [], passingOnly: true }, {}, now);
    expect(first.meta.index).toBe(1);
    const q = track(health.serviceHealth('web', { tags: [], passingOnly: true }, {}, block(first.meta.index)));
    await settle();
    await catalog.register(reg('b', { Service: svc('db', { Port: 5432 }) }));
    await catalog.register(reg('a', { Service: svc('web'), Checks: [chk({ CheckID: 'serfHealth', Status: 'passing' })] })); // no-op
    await settle();
    expect(q.done()).toBe(false);
    await catalog.register(reg('a', { Checks: [chk({ CheckID: 'serfHealth', Status: 'critical' })] }));
    const r = await q.p;
    expect(r.value).toEqual([]);
    expect(r.meta.index).toBe(5);
    expect(clock.pending()).toBe(0);
  });

  it('times out with the same data and index; catalog/services blocks on the services table', async () => {
    const { catalog, clock, store } = setup();
    await catalog.register(reg('a', { Service: svc('web') }));
    const q = track(catalog.services({}, block(1, 10_000)));
    await settle();
    await catalog.register(reg('a', { Address: '10.0.0.2', Service: svc('web') })); // node-only change
    await settle();
    expect(q.done()).toBe(false);
    clock.advance(10_000);
    const r = await q.p;
    expect(r.value).toEqual({ web: [] });
    expect(r.meta.index).toBe(1);
    expect(store.watcherCount()).toBe(0);
  });

  it('catalog/node blocks on that node only', async () => {
    const { catalog } = setup();
    await catalog.register(reg('a'));
    await catalog.register(reg('b'));
    const r0 = await catalog.nodeServices('a', {}, now);
    const q = track(catalog.nodeServices('a', {}, block(r0.meta.index)));
    await settle();
    await catalog.register(reg('b', { Service: svc('x') }));
    await settle();
    expect(q.done()).toBe(false);
    await catalog.register(reg('a', { Service: svc('y') }));
    expect((await q.p).value!.Services.map((s) => s.ID)).toEqual(['y']);
  });
});
