import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { LocalPersistence, idFileName } from '../../../src/agent/local-persistence.js';
import { LocalState } from '../../../src/agent/local-state.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { testConfig } from '../surface-rest/fakes.js';
import { fakeRunners, flush } from './fakes.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sextant-local-'));
  dirs.push(d);
  return d;
}

function setup(opts: { config?: Partial<RuntimeConfig>; dataDir?: string; clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock();
  let config = testConfig({ nodeName: 'node-a', ...opts.config });
  const runners = fakeRunners();
  const hooks = createHooks();
  const statusChanges: [string, string, string][] = [];
  hooks.checkStatusChanged.tap('test', (id, status, output) => void statusChanges.push([id, status, output]));
  const random = new SeededRandom(3);
  const logger = new SilentLogger();
  const state = new LocalState({
    config: () => config,
    runners: runners.map,
    clock,
    random,
    logger,
    hooks,
    persistence: opts.dataDir ? new LocalPersistence(opts.dataDir, { logger, random }) : undefined,
  });
  let changes = 0;
  state.onChange(() => changes++);
  return {
    clock,
    runners,
    state,
    statusChanges,
    changes: () => changes,
    setConfig: (c: Partial<RuntimeConfig>) => {
      config = testConfig({ ...config, ...c });
      return config;
    },
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isSextantError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'ok';
}

describe('LocalState: services and checks over the API', () => {
  it('registers a service with a TTL check that pass/fail drive, firing checkStatusChanged', async () => {
    const { state, statusChanges } = setup();
    await state.start();
    await state.registerService({ Name: 'cache', Port: 6379, Check: { TTL: '15s' } }, { replaceExistingChecks: false });
    expect(state.services()).toEqual({
      cache: { ID: 'cache', Service: 'cache', Tags: [], Meta: {}, Port: 6379, Address: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, Datacenter: 'dc1' },
    });
    expect(state.checks()['service:cache']).toEqual({
      Node: 'node-a',
      CheckID: 'service:cache',
      Name: "Service 'cache' check",
      Status: 'critical',
      Notes: '',
      Output: '',
      ServiceID: 'cache',
      ServiceName: 'cache',
      ServiceTags: [],
      Type: 'ttl',
      Interval: '',
      Timeout: '',
      ExposedPort: 0,
      Definition: {},
      CreateIndex: 0,
      ModifyIndex: 0,
    });
    // Consul's HealthCheck.Interval/Timeout: a service's check shows '' for zero, a check
    // registered on its own `0s`; Go's text either way.
    await state.registerService({ Name: 'api', Check: { HTTP: 'http://x', Interval: '90s', Timeout: '1500ms' } }, { replaceExistingChecks: false });
    expect(state.checks()['service:api']).toMatchObject({ Interval: '1m30s', Timeout: '1.5s' });
    await state.registerCheck({ Name: 'disk', TTL: '30s' });
    expect(state.checks()['disk']).toMatchObject({ Interval: '0s', Timeout: '0s' });
    await state.updateTtl('service:cache', 'passing', 'ok');
    expect(state.checks()['service:cache']).toMatchObject({ Status: 'passing', Output: 'ok' });
    expect(statusChanges).toEqual([['service:cache', 'passing', 'ok']]);
    await state.updateTtl('service:cache', 'passing', 'x'.repeat(5000));
    expect(state.checks()['service:cache']!.Output).toBe(`${'x'.repeat(4096)} ... (captured 4096 of 5000 bytes)`);
    await state.stop();
  });

  it('answers NOT_FOUND / BAD_REQUEST with Consul texts', async () => {
    const { state } = setup();
    await state.start();
    await state.registerService({ Name: 'web', Check: { HTTP: 'http://x', Interval: '10s' } }, { replaceExistingChecks: false });
    expect(await code(state.deregisterService('nope'))).toBe('NOT_FOUND: Unknown service ID "nope". Ensure that the service ID is passed, not the service name.');
    expect(await code(state.deregisterCheck('nope'))).toBe('NOT_FOUND: Unknown check ID "nope". Ensure that the check ID is passed, not the check name.');
    expect(await code(state.updateTtl('nope', 'passing', ''))).toMatch(/^NOT_FOUND/);
    expect(await code(state.updateTtl('service:web', 'passing', ''))).toBe('BAD_REQUEST: CheckID "service:web" does not have associated TTL');
    expect(await code(state.registerCheck({ Name: 'c', ServiceID: 'ghost', TTL: '1s' }))).toBe('BAD_REQUEST: ServiceID "ghost" does not exist');
    expect(await code(state.registerService({ Port: 1 }, { replaceExistingChecks: false }))).toBe('BAD_REQUEST: Missing service name');
    expect(await code(state.serviceMaintenance('ghost', true, ''))).toBe('NOT_FOUND: No service registered with ID "ghost"');
    await state.stop();
  });

  it('re-registering a changed check keeps its status and output until its next result (Consul snapshot)', async () => {
    const { state } = setup();
    await state.start();
    await state.registerService({ Name: 'web', Check: { TTL: '10s' } }, { replaceExistingChecks: false });
    await state.updateTtl('service:web', 'passing', 'up');
    await state.registerService({ Name: 'web', Port: 81, Check: { TTL: '30s' } }, { replaceExistingChecks: false });
    expect(state.checks()['service:web']).toMatchObject({ Status: 'passing', Output: 'up' });
    await state.registerCheck({ Name: 'disk', TTL: '1m' });
    await state.updateTtl('disk', 'warning', 'full');
    await state.registerCheck({ Name: 'disk', TTL: '2m', Notes: 'changed' });
    expect(state.checks()['disk']).toMatchObject({ Status: 'warning', Output: 'full', Notes: 'changed' });
    await state.stop();
  });

  it('keeps other checks on re-registration unless replace-existing-checks, and deregisters checks with the service', async () => {
    const { state } = setup();
    await state.start();
    await state.registerService({ Name: 'web', Checks: [{ TTL: '10s' }, { TTL: '20s' }] }, { replaceExistingChecks: false });
    await state.registerCheck({ Name: 'extra', ServiceID: 'web', TTL: '30s' });
    await state.registerService({ Name: 'web', Tags: ['v2'], Check: { CheckID: 'service:web:1', TTL: '10s' } }, { replaceExistingChecks: false });
    expect(Object.keys(state.checks()).sort()).toEqual(['extra', 'service:web:1', 'service:web:2']);
    expect(state.checks()['extra']!.ServiceTags).toEqual(['v2']);
    await state.registerService({ Name: 'web', Check: { CheckID: 'service:web:1', TTL: '10s' } }, { replaceExistingChecks: true });
    expect(Object.keys(state.checks())).toEqual(['service:web:1']);
    await state.deregisterService('web');
    expect(state.checks()).toEqual({});
    await state.stop();
  });

  it('node and service maintenance: critical checks with Consul names and default notes; health is maintenance/503', async () => {
    const { state } = setup();
    await state.start();
    await state.registerService({ Name: 'web', Check: { TTL: '10s', Status: 'passing' } }, { replaceExistingChecks: false });
    expect(state.serviceHealthById('web')?.AggregatedStatus).toBe('passing');
    await state.serviceMaintenance('web', true, '');
    expect(state.checks()['_service_maintenance:web']).toMatchObject({
      Name: 'Service Maintenance Mode',
      Status: 'critical',
      Notes: 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.',
      ServiceID: 'web',
      Type: 'maintenance',
    });
    expect(state.serviceHealthById('web')?.AggregatedStatus).toBe('maintenance');
    expect(LocalState.httpStatusOf('maintenance')).toBe(503);
    await state.serviceMaintenance('web', false, '');
    await state.nodeMaintenance(true, 'patching');
    expect(state.checks()['_node_maintenance']).toMatchObject({ Name: 'Node Maintenance Mode', Status: 'critical', Notes: 'patching', ServiceID: '' });
    expect(state.serviceHealthByName('web').map((h) => [h.AggregatedStatus, h.Checks.map((c) => c.CheckID)])).toEqual([['maintenance', ['_node_maintenance', 'service:web']]]);
    await state.nodeMaintenance(false, '');
    expect(Object.keys(state.checks())).toEqual(['service:web']);
    await state.stop();
  });

  it('aggregates health: worst of service checks and node checks; 200/429/503', async () => {
    const { state } = setup();
    await state.start();
    await state.registerService({ Name: 'web', ID: 'web1', Check: { TTL: '10s', Status: 'passing' } }, { replaceExistingChecks: false });
    await state.registerService({ Name: 'web', ID: 'web2', Check: { TTL: '10s', Status: 'passing' } }, { replaceExistingChecks: false });
    await state.registerCheck({ Name: 'disk', TTL: '1m', Status: 'passing' });
    expect(state.serviceHealthById('web1')!.AggregatedStatus).toBe('passing');
    await state.updateTtl('disk', 'warning', 'low');
    expect(state.serviceHealthById('web1')!.AggregatedStatus).toBe('warning');
    expect(LocalState.httpStatusOf('warning')).toBe(429);
    await state.updateTtl('service:web2', 'critical', 'down');
    expect(state.serviceHealthByName('web').map((h) => h.AggregatedStatus)).toEqual(['warning', 'critical']);
    expect(state.serviceHealthById('nope')).toBeUndefined();
    expect(state.serviceHealthByName('nope')).toEqual([]);
    await state.stop();
  });

  it('reaps a service whose check stayed critical past deregister_critical_service_after', async () => {
    const { state, clock } = setup();
    await state.start();
    await state.registerService({ Name: 'web', Check: { TTL: '10s', DeregisterCriticalServiceAfter: '1m' } }, { replaceExistingChecks: false });
    await state.registerService({ Name: 'db', Check: { TTL: '10m', Status: 'passing', DeregisterCriticalServiceAfter: '1m' } }, { replaceExistingChecks: false });
    clock.advance(60_000);
    await flush();
    expect(Object.keys(state.services())).toEqual(['db', 'web']); // critical for exactly 1m, not longer
    clock.advance(30_000);
    await flush();
    expect(Object.keys(state.services())).toEqual(['db']);
    expect(Object.keys(state.checks())).toEqual(['service:db']);
    await state.stop();
  });
});

describe('LocalState: config-directory definitions and reload', () => {
  const web = { name: 'web', port: 80, check: { http: 'http://localhost', interval: '10s' } };
  const api = { name: 'api', port: 9000, checks: [{ tcp: 'localhost:9000', interval: '5s' }, { ttl: '30s' }] };

  it('loads config services at start; refuses a bad definition with CONFIG_INVALID naming where', async () => {
    const { state } = setup({ config: { services: [web, api] } });
    await state.start();
    expect(Object.keys(state.services())).toEqual(['api', 'web']);
    expect(Object.keys(state.checks())).toEqual(['service:api:1', 'service:api:2', 'service:web']);
    const bad = setup({ config: { services: [{ name: 'x', check: { http: 'http://x' } }] } });
    expect(await code(bad.state.start())).toBe('CONFIG_INVALID: services[0] ("x"): Invalid check: interval is required for http checks (and must be > 0)');
    await state.stop();
  });

  it('reload: unchanged checks keep running with their state, changed ones restart, removed stop, new start', async () => {
    const { state, setConfig, runners, clock } = setup({ config: { services: [web, api] } });
    await state.start();
    await state.updateTtl('service:api:2', 'passing', 'fine');
    runners.http.auto = { status: 'passing', output: 'HTTP GET http://localhost: 200 OK Output: ' };
    runners.tcp.auto = { status: 'passing', output: 'TCP connect localhost:9000: Success' };
    clock.advance(10_000);
    await flush();
    expect(state.checks()['service:web']!.Status).toBe('passing');
    expect(state.checks()['service:api:1']!.Status).toBe('passing');
    const tcpProbes = runners.tcp.probes;
    runners.tcp.auto = undefined;
    const probesBefore = runners.http.probes;

    const changedApi = { ...api, tags: ['v2'], checks: [{ tcp: 'localhost:9001', interval: '5s' }, { ttl: '30s' }] };
    const cache = { name: 'cache', check: { ttl: '10s' } };
    await state.applyConfig(setConfig({ services: [changedApi, cache] }));
    expect(Object.keys(state.services())).toEqual(['api', 'cache']);
    expect(state.services()['api']!.Tags).toEqual(['v2']);
    const checks = state.checks();
    expect(Object.keys(checks)).toEqual(['service:api:1', 'service:api:2', 'service:cache']);
    expect(checks['service:api:2']).toMatchObject({ Status: 'passing', Output: 'fine' }); // unchanged: state kept
    // Changed: restarted, but (Consul's check-state snapshot) it keeps its status and output
    // until its next result instead of flapping to critical.
    expect(checks['service:api:1']).toMatchObject({ Status: 'passing', Output: 'TCP connect localhost:9000: Success' });
    clock.advance(5_000);
    await flush();
    expect(runners.tcp.probes).toBe(tcpProbes + 1); // the new api:1 runs
    expect(state.checks()['service:api:1']!.Status).toBe('passing');
    runners.tcp.finish({ status: 'critical', output: 'dial tcp 127.0.0.1:9001: connect: connection refused' });
    await flush();
    expect(state.checks()['service:api:1']).toMatchObject({ Status: 'critical', Output: 'dial tcp 127.0.0.1:9001: connect: connection refused' });
    clock.advance(20_000);
    await flush();
    expect(runners.http.probes).toBe(probesBefore); // web's http check stopped
  });

  it('reload with a broken definition changes nothing', async () => {
    const { state, setConfig } = setup({ config: { services: [web] } });
    await state.start();
    expect(await code(state.applyConfig(setConfig({ services: [{ name: 'api', check: { grpc: 'x:1', interval: '1s' } }] })))).toMatch(
      /^CONFIG_INVALID: services\[0\] \("api"\): Invalid check: unknown check kind: no loaded check runner accepts "grpc"/,
    );
    expect(Object.keys(state.services())).toEqual(['web']);
    expect(() => state.validateConfig(setConfig({ services: [{ name: 'x', check: { tcp: 'x:1' } }] }))).toThrow(/services\[0\] \("x"\): Invalid check: interval is required for tcp checks/);
    expect(() => state.validateConfig(setConfig({ services: [], checks: [{ name: 'c', ttl: '1s', service_id: 'gone' }] }))).toThrow(/checks\[0\] \("c"\): service_id "gone" does not name a registered service/);
    expect(Object.keys(state.services())).toEqual(['web']);
    await state.stop();
  });

  it('enable_tag_override: tags taken from the catalog stay over a reload that leaves the service as it was, not over one that changes it', async () => {
    const svc = { name: 'web', tags: ['a'], enable_tag_override: true, check: { ttl: '1m' } };
    const { state, setConfig } = setup({ config: { services: [svc] } });
    await state.start();
    expect(state.adoptCatalogTags('web', ['b'], ['stale'])).toBe(false); // the agent changed them meanwhile
    expect(state.adoptCatalogTags('web', ['b'], ['a'])).toBe(true);
    expect(state.services()['web']!.Tags).toEqual(['b']);
    expect(state.checks()['service:web']!.ServiceTags).toEqual(['b']);
    await state.applyConfig(setConfig({ services: [svc] }));
    expect(state.services()['web']!.Tags).toEqual(['b']);
    await state.applyConfig(setConfig({ services: [{ ...svc, port: 81 }] }));
    expect(state.services()['web']!.Tags).toEqual(['a']);
    // Without enable_tag_override nothing is ever taken.
    await state.registerService({ Name: 'api', Tags: ['a'] }, { replaceExistingChecks: false });
    expect(state.adoptCatalogTags('api', ['b'], ['a'])).toBe(false);
    expect(state.services()['api']!.Tags).toEqual(['a']);
    await state.stop();
  });

  it('reload leaves HTTP registrations alone', async () => {
    const { state, setConfig } = setup({ config: { services: [web] } });
    await state.start();
    await state.registerService({ Name: 'dyn', Check: { TTL: '10s' } }, { replaceExistingChecks: false });
    await state.applyConfig(setConfig({ services: [] }));
    expect(Object.keys(state.services())).toEqual(['dyn']);
    expect(Object.keys(state.checks())).toEqual(['service:dyn']);
    await state.stop();
  });
});

describe('LocalState: persistence', () => {
  it('restores HTTP registrations, maintenance and a TTL status still within its TTL after a restart', async () => {
    const dataDir = tempDir();
    const clock = new ManualClock();
    const a = setup({ dataDir, clock });
    await a.state.start();
    await a.state.registerService({ Name: 'cache', Port: 6379, Tags: ['t'], Check: { TTL: '15s' } }, { replaceExistingChecks: false });
    await a.state.registerCheck({ Name: 'slow', TTL: '1m' });
    await a.state.updateTtl('service:cache', 'passing', 'ok');
    await a.state.updateTtl('slow', 'warning', 'hmm');
    await a.state.serviceMaintenance('cache', true, 'upgrade');
    await a.state.nodeMaintenance(true, '');
    await a.state.stop();
    expect(readdirSync(join(dataDir, 'services'))).toEqual([`${idFileName('cache')}.json`]);
    expect(readdirSync(join(dataDir, 'checks', 'state')).sort()).toEqual([`${idFileName('service:cache')}.json`, `${idFileName('slow')}.json`].sort());

    clock.advance(20_000); // past cache's 15s TTL, within slow's 1m
    const b = setup({ dataDir, clock });
    await b.state.start();
    expect(b.state.services()['cache']).toMatchObject({ Port: 6379, Tags: ['t'] });
    const checks = b.state.checks();
    expect(Object.keys(checks).sort()).toEqual(['_node_maintenance', '_service_maintenance:cache', 'service:cache', 'slow']);
    expect(checks['service:cache']).toMatchObject({ Status: 'critical', Output: '' });
    expect(checks['slow']).toMatchObject({ Status: 'warning', Output: 'hmm' });
    expect(checks['_service_maintenance:cache']!.Notes).toBe('upgrade');
    expect(checks['_node_maintenance']!.Notes).toBe('Maintenance mode is enabled for this node, but no reason was provided. This is a default message.');
    // The restored TTL check gets a full TTL from the restart, then expires with its last output.
    clock.advance(60_000);
    expect(b.state.checks()['slow']).toMatchObject({ Status: 'critical', Output: 'TTL expired (last output before timeout follows): hmm' });

    await b.state.deregisterService('cache');
    await b.state.nodeMaintenance(false, '');
    await b.state.stop();
    const c = setup({ dataDir, clock });
    await c.state.start();
    expect(c.state.services()).toEqual({});
    expect(Object.keys(c.state.checks())).toEqual(['slow']);
    await c.state.stop();
  });

  it('does not persist config-directory definitions; config wins over a persisted registration with the same id', async () => {
    const dataDir = tempDir();
    const a = setup({ dataDir, config: { services: [{ name: 'web', port: 80 }] } });
    await a.state.start();
    await a.state.registerService({ Name: 'api', Port: 1 }, { replaceExistingChecks: false });
    await a.state.stop();
    expect(readdirSync(join(dataDir, 'services'))).toEqual([`${idFileName('api')}.json`]);
    const b = setup({ dataDir, config: { services: [{ name: 'api', port: 2 }] } });
    await b.state.start();
    expect(b.state.services()['api']!.Port).toBe(2);
    expect(b.state.services()['web']).toBeUndefined();
    await b.state.stop();
    expect(readdirSync(join(dataDir, 'services'))).toEqual([]);
  });
});
