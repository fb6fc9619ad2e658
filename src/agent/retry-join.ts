import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { formatGoDuration } from '../config/go-duration.js';

/** What a RetryJoiner is built from (Consul's retryJoiner, agent/retry_join.go). */
export interface RetryJoinOptions {
  /** The pool, as Consul names it in its logs: `LAN` or `WAN`. */
  readonly cluster: 'LAN' | 'WAN';
  /** retry_join: addresses, or go-discover configurations (`provider=aws …`). */
  readonly addresses: readonly string[];
  /** retry_max: attempts after the first before giving up; 0 = forever. */
  readonly maxAttempts: number;
  /** retry_interval, in ms: the wait between two attempts. */
  readonly intervalMs: number;
  /** Joins the pool through `addrs`; resolves with how many were contacted, rejects when none was. */
  readonly join: (addrs: readonly string[]) => Promise<number>;
  readonly clock: Clock;
  /** The agent's logger (the lines carry `cluster=<LAN|WAN>`). */
  readonly logger: Logger;
}

/** The cloud auto-join providers (go-discover) Sextant supports: none yet, so `provider=…` entries are reported and skipped. */
const DISCOVERY_METHODS: readonly string[] = [];

/**
 * Consul's retry join: joins the pool through the configured agents, and on failure waits
 * `retry_interval` (on the Clock) and tries again, up to `retry_max` more times (0: forever),
 * with Consul's log lines ("Retry join is supported for the following discovery methods",
 * "Joining cluster...", "Join cluster completed. Synced with initial agents", "Join cluster
 * failed, will retry"). `run` rejects with JOIN_FAILED `agent: max join <cluster> retry exhausted, exiting`
 * when the attempts run out (Consul then exits with status 1).
 */
export class RetryJoiner {
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly opts: RetryJoinOptions) {}

  /**
   * Runs the join loop. Resolves once joined, at once when there is nothing to join, or when
   * `stop` is called; rejects when the attempts are exhausted.
   */
  async run(): Promise<void> {
    const { opts } = this;
    if (opts.addresses.length === 0) return;
    const fields = { cluster: opts.cluster };
    opts.logger.info('Retry join is supported for the following discovery methods', { ...fields, discovery_methods: DISCOVERY_METHODS.join(' ') });
    opts.logger.info('Joining cluster...', fields);
    let attempt = 0;
    for (;;) {
      if (this.stopped) return;
      const addrs = this.resolve();
      let error: unknown;
      if (addrs.length > 0) {
        try {
          const n = await opts.join(addrs);
          opts.logger.info('Join cluster completed. Synced with initial agents', { ...fields, num_agents: n });
          return;
        } catch (e) {
          error = e;
        }
      } else {
        error = new SextantError(ErrorCode.JoinFailed, 'No servers to join');
      }
      if (this.stopped) return;
      attempt++;
      if (opts.maxAttempts > 0 && attempt > opts.maxAttempts) {
        throw new SextantError(ErrorCode.JoinFailed, `agent: max join ${opts.cluster} retry exhausted, exiting`);
      }
      opts.logger.warn('Join cluster failed, will retry', { ...fields, retry_interval: goDuration(opts.intervalMs), error });
      await this.sleep(opts.intervalMs);
    }
  }

  /** Stops the loop: a pending wait ends and no further attempt is made. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.wake?.();
  }

  /** The addresses to try: plain ones as they are; a go-discover configuration is reported (no provider is supported) and skipped. */
  private resolve(): string[] {
    const out: string[] = [];
    for (const addr of this.opts.addresses) {
      if (!addr.includes('provider=')) {
        out.push(addr);
        continue;
      }
      const provider = /(?:^|\s)provider=(\S*)/.exec(addr)?.[1] ?? '';
      this.opts.logger.error('Cannot discover address', { cluster: this.opts.cluster, address: addr, error: `discover: unknown provider ${provider}` });
    }
    return out;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = this.opts.clock.setTimeout(resolve, ms);
    });
  }
}

/** A duration in ms as Go's time.Duration prints it (`30s`, `1m0s`). */
function goDuration(ms: number): string {
  return formatGoDuration(BigInt(Math.round(ms * 1e6)));
}
