import { describe, expect, it } from 'vitest';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../../src/rpc/health-endpoint.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { registerCmd } from '../state/catalog-harness.js';
import { FakeRaft } from './fake-raft.js';

const NODES = 10_000;
const PER_NODE = 5; // 50,000 instances
const SERVICES = 500; // ~100 instances each

describe('catalog performance sanity', () => {
  // Timings are printed, not asserted: a unit test must not fail because the machine is busy.
  // The p99 < 10 ms target is measured end to end by `npm run bench:catalog` (phase 3).
  it('answers /health/service for a 100-instance service out of 50,000 (timings printed)', async () => {
    const store = new StateStore();
    let index = 0;
    const t0 = performance.now();
    for (let n = 0; n < NODES; n++) {
      for (let k = 0; k < PER_NODE; k++) {
        const name = `svc-${(n * PER_NODE + k) % SERVICES}`;
        const cmd = registerCmd(`node-${String(n).padStart(5, '0')}`, {
          address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
          meta: { rack: `r${n % 20}` },
          service: { ID: `${name}-${k}`, Service: name, Tags: ['v1', `shard-${k}`], Port: 8000 + k },
          checks: [{ CheckID: 'serfHealth', Status: 'passing' }, { CheckID: `${name}-${k}:check`, ServiceID: `${name}-${k}`, Status: 'passing' }],
        });
        store.apply({ index: ++index, term: 1, data: encodeCommand(cmd) });
      }
    }
    const loadMs = performance.now() - t0;
    const deps = { store, raft: new FakeRaft(store), clock: new ManualClock(), config: { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } };
    const health = new HealthEndpoint(deps);
    const catalog = new CatalogEndpoint(deps);
    const opts = { minIndex: 0, waitMs: 0, consistency: 'stale' as const };

    // warm up the JIT, then sample
    for (let i = 0; i < 50; i++) await health.serviceHealth(`svc-${i % SERVICES}`, { tags: [], passingOnly: true }, {}, opts);
    const samples: number[] = [];
    let count = 0;
    for (let i = 0; i < 1000; i++) {
      const s = performance.now();
      const r = await health.serviceHealth(`svc-${i % SERVICES}`, { tags: [], passingOnly: true }, {}, opts);
      samples.push(performance.now() - s);
      count = r.value.length;
    }
    samples.sort((a, b) => a - b);
    const p50 = samples[500]!;
    const p99 = samples[990]!;
    const s = performance.now();
    const nodes = await catalog.serviceNodes('svc-7', [], {}, opts);
    const catalogMs = performance.now() - s;
    console.log(
      `catalog perf: loaded ${NODES} nodes / ${NODES * PER_NODE} instances in ${loadMs.toFixed(0)} ms; ` +
        `health.service (100 instances, ?passing) p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms; catalog.service ${catalogMs.toFixed(3)} ms`,
    );
    expect(count).toBe(100);
    expect(nodes.value).toHaveLength(100);
    expect(store.catalog.nodes().value).toHaveLength(NODES);
  }, 60_000);
});
