import { describe, expect, it } from 'vitest';
import type { RegisterRequest } from '../../../contracts/model/catalog.js';
import type { AgentServiceView } from '../../../contracts/services/local-agent-service.js';
import { AntiEntropy } from '../../../src/agent/anti-entropy.js';
import type { LocalSource } from '../../../src/agent/anti-entropy.js';
import { LocalState } from '../../../src/agent/local-state.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../../src/rpc/health-endpoint.js';
import { encodeRpcRequest } from '../../../src/rpc/rpc-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { testConfig } from '../surface-rest/fakes.js';
import { FakeRaft } from '../rpc/fake-raft.js';
import { fakeRunners, flush } from './fakes.js';

/** `{"a": {"a": … {}}}` nested `levels` deep. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

/**
 * One poisoned registration (a service whose Proxy.Config nests 120 levels, slipped into the
 * local state past validation, as an older version accepted and persisted it) must not stop
 * anti-entropy for the other services and checks: the catalog write of each goes over the RPC
 * codec (msgpack refuses depth 100, exactly as a client agent's sync would), and the poisoned one
 * fails on its own, logged with Consul's text, and is retried by a later full sync.
 */
async function setup() {
  const clock = new ManualClock();
  const config = testConfig({ nodeName: 'node-a', nodeId: '11111111-2222-3333-4444-555555555555', advertiseAddr: '10.0.0.5', server: false });
  const random = new SeededRandom(3);
  const lines: string[] = [];
  const logger = TextLogger.create({ level: 'info', clock, sink: (l) => lines.push(l) });
  const state = new LocalState({ config: () => config, runners: fakeRunners().map, clock, random, logger: logger.child('local'), hooks: createHooks() });
  await state.start();
  const store = new StateStore();
  const deps = { store, raft: new FakeRaft(store), clock, config: { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } };
  const real = new CatalogEndpoint(deps);
  const health = new HealthEndpoint(deps);
  const ctx = { minIndex: 0, waitMs: 0, consistency: 'default' as const };
  let poisoned = true;
  const poison: AgentServiceView = {
    ID: 'poison', Service: 'poison', Tags: [], Meta: {}, Port: 1, Address: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false,
    Kind: 'connect-proxy', Proxy: { DestinationServiceName: 'web', Config: nested(120) }, Datacenter: 'dc1',
  };
  // The local side with the poisoned service injected past validation (while `poisoned`).
  const local: LocalSource = {
    services: () => ({ ...state.services(), ...(poisoned ? { poison } : {}) }),
    checks: () => state.checks(),
    onChange: (l) => state.onChange(l),
    adoptCatalogTags: (id, tags, expected) => state.adoptCatalogTags(id, tags, expected),
  };
  // Services the catalog refuses for now (a simulated refusal, e.g. no leader for this write).
  const refuse = new Set<string>();
  // Every write goes through the RPC encoder first, as on a client agent.
  const catalog = {
    register: async (req: RegisterRequest) => {
      encodeRpcRequest('Catalog.Register', req, ctx, 0);
      if (req.Service && refuse.has(req.Service.ID)) throw new Error('rpc error: No cluster leader');
      await real.register(req);
    },
    deregister: real.deregister.bind(real),
    nodeServices: real.nodeServices.bind(real),
  };
  const ae = new AntiEntropy({ config: () => config, local, catalog, health, clock, random, logger: logger.child('anti_entropy'), stateLogger: logger, checkUpdateIntervalMs: 0 });
  const stale = { minIndex: 0, waitMs: 0, consistency: 'stale' as const };
  const catalogStatus = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await health.nodeChecks('node-a', {}, stale)).value.map((c) => [c.CheckID, c.Status]));
  const catalogOutput = async (id: string): Promise<string | undefined> => (await health.nodeChecks('node-a', {}, stale)).value.find((c) => c.CheckID === id)?.Output;
  const catalogServices = async (): Promise<string[]> => ((await real.nodeServices('node-a', {}, stale)).value?.Services ?? []).map((s) => s.ID);
  return { clock, state, ae, lines, catalogStatus, catalogOutput, catalogServices, refuse, cure: () => (poisoned = false) };
}

const strip = (lines: string[]): string[] => lines.map((l) => l.replace(/^\S+ /, ''));

describe('AntiEntropy: each service and check on its own (Consul SyncChanges)', () => {
  it('a poisoned service fails alone, logged with Consul\'s text; the other services and their health changes reach the catalog', async () => {
    const { state, ae, lines, catalogStatus, catalogServices } = await setup();
    await state.registerService({ Name: 'web', Check: { TTL: '1m' } }, { replaceExistingChecks: false });
    await state.registerService({ Name: 'api', Check: { TTL: '1m' } }, { replaceExistingChecks: false });
    ae.start();
    await ae.syncChanges();
    expect(await catalogServices()).toEqual(['api', 'web']);
    const log = strip(lines);
    expect(log).toContain('[INFO]  agent: Synced node info');
    expect(log).toContain('[INFO]  agent: Synced service: service=web');
    expect(log).toContain('[INFO]  agent: Synced service: service=api');
    expect(log.some((l) => /^\[WARN\]  agent: Syncing service failed\.: service=poison error="Too deep objects in depth \d+"$/.test(l))).toBe(true);
    expect(log.some((l) => l.startsWith('[ERROR] agent.anti_entropy: failed to sync changes, retrying: failed=1'))).toBe(true);

    // Health changes keep flowing, every time, with the poisoned service still there.
    for (const [status, via] of [['passing', 'pass'], ['critical', 'fail'], ['warning', 'warn']] as const) {
      lines.length = 0;
      await state.updateTtl('service:web', status, via);
      await ae.syncChanges();
      expect((await catalogStatus())['service:web']).toBe(status);
      expect(strip(lines)).toContain('[INFO]  agent: Synced check: check=service:web');
    }
    // A deregistration too.
    lines.length = 0;
    await state.deregisterService('api');
    await ae.syncChanges();
    expect(await catalogServices()).toEqual(['web']);
    expect(strip(lines)).toContain('[INFO]  agent: Deregistered service: service=api');
    await state.registerCheck({ Name: 'disk', TTL: '1m' });
    await ae.syncChanges();
    lines.length = 0;
    await state.deregisterCheck('disk');
    await ae.syncChanges();
    expect(Object.keys(await catalogStatus())).toEqual(['service:web']);
    expect(strip(lines)).toContain('[INFO]  agent: Deregistered check: check=disk');
    await ae.stop();
    await state.stop();
  });

  it('what failed is retried by a full sync 15-30 s later and goes through once the catalog takes it', async () => {
    const { clock, state, ae, lines, catalogServices, refuse, cure } = await setup();
    cure();
    await state.registerService({ Name: 'web' }, { replaceExistingChecks: false });
    ae.start();
    await ae.syncChanges();
    refuse.add('db');
    await state.registerService({ Name: 'db', Check: { TTL: '1m' } }, { replaceExistingChecks: false });
    await state.registerService({ Name: 'cache' }, { replaceExistingChecks: false });
    await ae.syncChanges();
    expect(await catalogServices()).toEqual(['cache', 'web']);
    expect(strip(lines)).toContain('[WARN]  agent: Syncing service failed.: service=db error="rpc error: No cluster leader"');
    refuse.delete('db');
    lines.length = 0;
    clock.advance(14_999);
    for (let i = 0; i < 6; i++) await flush();
    expect(await catalogServices()).toEqual(['cache', 'web']);
    clock.advance(15_001);
    for (let i = 0; i < 6; i++) await flush();
    expect(await catalogServices()).toEqual(['cache', 'db', 'web']);
    expect(strip(lines)).toContain('[INFO]  agent: Synced service: service=db');
    await ae.stop();
    await state.stop();
  });

  it('syncChanges: concurrent callers share passes, and each sees its own change in the catalog', async () => {
    const { state, ae, catalogStatus, catalogOutput } = await setup();
    await state.registerService({ Name: 'web', Check: { TTL: '1m' } }, { replaceExistingChecks: false });
    ae.start();
    await ae.syncChanges();
    const writes = ae.writes;
    const statuses = ['passing', 'warning', 'critical', 'passing', 'warning'] as const;
    await Promise.all(
      statuses.map(async (s, i) => {
        await state.updateTtl('service:web', s, `write ${i}`);
        await ae.syncChanges();
        // Later writes may already have landed, but never an older state than this caller's.
        const seen = Number((await catalogOutput('service:web'))?.replace('write ', ''));
        expect(seen).toBeGreaterThanOrEqual(i);
      }),
    );
    expect((await catalogStatus())['service:web']).toBe('warning');
    // Five callers, far fewer passes than one per caller and write (the poisoned service is one write a pass).
    expect(ae.writes - writes).toBeLessThan(statuses.length * 2);
    await ae.stop();
    await state.stop();
  });
});
