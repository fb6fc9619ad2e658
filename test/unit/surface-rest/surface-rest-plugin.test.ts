import { describe, expect, it } from 'vitest';
import type { KernelServices, PortName, ProviderFactory } from '../../../contracts/plugin.js';
import plugin from '../../../plugins/surface-rest/index.js';
import { RestSurface } from '../../../plugins/surface-rest/rest-surface.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from './fakes.js';

describe('surface-rest plugin manifest', () => {
  it('provides apiSurface "http" whose factory builds a working RestSurface', async () => {
    const provided: [PortName, string, ProviderFactory<PortName>][] = [];
    const clock = new SystemClock();
    const logger = TextLogger.create({ level: 'error', sink: () => {}, clock });
    await plugin.register({
      name: 'surface-rest',
      pluginConfig: {},
      config: testConfig(),
      hooks: {} as never,
      logger,
      provide: (port, id, factory) => provided.push([port, id, factory as ProviderFactory<PortName>]),
    });
    expect(plugin).toMatchObject({ name: 'surface-rest', kernel: '^1.0.0' });
    expect(provided.map(([p, id]) => [p, id])).toEqual([['apiSurface', 'http']]);
    const services = {
      config: testConfig(),
      logger,
      clock,
      random: new SeededRandom(1),
      kv: new FakeKv(),
      status: new FakeStatus(),
      agent: new FakeAgent(),
    } as unknown as KernelServices;
    const surface = (await provided[0]![2](services)) as RestSurface;
    expect(surface).toBeInstanceOf(RestSurface);
    await surface.start();
    const res = await fetch(`http://${surface.addresses()[0]}/v1/status/leader`);
    expect(await res.text()).toBe('"127.0.0.1:8300"');
    await surface.stop();
  });
});
