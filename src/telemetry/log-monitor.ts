import type { LogMonitorOptions, LogMonitorStream } from '../../contracts/services/telemetry-service.js';
import { formatLogRecord, type LogTaps } from '../platform/text-logger.js';

/** Consul's monitor buffer (agent/monitor: BufferSize 512 lines). */
export const MONITOR_BUFFER_LINES = 512;

/**
 * One log monitor (Consul's agent/monitor): a tap on the agent's logger at the requested
 * level, formatting each record as text or JSON into a bounded buffer. A reader that falls
 * behind loses lines, never the agent's time: when the buffer is full new lines are dropped
 * and counted, and the next batch starts with `Monitor dropped N logs during monitor request`.
 */
export class LogMonitor implements LogMonitorStream {
  private readonly buffer: string[] = [];
  private dropped = 0;
  private droppedSinceRead = 0;
  private wake: (() => void) | undefined;
  private detach: (() => void) | undefined;

  constructor(taps: LogTaps, opts: LogMonitorOptions, private readonly capacity = MONITOR_BUFFER_LINES) {
    this.detach = taps.add(opts.level, (r) => {
      if (this.buffer.length >= this.capacity) {
        this.dropped++;
        this.droppedSinceRead++;
      } else {
        this.buffer.push(formatLogRecord(r, opts.json));
      }
      const w = this.wake;
      this.wake = undefined;
      w?.();
    });
  }

  async read(signal: AbortSignal): Promise<string[]> {
    while (this.buffer.length === 0 && this.droppedSinceRead === 0) {
      if (signal.aborted || !this.detach) return [];
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      this.wake = undefined;
    }
    const out = this.buffer.splice(0, this.buffer.length);
    if (this.droppedSinceRead > 0) {
      out.unshift(`Monitor dropped ${this.droppedSinceRead} logs during monitor request`);
      this.droppedSinceRead = 0;
    }
    return out;
  }

  close(): number {
    this.detach?.();
    this.detach = undefined;
    const w = this.wake;
    this.wake = undefined;
    w?.();
    return this.dropped;
  }
}
