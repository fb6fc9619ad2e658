import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { CatalogNode } from '../../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult } from '../../../contracts/model/query.js';
import type { CatalogApi } from '../../../contracts/services/catalog-service.js';
import { RestSurface } from '../../../plugins/surface-rest/rest-surface.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from './fakes.js';

/** A catalog that records the consistency each read came with. */
class RecordingCatalog implements CatalogApi {
  readonly seen: { consistency: string; maxStaleMs: number | undefined }[] = [];
  private answer<T>(value: T, opts: QueryOptions): Promise<QueryResult<T>> {
    this.seen.push({ consistency: opts.consistency, maxStaleMs: opts.maxStaleMs });
    return Promise.resolve({ value, meta: { index: 5, knownLeader: true, lastContactMs: 0 } });
  }
  register(): Promise<void> {
    return Promise.reject(new SextantError(ErrorCode.NotImplemented, 'not in this test'));
  }
  deregister(): Promise<void> {
    return Promise.reject(new SextantError(ErrorCode.NotImplemented, 'not in this test'));
  }
  datacenters(): Promise<string[]> {
    return Promise.resolve(['dc1']);
  }
  nodes(_f: unknown, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>> {
    return this.answer([], opts);
  }
  services(_f: unknown, opts: QueryOptions): Promise<QueryResult<Record<string, string[]>>> {
    return this.answer({}, opts);
  }
  serviceNodes(_s: string, _t: string[], _f: unknown, opts: QueryOptions) {
    return this.answer([], opts);
  }
  nodeServices(_n: string, _f: unknown, opts: QueryOptions) {
    return this.answer(null, opts);
  }
}

let surface: RestSurface | undefined;
afterEach(async () => {
  await surface?.stop();
  surface = undefined;
});

async function start(discoveryMaxStaleMs: number): Promise<{ base: string; catalog: RecordingCatalog }> {
  const clock = new SystemClock();
  const catalog = new RecordingCatalog();
  surface = new RestSurface({
    config: testConfig({ discoveryMaxStaleMs }),
    kv: new FakeKv(),
    status: new FakeStatus(),
    agent: new FakeAgent(),
    catalog,
    logger: TextLogger.create({ level: 'error', sink: () => {}, clock }),
    clock,
    random: new SeededRandom(1),
  });
  await surface.start();
  return { base: `http://${surface.addresses()[0]}`, catalog };
}

describe("discovery_max_stale (Consul's parseConsistency)", () => {
  it('makes /v1/catalog reads without a consistency parameter stale, bounded by it', async () => {
    const { base, catalog } = await start(30_000);
    for (const q of ['', '?stale', '?consistent', '?leader', '?max_stale=5s', '?max_stale=0s']) {
      const res = await fetch(`${base}/v1/catalog/nodes${q}`);
      expect(res.status).toBe(200);
    }
    expect(catalog.seen).toEqual([
      { consistency: 'stale', maxStaleMs: 30_000 },
      { consistency: 'stale', maxStaleMs: undefined },
      { consistency: 'consistent', maxStaleMs: undefined },
      { consistency: 'default', maxStaleMs: undefined },
      { consistency: 'stale', maxStaleMs: 5_000 },
      { consistency: 'stale', maxStaleMs: 30_000 }, // ?max_stale=0 leaves the defaults, as Consul
    ]);
  });

  it('is off at 0 (the default): catalog reads stay in default consistency', async () => {
    const { base, catalog } = await start(0);
    expect((await fetch(`${base}/v1/catalog/services`)).status).toBe(200);
    expect(catalog.seen).toEqual([{ consistency: 'default', maxStaleMs: undefined }]);
  });
});
