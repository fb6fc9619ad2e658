import type { Clock } from '../../../contracts/platform.js';
import { abortableSleep } from './abortable-sleep.js';
import { LOCK_DEFAULTS } from './distributed-lock.js';
import type { RecipeOptions } from './distributed-lock.js';
import { isRetryableError } from './lock-api.js';

/** One consistent blocking read of what a recipe holds: the index to block on next, and whether the session still holds it. */
export type HoldPoll = (index: number, signal: AbortSignal) => Promise<{ index: number; held: boolean }>;

/** A running monitor: `lost` aborts when the hold is gone; `stop` ends the monitor without aborting `lost`. */
export interface HoldMonitor {
  readonly lost: AbortSignal;
  readonly stop: AbortController;
}

/**
 * Watches a held lock or semaphore slot the way Consul's monitorLock does: blocking reads
 * until the session no longer holds it, tolerating `monitorRetries` retryable errors (500s,
 * an unreachable agent) with `monitorRetryMs` between them; any other error, or running out
 * of retries, counts as lost.
 */
export function startHoldMonitor(clock: Clock, opts: RecipeOptions, poll: HoldPoll): HoldMonitor {
  const lost = new AbortController();
  const stop = new AbortController();
  const retryMs = opts.monitorRetryMs ?? LOCK_DEFAULTS.monitorRetryMs;
  void (async () => {
    let index = 0;
    let retries = opts.monitorRetries ?? 0;
    try {
      for (;;) {
        let read;
        try {
          read = await poll(index, stop.signal);
        } catch (e) {
          if (stop.signal.aborted) return;
          if (retries > 0 && isRetryableError(e)) {
            retries--;
            index = 0;
            if (!(await abortableSleep(clock, retryMs, stop.signal))) return;
            continue;
          }
          return;
        }
        if (!read.held) return;
        index = read.index;
        retries = opts.monitorRetries ?? 0;
      }
    } finally {
      if (!stop.signal.aborted) lost.abort();
    }
  })();
  return { lost: lost.signal, stop };
}
