import { describe, expect, it } from 'vitest';
import type { RegisterRequest } from '../../../contracts/model/catalog.js';
import type { QueryOptions } from '../../../contracts/model/query.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { InternalUiEndpoint } from '../../../src/rpc/internal-ui-endpoint.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakeRaft } from './fake-raft.js';

const config = { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 };

function setup() {
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const clock = new ManualClock();
  const deps = { store, raft, clock, config };
  return { store, clock, catalog: new CatalogEndpoint(deps), ui: new InternalUiEndpoint(deps) };
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

const reg = (node: string, extra: Partial<RegisterRequest> = {}): RegisterRequest => ({ Node: node, Address: `10.0.0.${node.length}`, ...extra }) as RegisterRequest;
const svc = (name: string, more: Record<string, unknown> = {}) => ({ Service: name, ...more }) as unknown as RegisterRequest['Service'];
const chk = (more: Record<string, unknown>) => more as unknown as NonNullable<RegisterRequest['Check']>;

/** n1: serfHealth passing, web (tags a,b) with a critical check, db without checks; n2: serfHealth critical, web (tag c) passing, web2 instance of web with no checks. */
async function seed(catalog: CatalogEndpoint): Promise<void> {
  await catalog.register(reg('n1', { Check: chk({ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' }) }));
  await catalog.register(reg('n1', { Service: svc('web', { ID: 'web', Tags: ['b', 'a'] }), Check: chk({ CheckID: 'web-http', Name: 'http', ServiceID: 'web', Status: 'critical' }) }));
  await catalog.register(reg('n1', { Service: svc('db', { ID: 'db', Meta: { 'external-source': 'kubernetes' } }) }));
  await catalog.register(reg('n2', { Check: chk({ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical' }) }));
  await catalog.register(reg('n2', { Service: svc('web', { ID: 'web', Tags: ['c', 'a'] }), Check: chk({ CheckID: 'web-ttl', Name: 'ttl', ServiceID: 'web', Status: 'passing' }) }));
  await catalog.register(reg('n2', { Service: svc('web', { ID: 'web2', Tags: [] }) }));
}

describe('InternalUiEndpoint.serviceSummaries (/v1/internal/ui/services)', () => {
  it('rolls each service name up: tags, nodes, instances and distinct checks, node checks counted once per service and node', async () => {
    const { catalog, ui } = setup();
    await seed(catalog);
    const { value } = await ui.serviceSummaries({}, now);
    expect(value.map((s) => s.Name)).toEqual(['db', 'web']);
    expect(value[1]).toEqual({
      Name: 'web',
      Datacenter: 'dc1',
      Tags: ['a', 'b', 'c'],
      Nodes: ['n1', 'n2'],
      ExternalSources: null,
      InstanceCount: 3,
      // n1: serfHealth passing, web-http critical; n2: serfHealth critical (once, though two instances run there), web-ttl passing.
      ChecksPassing: 2,
      ChecksWarning: 0,
      ChecksCritical: 2,
      GatewayConfig: {},
      TransparentProxy: false,
      ConnectNative: false,
      ConnectedWithProxy: false,
      ConnectedWithGateway: false,
    });
    // A service without checks of its own still carries its node's checks.
    expect(value[0]).toMatchObject({ Name: 'db', Tags: null, Nodes: ['n1'], ExternalSources: ['kubernetes'], InstanceCount: 1, ChecksPassing: 1, ChecksWarning: 0, ChecksCritical: 0 });
    expect(value[0]).not.toHaveProperty('Kind');
  });

  it('counts only the instances ?filter accepts, and answers [] for an empty catalog', async () => {
    const { catalog, ui } = setup();
    expect((await ui.serviceSummaries({}, now)).value).toEqual([]);
    await seed(catalog);
    const { value } = await ui.serviceSummaries({ filter: 'Node.Node == "n2"' }, now);
    expect(value.map((s) => [s.Name, s.InstanceCount, s.Nodes, s.ChecksCritical, s.ChecksPassing])).toEqual([['web', 2, ['n2'], 1, 1]]);
  });

  it('blocks until a check changes, then answers the new counts at a higher index', async () => {
    const { catalog, ui } = setup();
    await seed(catalog);
    const first = await ui.serviceSummaries({}, now);
    const parked = track(ui.serviceSummaries({}, block(first.meta.index)));
    await settle();
    expect(parked.done()).toBe(false);
    await catalog.register(reg('n1', { Check: chk({ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical' }) }));
    const woken = await parked.p;
    expect(woken.meta.index).toBeGreaterThan(first.meta.index);
    expect(woken.value.find((s) => s.Name === 'web')).toMatchObject({ ChecksPassing: 1, ChecksCritical: 3 });
    expect(woken.value.find((s) => s.Name === 'db')).toMatchObject({ ChecksPassing: 0, ChecksCritical: 1 });
  });
});

describe('InternalUiEndpoint.nodeDump (/v1/internal/ui/nodes)', () => {
  it('lists every node with all its services (checkless ones too) by ID and all its checks', async () => {
    const { catalog, ui } = setup();
    await seed(catalog);
    await catalog.register(reg('n3', { NodeMeta: { rack: 'r1' } }));
    const { value } = await ui.nodeDump({}, now);
    expect(value.map((n) => [n.Node, n.Services.map((s) => s.ID), n.Checks.map((c) => c.CheckID)])).toEqual([
      ['n1', ['db', 'web'], ['serfHealth', 'web-http']],
      ['n2', ['web', 'web2'], ['serfHealth', 'web-ttl']],
      ['n3', [], []],
    ]);
    expect(value[2]).toMatchObject({ Node: 'n3', Address: '10.0.0.2', Meta: { rack: 'r1' }, TaggedAddresses: expect.any(Object) as unknown });
    expect(Object.keys(value[0]!)).toEqual(['ID', 'Node', 'Address', 'TaggedAddresses', 'Meta', 'Services', 'Checks']);
    expect(value[0]!.Checks[1]).toMatchObject({ Node: 'n1', ServiceID: 'web', Status: 'critical', Interval: '', Definition: {} });
  });

  it('filters nodes with ?filter and wakes a parked read when a service without checks is added', async () => {
    const { catalog, ui } = setup();
    await seed(catalog);
    expect((await ui.nodeDump({ filter: 'Node == "n2"' }, now)).value.map((n) => n.Node)).toEqual(['n2']);
    const first = await ui.nodeDump({}, now);
    const parked = track(ui.nodeDump({}, block(first.meta.index)));
    await settle();
    expect(parked.done()).toBe(false);
    await catalog.register(reg('n2', { Service: svc('cache', { ID: 'cache' }) }));
    const woken = await parked.p;
    expect(woken.meta.index).toBeGreaterThan(first.meta.index);
    expect(woken.value.find((n) => n.Node === 'n2')!.Services.map((s) => s.ID)).toEqual(['cache', 'web', 'web2']);
  });
});
