/**
 * Metrics port: where the agent's measurements go (Consul's go-metrics calls). Names are
 * dotted and given WITHOUT the `consul.` service prefix (`kvs.apply`, `raft.commitTime`,
 * `http.GET.v1.kv`); the sink adds the prefix (and, for gauges, the host name unless
 * `telemetry.disable_hostname`). Every method is synchronous, cheap and never throws: a
 * measurement must never slow down or fail the code path it measures.
 */

/** Optional labels of one series (Consul's metrics.Label list, as a map). */
export type MetricLabels = Readonly<Record<string, string>>;

export interface Metrics {
  /** Adds `value` (default 1) to the counter `name`. */
  incrCounter(name: string, value?: number, labels?: MetricLabels): void;
  /** Sets the gauge `name` to `value` (the last value set in an interval wins). */
  setGauge(name: string, value: number, labels?: MetricLabels): void;
  /** Records one observation of the sample (summary) `name`, e.g. a duration in milliseconds. */
  addSample(name: string, value: number, labels?: MetricLabels): void;
  /** Records the milliseconds elapsed since `startMs` (a Clock.now() value) as a sample of `name`. */
  measureSince(name: string, startMs: number, labels?: MetricLabels): void;
}

/** A Metrics that records nothing (for code built without a sink, e.g. unit tests). */
export const NO_METRICS: Metrics = Object.freeze({
  incrCounter(): void {},
  setGauge(): void {},
  addSample(): void {},
  measureSince(): void {},
});
