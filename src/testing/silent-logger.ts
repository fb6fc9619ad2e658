import type { Logger } from '../../contracts/platform.js';

/** A Logger that records lines in memory (bounded) and prints nothing; for simulations. */
export class SilentLogger implements Logger {
  constructor(
    private readonly name = '',
    readonly lines: string[] = [],
    private readonly max = 2000,
  ) {}
  private push(level: string, msg: string, fields?: Record<string, unknown>): void {
    this.lines.push(`${level} ${this.name}: ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  /** Records at trace level. */
  trace(msg: string, fields?: Record<string, unknown>): void {
    this.push('TRACE', msg, fields);
  }
  /** Records at debug level. */
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.push('DEBUG', msg, fields);
  }
  /** Records at info level. */
  info(msg: string, fields?: Record<string, unknown>): void {
    this.push('INFO', msg, fields);
  }
  /** Records at warn level. */
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.push('WARN', msg, fields);
  }
  /** Records at error level. */
  error(msg: string, fields?: Record<string, unknown>): void {
    this.push('ERROR', msg, fields);
  }
  /** A child sharing the same line buffer. */
  child(name: string): Logger {
    return new SilentLogger(this.name ? `${this.name}.${name}` : name, this.lines, this.max);
  }
  /** No-op. */
  setLevel(): void {}
}
