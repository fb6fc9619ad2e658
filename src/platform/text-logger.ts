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

  static create(opts: { level: LogLevel; sink: LogSink; clock: Clock; json?: boolean; name?: string }): TextLogger {
    return new TextLogger(
      { level: opts.level, sink: opts.sink, clock: opts.clock, json: opts.json ?? false },
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
    if (ORDER[level] < ORDER[this.shared.level]) return;
    const ts = new Date(this.shared.clock.now()).toISOString();
    if (this.shared.json) {
      const obj: Record<string, unknown> = { '@timestamp': ts, '@level': level, '@module': this.name, '@message': msg };
      for (const [k, v] of Object.entries(fields ?? {})) obj[k] = v instanceof Error ? v.message : v;
      this.shared.sink(JSON.stringify(obj));
      return;
    }
    const kv = Object.entries(fields ?? {})
      .map(([k, v]) => `${k}=${renderValue(v)}`)
      .join(' ');
    this.shared.sink(`${ts} ${LABEL[level]} ${this.name}: ${msg}${kv ? `: ${kv}` : ''}`);
  }
}
