import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { catalogDatacentersCommand, catalogNodesCommand, catalogServicesCommand } from '../../src/cli/commands/index.js';
import { RestSurface } from '../../plugins/surface-rest/rest-surface.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { TextLogger } from '../../src/platform/text-logger.js';
import { CatalogEndpoint } from '../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../src/rpc/health-endpoint.js';
import { StateStore } from '../../src/state/state-store.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { FakeRaft } from '../unit/rpc/fake-raft.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from '../unit/surface-rest/fakes.js';
import { runCommand } from '../support/run-command.js';

let surface: RestSurface;
let base = '';
let catalog: CatalogEndpoint;

function run(cmd: Command, args: string[]) {
  return runCommand(cmd, args, { SEXTANT_HTTP_ADDR: base });
}

beforeEach(async () => {
  const clock = new SystemClock();
  const config = testConfig();
  const store = new StateStore();
  const deps = { store, raft: new FakeRaft(store), clock, config: { datacenter: config.datacenter, defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } };
  catalog = new CatalogEndpoint(deps);
  surface = new RestSurface({
    config,
    kv: new FakeKv(),
    status: new FakeStatus(),
    agent: new FakeAgent(),
    catalog,
    health: new HealthEndpoint(deps),
    logger: TextLogger.create({ level: 'error', sink: () => {}, clock }),
    clock,
    random: new SeededRandom(1),
  });
  await surface.start();
  base = `http://${surface.addresses()[0]}`;
});
afterEach(async () => {
  await surface.stop();
});

async function seed(): Promise<void> {
  await catalog.register({ ID: 'a1b2c3d4-0000-0000-0000-000000000001', Node: 'alpha', Address: '10.0.0.1', NodeMeta: { env: 'prod', rack: 'r1' }, TaggedAddresses: { lan: '10.0.0.1' }, Service: { Service: 'web', Tags: ['rails', 'v1'] } } as never);
  await catalog.register({ ID: 'ffff0000-0000-0000-0000-000000000002', Node: 'beta-longer', Address: '10.0.0.22', NodeMeta: { env: 'dev' }, Service: { Service: 'consul' } } as never);
  await catalog.register({ Node: 'beta-longer', Address: '10.0.0.22', ID: 'ffff0000-0000-0000-0000-000000000002', NodeMeta: { env: 'dev' }, Service: { Service: 'web', ID: 'web2', Tags: ['v2'] } } as never);
}

describe('sextant catalog datacenters|nodes|services', () => {
  it('lists datacenters one per line', async () => {
    expect(await run(catalogDatacentersCommand, [])).toEqual({ code: 0, stdout: 'dc1\n', stderr: '' });
  });

  it('prints the nodes table (short IDs), -detailed, -service and -node-meta', async () => {
    await seed();
    expect((await run(catalogNodesCommand, [])).stdout).toBe(
      ['Node         ID        Address    DC', 'alpha        a1b2c3d4  10.0.0.1   dc1', 'beta-longer  ffff0000  10.0.0.22  dc1', ''].join('\n'),
    );
    const detailed = await run(catalogNodesCommand, ['-detailed', '-node-meta', 'env:prod']);
    expect(detailed.stdout).toBe(
      [
        'Node   ID                                    Address   DC   TaggedAddresses  Meta',
        'alpha  a1b2c3d4-0000-0000-0000-000000000001  10.0.0.1  dc1  lan=10.0.0.1     env=prod, rack=r1',
        '',
      ].join('\n'),
    );
    expect((await run(catalogNodesCommand, ['-service', 'consul'])).stdout).toMatch(/^Node +ID +Address +DC\nbeta-longer +ffff0000 +10\.0\.0\.22 +dc1\n$/);
    expect((await run(catalogNodesCommand, ['-node-meta', 'env:prod', '-node-meta', 'rack:r9']))).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No nodes match the given query - try expanding your search.\n',
    });
    expect((await run(catalogNodesCommand, ['-node-meta', 'nocolon'])).code).toBe(1);
  });

  it('prints services, with -tags aligned, per -node and by -node-meta', async () => {
    await seed();
    expect((await run(catalogServicesCommand, [])).stdout).toBe('consul\nweb\n');
    expect((await run(catalogServicesCommand, ['-tags'])).stdout).toBe('consul      \nweb         rails,v1,v2\n');
    expect((await run(catalogServicesCommand, ['-node', 'alpha', '-tags'])).stdout).toBe('web      rails,v1\n');
    expect((await run(catalogServicesCommand, ['-node-meta', 'env:dev'])).stdout).toBe('consul\nweb\n');
    expect(await run(catalogServicesCommand, ['-node', 'ghost'])).toEqual({ code: 0, stdout: '', stderr: 'No services match the given query - try expanding your search.\n' });
  });

  it('reports an unreachable agent with Consul wording', async () => {
    await surface.stop();
    const r = await run(catalogServicesCommand, []);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error listing services: Get "http:\/\/127\.0\.0\.1:\d+\/v1\/catalog\/services": dial tcp/);
  });
});
