import type { Clock } from '../../contracts/platform.js';

/**
 * Consul's hash-based blocking (agent/service/:id `?hash=`): parks until `current()` differs
 * from `hash` (a change, or the thing is gone: `current()` undefined), `waitMs` elapses, or
 * `signal` aborts, whichever comes first. `subscribe` delivers change notifications; the
 * subscription and the timer are released before the promise settles. Never rejects.
 */
export function waitForHashChange(opts: {
  readonly hash: string;
  readonly current: () => string | undefined;
  readonly subscribe: (listener: () => void) => () => void;
  readonly waitMs: number;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}): Promise<void> {
  if (opts.current() !== opts.hash || opts.signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      unsubscribe();
      timer.cancel();
      opts.signal.removeEventListener('abort', done);
      resolve();
    };
    const unsubscribe = opts.subscribe(() => {
      if (opts.current() !== opts.hash) done();
    });
    const timer = opts.clock.setTimeout(done, opts.waitMs);
    opts.signal.addEventListener('abort', done, { once: true });
  });
}
