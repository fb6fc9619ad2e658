/**
 * Lifeguard's dynamic suspicion timeout (suspicion.go): a suspicion starts at `maxMs` and
 * shrinks towards `minMs` as independent confirmations arrive: timeout = max(min, max −
 * (max − min) × log(c + 1) / log(k + 1)) for c of the k expected confirmations.
 */
import type { Clock, TimerHandle } from '../../../contracts/platform.js';

/** One node's suspicion timer. */
export class Suspicion {
  private readonly confirmations = new Set<string>();
  private n = 0;
  private timer: TimerHandle | undefined;
  private readonly start: number;
  private fired = false;

  /** Starts the timer; `from` (the first suspecter) does not count as a confirmation. `k` 0 means the timeout is `minMs` at once. */
  constructor(
    private readonly clock: Clock,
    from: string,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.confirmations.add(from);
    this.start = clock.now();
    this.schedule(k < 1 ? minMs : maxMs);
  }

  private schedule(timeoutMs: number): void {
    this.timer?.cancel();
    const left = Math.max(0, this.start + timeoutMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      if (this.fired) return;
      this.fired = true;
      this.onTimeout(this.n);
    }, left);
  }

  /** The timeout after `n` confirmations. */
  private remaining(): number {
    const frac = Math.log(this.n + 1) / Math.log(this.k + 1);
    const raw = this.maxMs - frac * (this.maxMs - this.minMs);
    return Math.max(this.minMs, Math.floor(raw));
  }

  /** Records a confirmation by `from`; true when it was new and counted (the caller re-gossips the suspect message then). */
  confirm(from: string): boolean {
    if (this.fired || this.n >= this.k || this.confirmations.has(from)) return false;
    this.confirmations.add(from);
    this.n++;
    this.schedule(this.remaining());
    return true;
  }

  /** Stops the timer (the node refuted or was declared dead another way). */
  cancel(): void {
    this.fired = true;
    this.timer?.cancel();
  }
}
