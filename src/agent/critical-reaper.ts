import type { Clock, TimerHandle } from '../../contracts/platform.js';

/** How often Consul's reaper looks for services to deregister (deregister_critical_service_after). */
export const REAP_INTERVAL_MS = 30_000;

/**
 * Runs `reap` every REAP_INTERVAL_MS on the Clock port: the periodic pass that deregisters
 * services whose check has been critical longer than its deregister_critical_service_after.
 */
export class CriticalReaper {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly reap: () => void,
    private readonly intervalMs = REAP_INTERVAL_MS,
  ) {}

  /** Starts the periodic pass (idempotent). */
  start(): void {
    this.timer ??= this.clock.setInterval(() => this.reap(), this.intervalMs);
  }

  /** Stops it (idempotent). */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
