import type { Clock, TimerHandle } from '../../../contracts/platform.js';

/**
 * One probe's deadline: a signal that aborts when the check's own timeout elapses (on the
 * injected Clock) or when the caller's signal aborts, whichever comes first. `timedOut` says
 * which: the caller can mark its abort as a timeout by aborting with a reason whose `name` is
 * `TimeoutError` (e.g. `new DOMException('...', 'TimeoutError')`).
 */
export class ProbeDeadline {
  private readonly controller = new AbortController();
  private readonly timer: TimerHandle;
  private ownTimeout = false;
  private readonly onParentAbort = (): void => this.controller.abort(this.parent.reason);

  constructor(
    clock: Clock,
    timeoutMs: number,
    private readonly parent: AbortSignal,
  ) {
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    this.timer = clock.setTimeout(() => {
      this.ownTimeout = true;
      this.controller.abort(new DOMException('check timed out', 'TimeoutError'));
    }, timeoutMs);
  }

  /** Aborts at the deadline or when the caller's signal aborts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the signal aborted because of a timeout (ours, or the caller's TimeoutError). */
  get timedOut(): boolean {
    if (this.ownTimeout) return true;
    const r = this.controller.signal.reason as { name?: unknown } | undefined;
    return this.controller.signal.aborted && typeof r === 'object' && r !== null && r.name === 'TimeoutError';
  }

  /** True once aborted for any reason. */
  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Cancels the timer and stops listening to the caller's signal. Idempotent. */
  dispose(): void {
    this.timer.cancel();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
