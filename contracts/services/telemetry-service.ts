import type { LogLevel } from '../platform.js';

/** One gauge in /v1/agent/metrics (go-metrics' GaugeValue JSON). */
export interface MetricsGauge {
  Name: string;
  Value: number;
  Labels: Record<string, string>;
}

/** One counter or sample in /v1/agent/metrics (go-metrics' SampledValue JSON). */
export interface MetricsSampled {
  Name: string;
  Count: number;
  Rate: number;
  Sum: number;
  Min: number;
  Max: number;
  Mean: number;
  Stddev: number;
  Labels: Record<string, string>;
}

/** GET /v1/agent/metrics: go-metrics' MetricsSummary of one 10 s interval. */
export interface MetricsSummary {
  /** The interval's start, as Go prints a UTC time: `2026-12-05 17:10:20 +0000 UTC`. */
  Timestamp: string;
  Gauges: MetricsGauge[];
  Points: unknown[];
  Counters: MetricsSampled[];
  Samples: MetricsSampled[];
}

/** What a monitor asks for: the lowest level it wants and whether lines are JSON objects. */
export interface LogMonitorOptions {
  readonly level: LogLevel;
  readonly json: boolean;
}

/** A live feed of the agent's log lines (one `/v1/agent/monitor` request). */
export interface LogMonitorStream {
  /**
   * Waits for the next lines (never more than are buffered) and returns them, each without its
   * newline; returns [] when `signal` aborts or the stream is closed. When lines were dropped
   * because the reader was slow, the batch starts with Consul's note
   * `Monitor dropped N logs during monitor request`. Never blocks the agent's logging.
   */
  read(signal: AbortSignal): Promise<string[]>;
  /** Detaches from the logger; returns how many lines were dropped in all. Idempotent. */
  close(): number;
}

/** The agent's operator views: log monitor and metrics (/v1/agent/monitor, /v1/agent/metrics). */
export interface TelemetryApi {
  /** Starts a log monitor at `opts.level` (independent of the agent's own log level). */
  monitor(opts: LogMonitorOptions): LogMonitorStream;
  /** The most recent finished 10 s interval (the current one while it is the only one), as go-metrics' DisplayMetrics. */
  metricsSummary(): MetricsSummary;
  /**
   * The Prometheus text exposition (rendered by prom-client from the same measurements) and its
   * content type, or undefined when it is disabled (telemetry.prometheus_retention_time not
   * positive, Consul's default).
   */
  prometheus(): Promise<{ contentType: string; body: string } | undefined>;
}
