import type { Clock, LogFields, Logger, LogLevel } from '../../contracts/platform.js';

const ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
const LABEL: Record<LogLevel, string> = {
  trace: '[TRACE]',
  debug: '[DEBUG]',
  info: '[INFO] ',
  warn: '[WARN] ',
  error: '[ERROR]',
};

/** Where finished lines go (stderr in the agent; an array in tests). */
export type LogSink = (line: string) => void;

interface Shared {
  level: LogLevel;
  readonly sink: LogSink;
  readonly clock: Clock;
  readonly json: boolean;
  readonly taps: LogTaps | undefined;
}

/** One log event before formatting (what a LogTaps listener receives). */
export interface LogRecord {
  readonly time: number;
  readonly level: LogLevel;
  readonly name: string;
  readonly msg: string;
  readonly fields: LogFields | undefined;
}

/** The numeric order of log levels (trace lowest). */
export function levelOrder(level: LogLevel): number {
  return ORDER[level];
}

/** Formats a record as the agent writes it: hclog text, or one JSON object with `json`. */
export function formatLogRecord(r: LogRecord, json: boolean): string {
  const ts = new Date(r.time).toISOString();
  if (json) {
    const obj: Record<string, unknown> = { '@timestamp': ts, '@level': r.level, '@module': r.name, '@message': r.msg };
    for (const [k, v] of Object.entries(r.fields ?? {})) obj[k] = v instanceof Error ? v.message : v;
    return JSON.stringify(obj);
  }
  const kv = Object.entries(r.fields ?? {})
    .map(([k, v]) => `${k}=${renderValue(v)}`)
    .join(' ');
  return `${ts} ${LABEL[r.level]} ${r.name}: ${r.msg}${kv ? `: ${kv}` : ''}`;
}

/**
 * Extra listeners of a logger tree (hclog's InterceptLogger sinks: `/v1/agent/monitor`). Each
 * has its own level, independent of the logger's: a monitor at TRACE sees trace lines while
 * the agent writes INFO. Listeners run synchronously on the logging call and must not block.
 */
export class LogTaps {
  private readonly taps = new Set<{ level: number; fn: (r: LogRecord) => void }>();
  private min = Number.POSITIVE_INFINITY;

  /** Adds a listener of records at `level` and above; returns the function that removes it. */
  add(level: LogLevel, fn: (r: LogRecord) => void): () => void {
    const tap = { level: ORDER[level], fn };
    this.taps.add(tap);
    this.recompute();
    return () => {
      this.taps.delete(tap);
      this.recompute();
    };
  }

  /** The lowest level any listener wants (Infinity with none). */
  minLevel(): number {
    return this.min;
  }

  /** Hands `r` to every listener whose level it reaches; a throwing listener is ignored. */
  emit(r: LogRecord): void {
    for (const t of this.taps) {
      if (ORDER[r.level] < t.level) continue;
      try {
        t.fn(r);
      } catch {
        // a listener must never break logging
      }
    }
  }

  private recompute(): void {
    let min = Number.POSITIVE_INFINITY;
    for (const t of this.taps) min = Math.min(min, t.level);
    this.min = min;
  }
}

function renderValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/**
 * Consul/hclog-style text logger: `2026-11-22T05:10:00.123Z [INFO]  agent.raft: message: k=v`.
 * With `json` it writes one JSON object a line (`@timestamp`, `@level`, `@module`, `@message`).
 * Children share the parent's level, so setLevel on any of them applies to all.
 */
export class TextLogger implements Logger {
  private constructor(
    private readonly shared: Shared,
    private readonly name: string,
  ) {}

  static create(opts: { level: LogLevel; sink: LogSink; clock: Clock; json?: boolean; name?: string; taps?: LogTaps }): TextLogger {
    return new TextLogger(
      { level: opts.level, sink: opts.sink, clock: opts.clock, json: opts.json ?? false, taps: opts.taps },
      opts.name ?? 'agent',
    );
  }

  trace(msg: string, fields?: LogFields): void {
    this.write('trace', msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  child(name: string): Logger {
    return new TextLogger(this.shared, this.name ? `${this.name}.${name}` : name);
  }

  setLevel(level: LogLevel): void {
    this.shared.level = level;
  }

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    const order = ORDER[level];
    const toSink = order >= ORDER[this.shared.level];
    const taps = this.shared.taps;
    const toTaps = taps !== undefined && order >= taps.minLevel();
    if (!toSink && !toTaps) return;
    const record: LogRecord = { time: this.shared.clock.now(), level, name: this.name, msg, fields };
    if (toSink) this.shared.sink(formatLogRecord(record, this.shared.json));
    if (toTaps) taps.emit(record);
  }
}
