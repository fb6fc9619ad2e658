import type { Clock } from '../../../contracts/platform.js';

/**
 * Waits `ms` on `clock`; resolves true when the time passed, false as soon as `signal` aborts
 * (at once when it already has). Never rejects.
 */
export function abortableSleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
