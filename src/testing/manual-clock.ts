import type { Clock, TimerHandle } from '../../contracts/platform.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  every: number;
  live: boolean;
}

/** Heap order: due time, then creation order. */
function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

/**
 * A deterministic clock for simulation tests. Time only moves when the test calls
 * `advance`/`runUntil`; timers fire in (due time, creation order) order, so a run replays
 * exactly. Timers sit in a binary heap (cancelled ones are dropped lazily when they reach the
 * top), so a simulation with thousands of pending timers pays O(log n) per timer, not O(n).
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly heap: Timer[] = [];
  private live = 0;

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
    return this.live;
  }

  /** Due time of the next live timer, or undefined. */
  nextDue(): number | undefined {
    return this.top()?.at;
  }

  /** Fires the single next due timer (moving time to it). Returns false when none is pending. */
  step(): boolean {
    const best = this.top();
    if (!best) return false;
    this.t = Math.max(this.t, best.at);
    if (best.every > 0) {
      best.at += best.every;
      this.down(0);
    } else {
      best.live = false;
      this.live--;
      this.pop();
    }
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
    this.live++;
    this.heap.push(timer);
    this.up(this.heap.length - 1);
    return {
      cancel: () => {
        if (!timer.live) return;
        timer.live = false;
        this.live--;
      },
    };
  }

  /** The earliest live timer, dropping cancelled ones from the top. */
  private top(): Timer | undefined {
    while (this.heap.length > 0 && !this.heap[0]!.live) this.pop();
    return this.heap[0];
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private up(i: number): void {
    const h = this.heap;
    const x = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(x, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = x;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const x = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(h[c + 1]!, h[c]!)) c++;
      if (!before(h[c]!, x)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = x;
  }
}
