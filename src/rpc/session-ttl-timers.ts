import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { LeaderJob } from '../kernel/leadership.js';
import { encodeCommand } from '../state/command-codec.js';
import type { SessionReader } from '../state/session-reader.js';

/** Constructor dependencies of SessionTtlTimers. */
export interface SessionTtlTimersDeps {
  /** The local replicated state; its sessions' deadlines drive the timers. */
  store: { readonly sessions: SessionReader };
  raft: Pick<RaftApi, 'propose'>;
  clock: Clock;
  logger: Logger;
  /** First retry delay after a failed expire proposal (doubles each time). Default 1000 ms. */
  retryBaseMs?: number;
  /** Attempts per expiry before giving up until the next leadership change. Default 6 (Consul's). */
  maxAttempts?: number;
}

/**
 * The leader's session TTL timers (Consul's session_ttl.go). While this server leads, every TTL
 * session has one timer set for its replicated deadline (created or last renewed + 2 × TTL,
 * on the clock of the leader that committed it). A timer that fires proposes `session.expire`
 * stamped with the clock, which the state machine applies only if the deadline still lies at or
 * before that time, so a renew that commits first always wins and a deadline is never moved
 * by a restart or a change of leader: a new leader arms its timers from the same deadlines.
 * A LeaderJob: established with leadership, revoked when it ends; followers hold no timers.
 */
export class SessionTtlTimers implements LeaderJob {
  readonly name = 'session TTL timers';
  private readonly timers = new Map<string, TimerHandle>();
  private offTtl: (() => void) | undefined;
  private leading = false;

  constructor(private readonly deps: SessionTtlTimersDeps) {}

  /** This server leads: follows the replicated deadlines and arms every timer at once. */
  establish(): void {
    if (this.leading) return;
    this.leading = true;
    this.offTtl = this.deps.store.sessions.onTtlChange((id, expiresAt) => {
      if (this.leading) this.arm(id, expiresAt, 0);
    });
    for (const [id, expiresAt] of this.deps.store.sessions.ttlDeadlines()) this.arm(id, expiresAt, 0);
    this.deps.logger.debug('session TTL timers armed', { sessions: this.timers.size });
  }

  /** Leadership ended (or the agent stops): cancels every timer and stops following. Idempotent. */
  revoke(): void {
    this.leading = false;
    this.offTtl?.();
    this.offTtl = undefined;
    this.cancelAll();
  }

  /** Number of armed timers (0 on a follower). */
  armed(): number {
    return this.timers.size;
  }

  private cancelAll(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  /** (Re)arms `id`'s timer for `expiresAt` (0: disarms). `attempt` counts failed expire proposals. */
  private arm(id: string, expiresAt: number, attempt: number, delayMs?: number): void {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
    if (expiresAt <= 0) return;
    const wait = delayMs ?? Math.max(0, expiresAt - this.deps.clock.now());
    this.timers.set(id, this.deps.clock.setTimeout(() => void this.fire(id, expiresAt, attempt), wait));
  }

  private async fire(id: string, expiresAt: number, attempt: number): Promise<void> {
    this.timers.delete(id);
    if (!this.leading) return;
    const now = this.deps.clock.now();
    // A timer may fire a little early: never propose before the deadline.
    if (now < expiresAt) return this.arm(id, expiresAt, attempt);
    try {
      const expired = await this.deps.raft.propose(encodeCommand({ type: 'session.expire', id, now }));
      if (expired === true) this.deps.logger.info('session invalidated: TTL expired', { session: id });
    } catch (e) {
      if (!this.leading || isSextantError(e, ErrorCode.NotLeader) || isSextantError(e, ErrorCode.Shutdown)) return;
      const max = this.deps.maxAttempts ?? 6;
      if (attempt + 1 >= max) {
        this.deps.logger.error('giving up invalidating an expired session until the next leadership change', { session: id, error: e });
        return;
      }
      // Still ours to expire, unless a renew or destroy moved it meanwhile (the listener re-armed it then).
      const current = this.deps.store.sessions.get(id);
      if (!current || current.expiresAt !== expiresAt || this.timers.has(id)) return;
      const backoff = (this.deps.retryBaseMs ?? 1000) * 2 ** attempt;
      this.deps.logger.warn('invalidating an expired session failed; retrying', { session: id, inMs: backoff, error: e });
      this.arm(id, expiresAt, attempt + 1, backoff);
    }
  }
}
