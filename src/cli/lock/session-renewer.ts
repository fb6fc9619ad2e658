import type { Clock } from '../../../contracts/platform.js';
import { parseGoDuration } from '../../config/go-duration.js';
import { abortableSleep } from './abortable-sleep.js';
import type { LockApi } from './lock-api.js';

/** How long to wait before retrying a renew that failed (Consul's RenewPeriodic: 1 s). */
export const RENEW_RETRY_MS = 1000;

function ttlMs(ttl: string): number {
  try {
    return Number(parseGoDuration(ttl)) / 1e6;
  } catch {
    return 0;
  }
}

/**
 * Keeps a TTL session alive the way Consul's api.Session.RenewPeriodic does: a renew every
 * TTL/2 (the TTL the agent answers wins), a retry every second after a failed renew, and it
 * gives up when the session is gone (404) or no renew succeeded for a whole TTL. `stop()`
 * ends the loop and destroys the session.
 */
export class SessionRenewer {
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  /** Why the loop ended on its own: 'expired' (404), 'failing' (no renew for a TTL), or undefined while running / when stopped. */
  gaveUp: 'expired' | 'failing' | undefined;

  constructor(
    private readonly api: LockApi,
    private readonly clock: Clock,
    /** The session to renew. */
    readonly sessionId: string,
    private readonly initialTtl: string,
  ) {}

  /**
   * Creates a recipe's TTL session (`Name`, `TTL`, optionally `Behavior`) and starts renewing
   * it; a failed create is reported as Consul does ("failed to create session: …").
   */
  static async open(api: LockApi, clock: Clock, name: string, ttl: string, behavior?: 'delete'): Promise<SessionRenewer> {
    let id: string;
    try {
      id = await api.createSession({ Name: name, TTL: ttl, ...(behavior ? { Behavior: behavior } : {}) });
    } catch (e) {
      throw new Error(`failed to create session: ${(e as Error).message}`, { cause: e });
    }
    const renewer = new SessionRenewer(api, clock, id, ttl);
    renewer.start();
    return renewer;
  }

  /** Starts the renew loop (idempotent). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the renew loop and destroys the session (best effort; errors are swallowed as Consul does). Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopper.abort();
      await this.loop;
      await this.api.destroySession(this.sessionId).catch(() => undefined);
    })();
    return this.stopped;
  }

  private async run(): Promise<void> {
    let ttl = ttlMs(this.initialTtl);
    if (ttl <= 0) return;
    let waitMs = ttl / 2;
    let lastRenew = this.clock.now();
    const signal = this.stopper.signal;
    for (;;) {
      if (this.clock.now() - lastRenew > ttl) {
        this.gaveUp = 'failing';
        return;
      }
      if (!(await abortableSleep(this.clock, waitMs, signal))) return;
      try {
        const answered = await this.api.renewSession(this.sessionId);
        if (signal.aborted) return;
        if (answered === null) {
          this.gaveUp = 'expired';
          return;
        }
        const t = ttlMs(answered);
        if (t > 0) ttl = t;
        waitMs = ttl / 2;
        lastRenew = this.clock.now();
      } catch {
        waitMs = RENEW_RETRY_MS;
      }
    }
  }
}
