import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { InmemMetrics, goUtcTime } from '../../../src/telemetry/inmem-metrics.js';

const START = 1_764_950_000_000; // a multiple of 10 s

describe('InmemMetrics (go-metrics inmem sink)', () => {
  it('summarises the last finished 10 s interval in go-metrics JSON shape', () => {
    const clock = new ManualClock(START);
    const m = new InmemMetrics({ clock, hostname: 'node1', prometheusRetentionMs: 0 });
    m.incrCounter('kvs.apply.count', 1);
    m.incrCounter('kvs.apply.count', 3);
    m.addSample('kvs.apply', 2);
    m.addSample('kvs.apply', 4);
    m.setGauge('runtime.alloc_bytes', 100);
    m.setGauge('runtime.alloc_bytes', 120);
    m.addSample('dns.domain_query', 1, { node: 'n1' });
    // Only the current interval exists: it is shown.
    expect(m.summary().Counters).toEqual([
      { Name: 'consul.kvs.apply.count', Count: 2, Rate: 0.4, Sum: 4, Min: 1, Max: 3, Mean: 2, Stddev: Math.sqrt(2), Labels: {} },
    ]);
    clock.advance(10_000);
    m.addSample('kvs.apply', 100); // lands in the new (current) interval
    const s = m.summary();
    expect(s.Timestamp).toBe(goUtcTime(START));
    expect(s.Timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    expect(s.Gauges).toEqual([{ Name: 'consul.node1.runtime.alloc_bytes', Value: 120, Labels: {} }]);
    expect(s.Points).toEqual([]);
    expect(s.Samples.map((x) => [x.Name, x.Count, x.Sum, x.Min, x.Max, x.Mean, x.Labels])).toEqual([
      ['consul.dns.domain_query', 1, 1, 1, 1, 1, { node: 'n1' }],
      ['consul.kvs.apply', 2, 6, 2, 4, 3, {}],
    ]);
  });

  it('leaves the host name out of gauge names with disable_hostname', () => {
    const clock = new ManualClock(START);
    const m = new InmemMetrics({ clock, hostname: '', prometheusRetentionMs: 0 });
    m.setGauge('session_ttl.active', 2);
    expect(m.summary().Gauges[0]?.Name).toBe('consul.session_ttl.active');
  });

  it('renders the same measurements as Prometheus text and drops series older than the retention', async () => {
    const clock = new ManualClock(START);
    const m = new InmemMetrics({ clock, hostname: '', prometheusRetentionMs: 60_000 });
    m.incrCounter('raft.apply', 2);
    m.addSample('kvs.apply', 5);
    m.setGauge('runtime.alloc_bytes', 7);
    const families = parsePrometheusTextFormat((await m.prometheus()).body);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('consul_raft_apply')).toMatchObject({ type: 'COUNTER', metrics: [{ value: '2' }] });
    expect(byName.get('consul_kvs_apply')).toMatchObject({ type: 'SUMMARY', metrics: [{ count: '1', sum: '5' }] });
    expect(byName.get('consul_runtime_alloc_bytes')).toMatchObject({ type: 'GAUGE', metrics: [{ value: '7' }] });
    clock.advance(61_000);
    m.setGauge('runtime.alloc_bytes', 8);
    const later = parsePrometheusTextFormat((await m.prometheus()).body);
    const counts = new Map(later.map((f) => [f.name, f.metrics.length]));
    expect(counts.get('consul_raft_apply') ?? 0).toBe(0);
    expect(counts.get('consul_runtime_alloc_bytes')).toBe(1);
  });
});
