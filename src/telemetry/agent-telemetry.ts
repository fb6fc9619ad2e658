import type { LogMonitorOptions, LogMonitorStream, MetricsSummary, TelemetryApi } from '../../contracts/services/telemetry-service.js';
import type { LogTaps } from '../platform/text-logger.js';
import type { InmemMetrics } from './inmem-metrics.js';
import { LogMonitor } from './log-monitor.js';

/** The TelemetryApi over the agent's logger taps and its metrics sink. */
export class AgentTelemetry implements TelemetryApi {
  constructor(
    private readonly taps: LogTaps,
    private readonly sink: InmemMetrics,
  ) {}

  monitor(opts: LogMonitorOptions): LogMonitorStream {
    return new LogMonitor(this.taps, opts);
  }

  metricsSummary(): MetricsSummary {
    return this.sink.summary();
  }

  async prometheus(): Promise<{ contentType: string; body: string } | undefined> {
    return this.sink.prometheusEnabled() ? this.sink.prometheus() : undefined;
  }
}
