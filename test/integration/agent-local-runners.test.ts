import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckRunner } from '../../contracts/ports/check-runner.js';
import { HttpCheckRunner } from '../../plugins/check-http/http-check-runner.js';
import { TtlCheckRunner } from '../../plugins/check-ttl/ttl-check-runner.js';
import { AntiEntropy } from '../../src/agent/anti-entropy.js';
import { LocalState } from '../../src/agent/local-state.js';
import { createHooks } from '../../src/kernel/hooks.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import { testConfig } from '../unit/surface-rest/fakes.js';
import { FakeCatalog } from '../unit/agent/fakes.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('LocalState + AntiEntropy with the first-party http and ttl runners (real sockets, real clock)', () => {
  it('an http check flips with the server, and each status reaches the catalog', async () => {
    let code = 200;
    const server = createServer((_req, res) => {
      res.statusCode = code;
      res.end('hello');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;

    const clock = new SystemClock();
    const logger = new SilentLogger();
    const runners = new Map<string, CheckRunner>([
      ['http', new HttpCheckRunner({ clock, logger })],
      ['ttl', new TtlCheckRunner({ logger })],
    ]);
    const config = testConfig({
      nodeName: 'node-a',
      server: false,
      services: [{ name: 'web', port, check: { http: `http://127.0.0.1:${port}/health`, interval: '1s' } }],
    });
    const random = new SeededRandom(1);
    const state = new LocalState({ config: () => config, runners, clock, random, logger, hooks: createHooks() });
    await state.start();
    const catalog = new FakeCatalog();
    const ae = new AntiEntropy({ config: () => config, local: state, catalog, health: catalog, clock, random, logger });
    ae.start();
    cleanups.push(async () => {
      await ae.stop();
      await state.stop();
      for (const r of runners.values()) await r.close();
    });

    const catalogStatus = () => catalog.checks.get('node-a')?.get('service:web')?.Status;
    await until(() => state.checks()['service:web']?.Status === 'passing');
    expect(state.checks()['service:web']!.Output).toBe(`HTTP GET http://127.0.0.1:${port}/health: 200 OK Output: hello`);
    await until(() => catalogStatus() === 'passing');
    code = 503;
    await until(() => state.checks()['service:web']?.Status === 'critical');
    await until(() => catalogStatus() === 'critical');

    await state.registerService({ Name: 'cache', Check: { TTL: '300ms' } }, { replaceExistingChecks: false });
    await state.updateTtl('service:cache', 'passing', 'fresh');
    await until(() => catalog.checks.get('node-a')?.get('service:cache')?.Status === 'passing');
    await until(() => state.checks()['service:cache']?.Status === 'critical');
    expect(state.checks()['service:cache']!.Output).toBe('TTL expired (last output before timeout follows): fresh');
  });

  it('an http check that runs out of time reports Go\'s timeout text, not a cancellation', async () => {
    // The supervisor's timeout and the runner's own fire together; either way the output is a timeout.
    const server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const port = (server.address() as AddressInfo).port;
    const clock = new SystemClock();
    const logger = new SilentLogger();
    const runners = new Map<string, CheckRunner>([['http', new HttpCheckRunner({ clock, logger })]]);
    const config = testConfig({ nodeName: 'node-a', server: false });
    const state = new LocalState({ config: () => config, runners, clock, random: new SeededRandom(2), logger, hooks: createHooks() });
    await state.start();
    cleanups.push(() => state.stop());
    await state.registerCheck({ Name: 'slow', HTTP: `http://127.0.0.1:${port}/`, Interval: '1s', Timeout: '300ms' });
    await until(() => state.checks()['slow']?.Output !== '');
    expect(state.checks()['slow']).toMatchObject({
      Status: 'critical',
      Output: `Get "http://127.0.0.1:${port}/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });
});
