import type { Clock, TimerHandle } from '../../contracts/platform.js';

/**
 * The real clock. The only place in src/ that touches Date.now and the global timers; timers
 * are unref'd so a pending timer never keeps a stopping process alive on its own.
 */
export class SystemClock implements Clock {
  private last = 0;

  now(): number {
    const t = Date.now();
    this.last = t > this.last ? t : this.last;
    return this.last;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  }
}
