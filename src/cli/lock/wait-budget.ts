import type { Clock } from '../../../contracts/platform.js';
import { LOCK_DEFAULTS } from './distributed-lock.js';
import type { RecipeOptions } from './distributed-lock.js';

/**
 * How long each blocking read of a waiting recipe may block: `waitMs` every time, or with
 * `tryOnce` what is left of the one-shot budget (Consul's LockTryOnce / SemaphoreTryOnce).
 */
export class WaitBudget {
  private readonly budget: number;
  private readonly start: number;
  private attempts = 0;

  constructor(
    private readonly clock: Clock,
    private readonly opts: RecipeOptions,
  ) {
    this.budget = opts.waitMs ?? LOCK_DEFAULTS.waitMs;
    this.start = clock.now();
  }

  /** The wait for the next read, or null when the one-shot budget is spent. */
  next(): number | null {
    const first = this.attempts++ === 0;
    if (!this.opts.tryOnce || first) return this.budget;
    const elapsed = this.clock.now() - this.start;
    return elapsed > this.budget ? null : this.budget - elapsed;
  }
}
