import type { ManualClock } from './manual-clock.js';

/**
 * Drives a manual clock for a simulation: timer by timer, letting promise continuations run
 * after each (`turns` microtask turns), so async code on the simulated network makes progress as
 * it would on a real event loop.
 */
export class SimClockRunner {
  constructor(
    private readonly clock: ManualClock,
    private readonly turns = 8,
  ) {}

  /** Runs the clock for `ms`. */
  async run(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      const due = this.clock.nextDue();
      if (due === undefined || due > end) break;
      this.clock.step();
      for (let k = 0; k < this.turns; k++) await Promise.resolve();
    }
    this.clock.advance(end - this.clock.now());
  }

  /** Runs the clock in 10 ms steps until `promise` settles (or `maxMs` passes), and returns it. */
  async settle<T>(promise: Promise<T>, maxMs: number): Promise<T> {
    let done = false;
    void promise.then(
      () => (done = true),
      () => (done = true),
    );
    for (let t = 0; t < maxMs && !done; t += 10) await this.run(10);
    return promise;
  }
}
