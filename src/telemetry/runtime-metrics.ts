import { PerformanceObserver } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../../contracts/platform.js';
import type { Metrics } from '../../contracts/ports/metrics.js';

/** go-metrics' runtime stats interval (ProfileInterval, 1 s). */
export const RUNTIME_METRICS_INTERVAL_MS = 1_000;

/**
 * Consul's `consul.runtime.*` gauges, Node's analogues of go-metrics' runtime stats, every
 * second: alloc_bytes (V8 heap used), sys_bytes (RSS), num_goroutines (active libuv handles
 * and requests), total_gc_runs, total_gc_pause_ns, plus a `runtime.gc_pause_ns` sample per
 * garbage collection (from perf_hooks). `extra` gauges (Raft, sessions) are collected on the same tick.
 */
export class RuntimeMetrics {
  private timer: TimerHandle | undefined;
  private observer: PerformanceObserver | undefined;
  private gcRuns = 0;
  private gcPauseNs = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly extra: readonly (() => void)[] = [],
  ) {}

  /** Starts the observer and the 1 s tick (collects once at once). */
  start(): void {
    if (this.timer) return;
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const ns = Math.round(e.duration * 1e6);
        this.gcRuns++;
        this.gcPauseNs += ns;
        this.metrics.addSample('runtime.gc_pause_ns', ns);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.collect();
    this.timer = this.clock.setInterval(() => this.collect(), RUNTIME_METRICS_INTERVAL_MS);
  }

  /** Stops the tick and the observer. Idempotent. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.observer?.disconnect();
    this.observer = undefined;
  }

  private collect(): void {
    const mem = process.memoryUsage();
    this.metrics.setGauge('runtime.alloc_bytes', mem.heapUsed);
    this.metrics.setGauge('runtime.sys_bytes', mem.rss);
    this.metrics.setGauge('runtime.heap_bytes', mem.heapTotal);
    this.metrics.setGauge('runtime.num_goroutines', process.getActiveResourcesInfo().length);
    this.metrics.setGauge('runtime.total_gc_runs', this.gcRuns);
    this.metrics.setGauge('runtime.total_gc_pause_ns', this.gcPauseNs);
    for (const fn of this.extra) fn();
  }
}
