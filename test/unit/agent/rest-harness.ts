import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { RestSurface } from '../../../plugins/surface-rest/rest-surface.js';
import { LocalState } from '../../../src/agent/local-state.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from '../surface-rest/fakes.js';
import { fakeRunners } from './fakes.js';

/** A REST surface on 127.0.0.1:0 over a real LocalState (fake check runners, real clock). */
export interface LocalApiHarness {
  surface: RestSurface;
  state: LocalState;
  base: string;
  port: number;
  runners: ReturnType<typeof fakeRunners>;
  stop(): Promise<void>;
}

/** Starts the harness; `stop` stops the surface, then the local state. */
export async function startLocalApi(overrides: Partial<RuntimeConfig> = {}): Promise<LocalApiHarness> {
  const clock = new SystemClock();
  const config = testConfig({ nodeName: 'node-a', ...overrides });
  const random = new SeededRandom(5);
  const logger = new SilentLogger();
  const runners = fakeRunners();
  const state = new LocalState({ config: () => config, runners: runners.map, clock, random, logger, hooks: createHooks() });
  await state.start();
  const surface = new RestSurface({ config, kv: new FakeKv(), status: new FakeStatus(), agent: new FakeAgent(), localAgent: state, logger, clock, random });
  await surface.start();
  const addr = surface.addresses()[0] ?? '';
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  return {
    surface,
    state,
    base: `http://${addr}`,
    port,
    runners,
    async stop() {
      await surface.stop();
      await state.stop();
    },
  };
}
