import { describe, expect, it } from 'vitest';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { AntiEntropy } from '../../../src/agent/anti-entropy.js';
import { LocalState } from '../../../src/agent/local-state.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { testConfig } from '../surface-rest/fakes.js';
import { FakeCatalog, fakeRunners, flush } from './fakes.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../../src/rpc/health-endpoint.js';
import { StateStore } from '../../../src/state/state-store.js';
import { FakeRaft } from '../rpc/fake-raft.js';

async function setup(overrides: Partial<RuntimeConfig> = {}) {
  const clock = new ManualClock();
  const config = testConfig({ nodeName: 'node-a', nodeId: '11111111-2222-3333-4444-555555555555', advertiseAddr: '10.0.0.5', nodeMeta: { rack: 'r1' }, server: true, ...overrides });
  const random = new SeededRandom(9);
  const logger = new SilentLogger();
  const runners = fakeRunners();
  const state = new LocalState({ config: () => config, runners: runners.map, clock, random, logger, hooks: createHooks() });
  await state.start();
  const catalog = new FakeCatalog();
  const ae = new AntiEntropy({ config: () => config, local: state, catalog, health: catalog, clock, random, logger });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 6; i++) {
      clock.advance(0);
      await flush();
    }
  };
  return { clock, state, catalog, ae, settle, runners, logger };
}

/** The same agent against the real catalog and health endpoints over a StateStore; FakeRaft counts proposals. */
async function setupRealCatalog(overrides: Partial<RuntimeConfig>, seed: number) {
  const clock = new ManualClock();
  const config = testConfig({ nodeName: 'node-a', nodeId: '11111111-2222-3333-4444-555555555555', advertiseAddr: '10.0.0.5', ...overrides });
  const random = new SeededRandom(seed);
  const logger = new SilentLogger();
  const state = new LocalState({ config: () => config, runners: fakeRunners().map, clock, random, logger, hooks: createHooks() });
  await state.start();
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const deps = { store, raft, clock, config: { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } };
  const catalog = new CatalogEndpoint(deps);
  const health = new HealthEndpoint(deps);
  const ae = new AntiEntropy({ config: () => config, local: state, catalog, health, clock, random, logger });
  return { clock, state, store, raft, catalog, health, ae };
}

describe('AntiEntropy', () => {
  it('first full sync registers the node and local services with their checks; serfHealth and the consul service are the leader\'s', async () => {
    const { state, catalog, ae, settle } = await setup();
    await state.registerService({ Name: 'web', Port: 80, Tags: ['rails'], Check: { TTL: '10s' } }, { replaceExistingChecks: false });
    await state.registerCheck({ Name: 'disk', TTL: '1m' });
    ae.start();
    await settle();
    const ops = catalog.take();
    expect(ops[0]).toEqual({
      op: 'register',
      req: {
        Node: 'node-a',
        Address: '10.0.0.5',
        Datacenter: 'dc1',
        ID: '11111111-2222-3333-4444-555555555555',
        TaggedAddresses: { lan: '10.0.0.5', lan_ipv4: '10.0.0.5', wan: '10.0.0.5', wan_ipv4: '10.0.0.5' },
        NodeMeta: { rack: 'r1' },
      },
    });
    const services = ops.filter((o) => o.op === 'register' && o.req.Service).map((o) => (o.op === 'register' ? o.req.Service!.ID : ''));
    expect(services).toEqual(['web']);
    expect(ops.some((o) => o.op === 'register' && (o.req.Check?.CheckID === 'serfHealth' || o.req.Service?.ID === 'consul'))).toBe(false);
    const web = ops.find((o) => o.op === 'register' && o.req.Service?.ID === 'web');
    expect(web?.op === 'register' && web.req).toMatchObject({ SkipNodeUpdate: true, Service: { Service: 'web', Tags: ['rails'], Port: 80 }, Checks: [{ CheckID: 'service:web', Status: 'critical' }] });
    const disk = ops.find((o) => o.op === 'register' && o.req.Check?.CheckID === 'disk');
    expect(disk).toBeDefined();
    expect(ops).toHaveLength(3);
    await ae.stop();
  });

  it('skips every write when nothing changed (full sync reads, writes nothing)', async () => {
    const { state, catalog, ae, settle } = await setup();
    await state.registerService({ Name: 'web', Check: { TTL: '10s' } }, { replaceExistingChecks: false });
    ae.start();
    await settle();
    catalog.take();
    const reads = catalog.reads;
    await ae.syncFull();
    expect(catalog.reads).toBe(reads + 1);
    expect(catalog.take()).toEqual([]);
    await ae.stop();
  });

  it('against the real catalog, a full sync of an unchanged node proposes nothing to Raft', async () => {
    // The real endpoints answer with Consul's JSON views (Proxy {MeshGateway, Expose}, Connect {},
    // Definition {}, TaggedAddresses, …), which must compare equal to the agent's own definitions.
    const { state, store, raft, health, ae } = await setupRealCatalog({ nodeMeta: { rack: 'r1' }, server: true }, 4);
    await state.registerService({ Name: 'web', Port: 80, Tags: ['rails'], Check: { TTL: '10s', Notes: 'n' } }, { replaceExistingChecks: false });
    await state.registerService(
      { Name: 'api', ID: 'api-1', Address: '10.0.0.9', Port: 9000, Meta: { v: '1' }, Weights: { Passing: 3, Warning: 1 }, TaggedAddresses: { wan: { Address: '1.2.3.4', Port: 80 } }, Checks: [{ TTL: '10s' }, { TTL: '20s', Status: 'passing' }] },
      { replaceExistingChecks: false },
    );
    await state.registerService({ Name: 'bare' }, { replaceExistingChecks: false });
    await state.registerCheck({ Name: 'disk', TTL: '1m', Notes: 'node check' });
    await state.registerCheck({ Name: 'ping', HTTP: 'http://x', Interval: '10s' });
    await state.updateTtl('service:web', 'warning', 'slow');
    await ae.syncFull();
    expect(store.catalog.serviceInstances('api').value).toHaveLength(1);
    // The catalog shows Consul's HealthCheck members, Interval/Timeout as the agent derived them.
    const ping = (await health.nodeChecks('node-a', {}, { minIndex: 0, waitMs: 0, consistency: 'stale' })).value.find((c) => c.CheckID === 'ping')!;
    expect(Object.keys(ping)).toEqual(['Node', 'CheckID', 'Name', 'Status', 'Notes', 'Output', 'ServiceID', 'ServiceName', 'ServiceTags', 'Type', 'Interval', 'Timeout', 'ExposedPort', 'Definition', 'CreateIndex', 'ModifyIndex']);
    expect(ping).toMatchObject({ Type: 'http', Interval: '10s', Timeout: '0s', ExposedPort: 0, Definition: {} });
    const proposals = raft.proposals;
    await ae.syncFull();
    await ae.syncFull();
    expect(raft.proposals).toBe(proposals);
    await ae.stop();
    await state.stop();
  });

  it('neither writes nor deletes the leader\'s serfHealth check and consul service (Consul\'s agent/local/state.go skips them)', async () => {
    const { state, catalog, health, raft, ae } = await setupRealCatalog({ server: true }, 5);
    await state.registerService({ Name: 'web' }, { replaceExistingChecks: false });
    // What the leader's member reconciliation wrote for this node.
    await catalog.register({
      Node: 'node-a',
      Address: '10.0.0.5',
      Service: { ID: 'consul', Service: 'consul', Tags: [], Address: '', Port: 8300, Meta: { version: '1.2.3' }, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false },
      Check: { Node: 'node-a', CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical', Notes: '', Output: 'Agent not live or unreachable', ServiceID: '', ServiceName: '', ServiceTags: [], Type: '' },
    });
    await ae.syncFull();
    const proposals = raft.proposals;
    await ae.syncFull();
    expect(raft.proposals).toBe(proposals);
    const opts = { minIndex: 0, waitMs: 0, consistency: 'stale' as const };
    expect((await catalog.nodeServices('node-a', {}, opts)).value?.Services.map((s) => [s.ID, s.Port])).toEqual([['consul', 8300], ['web', 0]]);
    expect((await health.nodeChecks('node-a', {}, opts)).value.map((c) => [c.CheckID, c.Status])).toEqual([['serfHealth', 'critical']]);
    await ae.stop();
    await state.stop();
  });

  it('enable_tag_override: a full sync takes the catalog tags into the local service (Consul updateSyncState); a local re-registration writes its own', async () => {
    const { clock, state, raft, catalog, ae } = await setupRealCatalog({ server: false }, 6);
    await state.registerService({ Name: 'web', Tags: ['a'], EnableTagOverride: true, Check: { TTL: '1m' } }, { replaceExistingChecks: false });
    await state.registerService({ Name: 'api', Tags: ['a'] }, { replaceExistingChecks: false });
    await ae.syncFull();
    const opts = { minIndex: 0, waitMs: 0, consistency: 'stale' as const };
    const catalogTags = async (id: string): Promise<string[] | undefined> => (await catalog.nodeServices('node-a', {}, opts)).value?.Services.find((s) => s.ID === id)?.Tags;
    expect(await catalogTags('web')).toEqual(['a']);

    // Someone else (an operator, a tool like Registrator) retags both through the catalog.
    const body = (id: string, override: boolean) => ({ ID: id, Service: id, Tags: ['b'], Address: '', Port: 0, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: override });
    await catalog.register({ Node: 'node-a', Address: '10.0.0.5', SkipNodeUpdate: true, Service: body('web', true) });
    await catalog.register({ Node: 'node-a', Address: '10.0.0.5', SkipNodeUpdate: true, Service: body('api', false) });
    await ae.syncFull();
    // web keeps the catalog's tags, and the agent now shows them (its check too); api is put back.
    expect(await catalogTags('web')).toEqual(['b']);
    expect(state.services()['web']!.Tags).toEqual(['b']);
    expect(state.checks()['service:web']!.ServiceTags).toEqual(['b']);
    expect(await catalogTags('api')).toEqual(['a']);
    expect(state.services()['api']!.Tags).toEqual(['a']);
    // From then on the two sides agree: a further full sync proposes nothing.
    const proposals = raft.proposals;
    await ae.syncFull();
    expect(raft.proposals).toBe(proposals);

    // A local re-registration with new tags is a local change: it is written, as in Consul.
    await state.registerService({ Name: 'web', Tags: ['c'], EnableTagOverride: true, Check: { TTL: '1m' } }, { replaceExistingChecks: false });
    ae.start();
    for (let i = 0; i < 6; i++) {
      clock.advance(0);
      await flush();
    }
    expect(await catalogTags('web')).toEqual(['c']);
    expect(state.services()['web']!.Tags).toEqual(['c']);
    await ae.stop();
    await state.stop();
  });

  it('partial sync right after a local change, coalesced; a status change syncs at once', async () => {
    const { state, catalog, ae, settle } = await setup({ server: false });
    ae.start();
    await settle();
    catalog.take();
    const reads = catalog.reads;
    await state.registerService({ Name: 'a', Check: { TTL: '10s' } }, { replaceExistingChecks: false });
    await state.registerService({ Name: 'b' }, { replaceExistingChecks: false });
    await settle();
    expect(catalog.take().map((o) => (o.op === 'register' ? o.req.Service?.ID : '?'))).toEqual(['a', 'b']);
    expect(catalog.reads).toBe(reads); // partial syncs do not re-read the catalog
    await state.updateTtl('service:a', 'passing', 'up');
    await settle();
    expect(catalog.take()).toEqual([{ op: 'register', req: expect.objectContaining({ SkipNodeUpdate: true, Check: expect.objectContaining({ CheckID: 'service:a', Status: 'passing', Output: 'up' }) }) }]);
    await ae.stop();
  });

  it('defers output-only changes by check_update_interval (5 min)', async () => {
    const { state, catalog, ae, settle, clock } = await setup({ server: false });
    await state.registerService({ Name: 'a', Check: { TTL: '1h', Status: 'passing' } }, { replaceExistingChecks: false });
    ae.start();
    await settle();
    catalog.take();
    await state.updateTtl('service:a', 'passing', 'new output');
    await settle();
    expect(catalog.take()).toEqual([]);
    clock.advance(5 * 60_000 - 1);
    await settle();
    expect(catalog.take().filter((o) => o.op === 'register' && o.req.Check?.CheckID === 'service:a')).toEqual([]);
    clock.advance(1);
    await settle();
    expect(catalog.take()).toEqual([{ op: 'register', req: expect.objectContaining({ Check: expect.objectContaining({ CheckID: 'service:a', Output: 'new output' }) }) }]);
    await ae.stop();
  });

  it('removes catalog services and checks of this node that the agent does not have', async () => {
    const { state, catalog, ae, settle } = await setup({ server: false });
    await state.registerService({ Name: 'web' }, { replaceExistingChecks: false });
    const node = { Node: 'node-a', Address: '10.0.0.5' };
    await catalog.register({ ...node, Service: { ID: 'ghost', Service: 'ghost', Tags: [], Address: '', Port: 1, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false } });
    await catalog.register({ ...node, Check: { Node: 'node-a', CheckID: 'stray', Name: 'stray', Status: 'critical', Notes: '', Output: '', ServiceID: '', ServiceName: '', ServiceTags: [], Type: '' } });
    await catalog.register({ Node: 'other', Address: '10.0.0.6', Service: { ID: 'keep', Service: 'keep', Tags: [], Address: '', Port: 1, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false } });
    catalog.take();
    ae.start();
    await settle();
    const deregs = catalog.take().filter((o) => o.op === 'deregister').map((o) => o.req);
    expect(deregs).toEqual([
      { Node: 'node-a', Datacenter: 'dc1', ServiceID: 'ghost' },
      { Node: 'node-a', Datacenter: 'dc1', CheckID: 'stray' },
    ]);
    expect([...catalog.services.get('node-a')!.keys()]).toEqual(['web']);
    expect([...catalog.checks.get('node-a')!.keys()]).toEqual([]);
    expect([...catalog.services.get('other')!.keys()]).toEqual(['keep']);
    // A local deregistration removes the service from the catalog too.
    await state.deregisterService('web');
    await settle();
    expect(catalog.take()).toEqual([{ op: 'deregister', req: { Node: 'node-a', Datacenter: 'dc1', ServiceID: 'web' } }]);
    await ae.stop();
  });

  it('runs a full sync every 1-2 minutes and repairs what changed behind its back', async () => {
    const { state, catalog, ae, settle, clock } = await setup({ server: false });
    await state.registerService({ Name: 'web', Port: 80 }, { replaceExistingChecks: false });
    ae.start();
    await settle();
    catalog.take();
    await catalog.deregister({ Node: 'node-a', ServiceID: 'web' });
    catalog.take();
    const reads = catalog.reads;
    clock.advance(60_000 - 1);
    await settle();
    expect(catalog.reads).toBe(reads);
    clock.advance(60_001);
    await settle();
    expect(catalog.reads).toBe(reads + 1);
    expect(catalog.take().map((o) => (o.op === 'register' ? o.req.Service?.ID : '?'))).toEqual(['web']);
    await ae.stop();
  });

  it('retries a failed sync as a full sync after 15-30 s', async () => {
    const { state, catalog, ae, settle, clock, logger } = await setup({ server: false });
    catalog.failWith = new Error('No cluster leader');
    ae.start();
    await settle();
    expect(catalog.ops).toEqual([]);
    expect(logger.lines.some((l) => l.includes('failed to sync with the catalog') && l.includes('No cluster leader'))).toBe(true);
    catalog.failWith = undefined;
    await state.registerService({ Name: 'web' }, { replaceExistingChecks: false });
    const reads = catalog.reads;
    await settle(); // the partial sync re-reads (nothing cached after a failure)
    expect(catalog.reads).toBe(reads + 1);
    expect(catalog.take().length).toBeGreaterThan(0);
    // And a failed sync with no further local change comes back by itself.
    catalog.failWith = new Error('boom');
    await state.deregisterService('web');
    await settle();
    catalog.failWith = undefined;
    clock.advance(14_999);
    await settle();
    expect(catalog.take()).toEqual([]);
    clock.advance(15_001);
    await settle();
    expect(catalog.take()).toEqual([{ op: 'deregister', req: { Node: 'node-a', Datacenter: 'dc1', ServiceID: 'web' } }]);
    await ae.stop();
  });
});
