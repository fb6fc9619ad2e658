import type { Clock, TimerHandle } from '../../contracts/platform.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  every: number;
  live: boolean;
}

/**
 * A deterministic clock for simulation tests. Time only moves when the test calls
 * `advance`/`runUntil`; timers fire in (due time, creation order) order, so a run replays
 * exactly.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, Math.max(0, ms), 0);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    if (!(ms > 0)) throw new RangeError('interval must be > 0');
    return this.add(fn, ms, ms);
  }

  /** Number of live timers (for leak assertions). */
  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }

  /** Due time of the next live timer, or undefined. */
  nextDue(): number | undefined {
    let best: Timer | undefined;
    for (const x of this.timers) if (x.live && (!best || x.at < best.at || (x.at === best.at && x.id < best.id))) best = x;
    return best?.at;
  }

  /** Fires the single next due timer (moving time to it). Returns false when none is pending. */
  step(): boolean {
    let best: Timer | undefined;
    for (const x of this.timers) if (x.live && (!best || x.at < best.at || (x.at === best.at && x.id < best.id))) best = x;
    if (!best) return false;
    this.t = Math.max(this.t, best.at);
    if (best.every > 0) best.at += best.every;
    else best.live = false;
    this.timers = this.timers.filter((x) => x.live);
    best.fn();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due > end) break;
      this.step();
    }
    this.t = Math.max(this.t, end);
  }

  private add(fn: () => void, delay: number, every: number): TimerHandle {
    const timer: Timer = { id: ++this.seq, at: this.t + delay, fn, every, live: true };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.live = false;
      },
    };
  }
}
