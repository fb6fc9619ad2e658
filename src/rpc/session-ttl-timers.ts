import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { LeaderJob } from '../kernel/leadership.js';
import { encodeCommand } from '../state/command-codec.js';
import type { SessionReader } from '../state/session-reader.js';

/** Consul's structs.SessionTTLMultiplier: a session is invalidated TTL × 2 after its last renewal. */
export const SESSION_TTL_MULTIPLIER = 2;

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
 * by a restart. A new leader (Consul's initializeSessionTimers) restarts every timer at the full
 * TTL × 2 from its establishment, or the replicated deadline when that is later.
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
    // Consul's initializeSessionTimers: a new leader gives every session its full TTL × 2 from now
    // (the old leader's clock and the time without a leader count for nothing); an earlier
    // replicated deadline stays in the log, and the expiry stamped later passes it.
    const now = this.deps.clock.now();
    for (const [id, expiresAt] of this.deps.store.sessions.ttlDeadlines()) {
      const ttlMs = this.deps.store.sessions.get(id)?.ttlMs ?? 0;
      this.arm(id, expiresAt, 0, undefined, Math.max(expiresAt, now + SESSION_TTL_MULTIPLIER * ttlMs));
    }
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

  /**
   * (Re)arms `id`'s timer for replicated deadline `expiresAt` (0: disarms), firing at `fireAt`
   * (default: the deadline; a new leader's restarted timer fires later). `attempt` counts failed
   * expire proposals.
   */
  private arm(id: string, expiresAt: number, attempt: number, delayMs?: number, fireAt = expiresAt): void {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
    if (expiresAt <= 0) return;
    const wait = delayMs ?? Math.max(0, fireAt - this.deps.clock.now());
    this.timers.set(id, this.deps.clock.setTimeout(() => void this.fire(id, expiresAt, attempt, fireAt), wait));
  }

  private async fire(id: string, expiresAt: number, attempt: number, fireAt: number): Promise<void> {
    this.timers.delete(id);
    if (!this.leading) return;
    const now = this.deps.clock.now();
    // A timer may fire a little early: never propose before its time.
    if (now < fireAt) return this.arm(id, expiresAt, attempt, undefined, fireAt);
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
      this.arm(id, expiresAt, attempt + 1, backoff, fireAt);
    }
  }
}
