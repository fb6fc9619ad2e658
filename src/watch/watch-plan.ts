import { isDeepStrictEqual } from 'node:util';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';

/**
 * The loop of Consul's api/watch Plan (plan.go): a blocking read with the last X-Consul-Index,
 * the handler called on the first result and whenever the index moved AND the result changed;
 * an index that went backwards resets to 0 (a fresh, non-blocking read), except for watches whose
 * index is not ordered (event watches: a hash of the newest event's ID), which keep the new index
 * as Consul's does (WaitIndexVal.Next resets only on an equal index, which the loop has already
 * skipped, so Consul never resets an event watch);
 * a failed read backs off 5 s × failures² (at most 180 s) and forgets the index, so the next
 * good answer fires the handler again, as Consul's does. The handler is awaited before the next
 * read; a handler that throws is logged and the watch goes on.
 */

/** One answer of the watched view. */
export interface WatchAnswer {
  /** X-Consul-Index of the answer. */
  readonly index: bigint;
  /** The view, as the handler gets it. */
  readonly result: unknown;
}

/** Reads the view, blocking while its index is still `index` (0n: answer at once). Aborting `signal` rejects. */
export type WatchFetch = (index: bigint, signal: AbortSignal) => Promise<WatchAnswer>;

/** Called with each new result; may be async; a rejection is logged, not fatal. */
export type WatchHandler = (index: bigint, result: unknown) => unknown;

export interface WatchPlanOptions {
  /** The watch type, for log lines. */
  readonly type: string;
  readonly fetch: WatchFetch;
  readonly handler: WatchHandler;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Backoff base (Consul's retryInterval, 5 s). */
  readonly retryBaseMs?: number;
  /** Backoff cap (Consul's maxBackoffTime, 180 s). */
  readonly retryMaxMs?: number;
  /**
   * Whether the index is ordered (Raft indexes, the default: a lower one resets to 0). False for
   * event watches, whose index is a hash: a lower one is blocked on as is.
   */
  readonly orderedIndex?: boolean;
}

export const WATCH_RETRY_BASE_MS = 5_000;
export const WATCH_RETRY_MAX_MS = 180_000;

/**
 * The index to block on after seeing `next` when `previous` was held: `next`, or 0n when it went
 * backwards and the index is `ordered` (the default). An unordered index (event watches) is kept.
 */
export function nextWaitIndex(previous: bigint | undefined, next: bigint, ordered = true): bigint {
  if (previous === undefined || !ordered) return next;
  return previous > next ? 0n : next;
}

/** A running (or runnable) watch. */
export class WatchPlan {
  private stopped = false;
  private readonly abort = new AbortController();
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private lastIndex: bigint | undefined;
  private lastResult: unknown;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: WatchPlanOptions) {}

  /** Starts the loop (once); resolves when the plan is stopped. Never rejects. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops the plan: aborts the read in flight and any backoff wait. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.timer?.cancel();
    this.wake?.();
  }

  /** Whether stop() was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  private async loop(): Promise<void> {
    const { logger } = this.opts;
    const base = this.opts.retryBaseMs ?? WATCH_RETRY_BASE_MS;
    const cap = this.opts.retryMaxMs ?? WATCH_RETRY_MAX_MS;
    let failures = 0;
    while (!this.stopped) {
      let answer: WatchAnswer;
      try {
        answer = await this.opts.fetch(this.lastIndex ?? 0n, this.abort.signal);
      } catch (e) {
        if (this.stopped) break;
        failures++;
        this.lastIndex = undefined;
        const retry = Math.min(base * failures * failures, cap);
        logger.error('Watch errored', { type: this.opts.type, error: e instanceof Error ? e.message : String(e), retry: `${retry}ms` });
        await this.sleep(retry);
        continue;
      }
      if (this.stopped) break;
      failures = 0;
      if (this.lastIndex !== undefined && this.lastIndex === answer.index) continue;
      const old = this.lastIndex;
      this.lastIndex = nextWaitIndex(old, answer.index, this.opts.orderedIndex ?? true);
      if (old !== undefined && isDeepStrictEqual(this.lastResult, answer.result)) continue;
      this.lastResult = answer.result;
      try {
        await this.opts.handler(answer.index, answer.result);
      } catch (e) {
        logger.error('Watch handler failed', { type: this.opts.type, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      this.wake = resolve;
      this.timer = this.opts.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }
}
