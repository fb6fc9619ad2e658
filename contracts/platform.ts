/**
 * Platform ports: time, randomness and logging. Nothing in src/ or plugins/ reads the wall
 * clock, schedules timers or draws random numbers except through these, so that a whole
 * cluster can run in one process on a manual clock from a seed and replay exactly.
 */

/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  /** Cancels the timer; calling it after the timer fired or twice is a no-op. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (fractional values allowed). Never decreases. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (0 or negative: on a later turn, never synchronously). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs `fn` every `ms` milliseconds until cancelled; `ms` must be > 0. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

export interface Random {
  /** A float uniformly distributed in [0, 1). */
  next(): number;
  /** An integer uniformly distributed in [0, maxExclusive); maxExclusive must be ≥ 1. */
  int(maxExclusive: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** A random RFC 4122 version-4 UUID in lowercase hex with dashes. */
  uuid(): string;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Structured fields attached to a log line. Values are rendered with String() or JSON. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  /** Logs at trace level; a no-op when the level is filtered out. */
  trace(msg: string, fields?: LogFields): void;
  /** Logs at debug level. */
  debug(msg: string, fields?: LogFields): void;
  /** Logs at info level. */
  info(msg: string, fields?: LogFields): void;
  /** Logs at warn level. */
  warn(msg: string, fields?: LogFields): void;
  /** Logs at error level. */
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry `name` (dotted onto this logger's name), e.g. `agent.raft`. */
  child(name: string): Logger;
  /** Changes the minimum level of this logger and all its children (used by reload). */
  setLevel(level: LogLevel): void;
}
