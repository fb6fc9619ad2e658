import { Counter, Gauge, Registry, Summary } from 'prom-client';
import type { Clock } from '../../contracts/platform.js';
import type { MetricLabels, Metrics } from '../../contracts/ports/metrics.js';
import type { MetricsGauge, MetricsSampled, MetricsSummary } from '../../contracts/services/telemetry-service.js';

/** go-metrics' inmem sink as Consul configures it: 10 s intervals, one minute retained. */
export const METRICS_INTERVAL_MS = 10_000;
export const METRICS_RETAIN_MS = 60_000;

/** How the sink names and exposes series (Consul's `telemetry` block). */
export interface InmemMetricsOptions {
  readonly clock: Clock;
  /** Inserted after the `consul.` prefix of gauge names unless empty (telemetry.disable_hostname). */
  readonly hostname: string;
  /** telemetry.prometheus_retention_time in ms: 0 disables the Prometheus output (Consul's default). */
  readonly prometheusRetentionMs: number;
}

interface Aggregate {
  name: string;
  labels: Record<string, string>;
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
}

interface Interval {
  start: number;
  gauges: Map<string, MetricsGauge>;
  counters: Map<string, Aggregate>;
  samples: Map<string, Aggregate>;
}

type PromMetric = Counter | Gauge | Summary;

/**
 * The agent's one metrics model (the Metrics port). Every measurement is aggregated into the
 * current 10 s interval (go-metrics' InmemSink, read by `/v1/agent/metrics`) and, when
 * Prometheus output is enabled, recorded in a prom-client registry (gauges, counters, and
 * summaries with go-metrics' 0.5/0.9/0.99 quantiles) whose series not updated within the
 * retention time are removed at scrape, like go-metrics' PrometheusSink. Names get the
 * `consul.` prefix (gauges also the host name); Prometheus names flatten `.` to `_`.
 */
export class InmemMetrics implements Metrics {
  private readonly intervals: Interval[] = [];
  private readonly registry = new Registry();
  private readonly prom = new Map<string, { metric: PromMetric; labelNames: string[] }>();
  private readonly touched = new Map<string, { name: string; labels: Record<string, string>; at: number }>();

  constructor(private readonly opts: InmemMetricsOptions) {}

  incrCounter(name: string, value = 1, labels?: MetricLabels): void {
    const full = `consul.${name}`;
    this.aggregate(this.current().counters, full, value, labels);
    this.promRecord('counter', full, value, labels);
  }

  setGauge(name: string, value: number, labels?: MetricLabels): void {
    const full = this.opts.hostname ? `consul.${this.opts.hostname}.${name}` : `consul.${name}`;
    const lab = { ...labels };
    this.current().gauges.set(seriesKey(full, lab), { Name: full, Value: value, Labels: lab });
    this.promRecord('gauge', full, value, labels);
  }

  addSample(name: string, value: number, labels?: MetricLabels): void {
    const full = `consul.${name}`;
    this.aggregate(this.current().samples, full, value, labels);
    this.promRecord('summary', full, value, labels);
  }

  measureSince(name: string, startMs: number, labels?: MetricLabels): void {
    this.addSample(name, this.opts.clock.now() - startMs, labels);
  }

  /** go-metrics' DisplayMetrics: the last finished interval, or the current one when it is alone. */
  summary(): MetricsSummary {
    this.current();
    const n = this.intervals.length;
    const iv = n === 1 ? this.intervals[0]! : this.intervals[n - 2]!;
    const rateDenom = METRICS_INTERVAL_MS / 1000;
    const sampled = (m: Map<string, Aggregate>): MetricsSampled[] =>
      [...m.values()]
        .map((a) => ({
          Name: a.name,
          Count: a.count,
          Rate: a.sum / rateDenom,
          Sum: a.sum,
          Min: a.min,
          Max: a.max,
          Mean: a.count === 0 ? 0 : a.sum / a.count,
          Stddev: stddev(a),
          Labels: { ...a.labels },
        }))
        .sort(byName);
    return {
      Timestamp: goUtcTime(Math.round(iv.start / 1000) * 1000),
      Gauges: [...iv.gauges.values()].map((g) => ({ ...g, Labels: { ...g.Labels } })).sort(byName),
      Points: [],
      Counters: sampled(iv.counters),
      Samples: sampled(iv.samples),
    };
  }

  /** Whether the Prometheus output is on (telemetry.prometheus_retention_time > 0). */
  prometheusEnabled(): boolean {
    return this.opts.prometheusRetentionMs > 0;
  }

  /** The Prometheus text exposition (prom-client), after dropping series older than the retention. */
  async prometheus(): Promise<{ contentType: string; body: string }> {
    const cutoff = this.opts.clock.now() - this.opts.prometheusRetentionMs;
    for (const [key, t] of this.touched) {
      if (t.at >= cutoff) continue;
      this.touched.delete(key);
      this.prom.get(t.name)?.metric.remove(t.labels);
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private current(): Interval {
    const now = this.opts.clock.now();
    const start = now - (now % METRICS_INTERVAL_MS);
    const last = this.intervals[this.intervals.length - 1];
    if (last && last.start === start) return last;
    const iv: Interval = { start, gauges: new Map(), counters: new Map(), samples: new Map() };
    this.intervals.push(iv);
    while (this.intervals.length > 0 && this.intervals[0]!.start <= now - METRICS_RETAIN_MS) this.intervals.shift();
    return iv;
  }

  private aggregate(into: Map<string, Aggregate>, name: string, value: number, labels?: MetricLabels): void {
    const lab = { ...labels };
    const key = seriesKey(name, lab);
    let a = into.get(key);
    if (!a) {
      a = { name, labels: lab, count: 0, sum: 0, sumSq: 0, min: value, max: value };
      into.set(key, a);
    }
    a.count++;
    a.sum += value;
    a.sumSq += value * value;
    if (value < a.min) a.min = value;
    if (value > a.max) a.max = value;
  }

  private promRecord(kind: 'counter' | 'gauge' | 'summary', name: string, value: number, labels?: MetricLabels): void {
    if (!this.prometheusEnabled()) return;
    const promName = name.replace(/[^a-zA-Z0-9_]/g, '_');
    const key = `${kind}:${promName}`;
    let entry = this.prom.get(key);
    if (!entry) {
      const labelNames = Object.keys(labels ?? {}).map(promLabel).sort();
      const base = { name: promName, help: name, labelNames, registers: [this.registry] };
      let metric: PromMetric;
      try {
        metric =
          kind === 'counter' ? new Counter(base) : kind === 'gauge' ? new Gauge(base) : new Summary({ ...base, percentiles: [0.5, 0.9, 0.99] });
      } catch {
        return; // the same flattened name already taken by another kind: keep the first
      }
      entry = { metric, labelNames };
      this.prom.set(key, entry);
    }
    const lab: Record<string, string> = {};
    for (const n of entry.labelNames) lab[n] = '';
    for (const [k, v] of Object.entries(labels ?? {})) if (entry.labelNames.includes(promLabel(k))) lab[promLabel(k)] = v;
    const m = entry.metric;
    if (m instanceof Counter) m.inc(lab, value);
    else if (m instanceof Gauge) m.set(lab, value);
    else m.observe(lab, value);
    this.touched.set(`${key}\u0000${JSON.stringify(lab)}`, { name: key, labels: lab, at: this.opts.clock.now() });
  }
}

function promLabel(k: string): string {
  return k.replace(/[^a-zA-Z0-9_]/g, '_');
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return parts.length === 0 ? name : `${name};${parts.join(';')}`;
}

function stddev(a: Aggregate): number {
  const div = a.count * (a.count - 1);
  if (div === 0) return 0;
  return Math.sqrt((a.count * a.sumSq - a.sum * a.sum) / div);
}

function byName(a: { Name: string }, b: { Name: string }): number {
  return a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0;
}

/** Go's time.Time.String() of a UTC instant at whole seconds: `2026-12-05 17:10:20 +0000 UTC`. */
export function goUtcTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-12-05T17:10:20.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}
