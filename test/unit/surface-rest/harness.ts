import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { RestSurface } from '../../../plugins/surface-rest/rest-surface.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from './fakes.js';

export interface SurfaceHarness {
  surface: RestSurface;
  /** `http://127.0.0.1:PORT` */
  base: string;
  port: number;
  kv: FakeKv;
  status: FakeStatus;
  agent: FakeAgent;
  logs: string[];
  config: RuntimeConfig;
}

/** Starts a RestSurface on 127.0.0.1 port 0 over the fakes. */
export async function startSurface(overrides: Partial<RuntimeConfig> = {}): Promise<SurfaceHarness> {
  const clock = new SystemClock();
  const logs: string[] = [];
  const config = testConfig(overrides);
  const kv = new FakeKv();
  const status = new FakeStatus();
  const agent = new FakeAgent();
  const surface = new RestSurface({
    config,
    kv,
    status,
    agent,
    logger: TextLogger.create({ level: 'debug', sink: (l) => logs.push(l), clock }).child('http'),
    clock,
    random: new SeededRandom(7),
  });
  await surface.start();
  const addr = surface.addresses()[0] ?? '';
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  return { surface, base: `http://${addr}`, port, kv, status, agent, logs, config };
}
