import type { CheckStatus } from './check-definition.js';

/**
 * Consul's StatusHandler (agent/checks/check.go): anti-flapping for interval checks. A passing
 * or warning result is reported once `successBeforePassing` consecutive successes were seen; a
 * critical one is reported as critical after `failuresBeforeCritical` consecutive failures, as
 * warning after `failuresBeforeWarning`, else held back. The counters start at their thresholds,
 * so the first result after (re)start is reported at once.
 */
export class StatusThreshold {
  private successes: number;
  private failures: number;

  constructor(
    private readonly successBeforePassing: number,
    private readonly failuresBeforeWarning: number,
    private readonly failuresBeforeCritical: number,
  ) {
    this.successes = successBeforePassing;
    this.failures = failuresBeforeCritical;
  }

  /** The status to report for a probe result, or undefined when the result is held back. */
  next(status: CheckStatus): CheckStatus | undefined {
    if (status === 'passing' || status === 'warning') {
      this.successes++;
      this.failures = 0;
      return this.successes >= this.successBeforePassing ? status : undefined;
    }
    this.failures++;
    this.successes = 0;
    if (this.failures >= this.failuresBeforeCritical) return 'critical';
    if (this.failures >= this.failuresBeforeWarning) return 'warning';
    return undefined;
  }
}
