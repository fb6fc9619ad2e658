/**
 * What `sextant lock` drives, whether it holds a lock (one holder) or a semaphore slot (up to
 * N holders) — Consul's command/lock LockUnlock.
 */
export interface DistributedLock {
  /**
   * Creates the session (renewed in the background) and blocks until the lock is held.
   * Resolves with a signal that aborts when the lock is later lost (session invalidated, key
   * taken away, the agent unreachable past the monitor retries), or with null when `stop`
   * aborted or the one-shot wait ran out — the session is destroyed then. Rejects on a
   * conflict or an agent error (the session destroyed too).
   */
  acquire(stop?: AbortSignal): Promise<AbortSignal | null>;
  /** Gives the lock up (explicitly, so no lock-delay starts) and destroys the session. LOCK_NOT_HELD when not held. */
  release(): Promise<void>;
  /** Removes the coordination key when nobody uses it any more; LOCK_IN_USE when someone does, LOCK_HELD while held. */
  destroy(): Promise<void>;
  /** The session of the current attempt (undefined before `acquire` and after `release`). */
  readonly sessionId: string | undefined;
}

/** Options both recipes share (Consul's LockOptions / SemaphoreOptions). */
export interface RecipeOptions {
  /** Session name. */
  readonly sessionName: string;
  /** Session TTL (Go duration string); default '15s'. */
  readonly sessionTtl?: string;
  /** Value stored with the lock / contender key. */
  readonly value?: Uint8Array;
  /** 500s / unreachable agent tolerated while monitoring before the lock counts as lost; default 0. */
  readonly monitorRetries?: number;
  /** Wait between monitor retries, ms; default 2000 (the command uses 1000). */
  readonly monitorRetryMs?: number;
  /** Upper bound of each blocking read while waiting, ms; the one-shot budget with `tryOnce`. Default 15000. */
  readonly waitMs?: number;
  /** One-shot mode: give up (resolve null) once `waitMs` has passed. */
  readonly tryOnce?: boolean;
}

/** Consul's defaults (api/lock.go, api/semaphore.go). */
export const LOCK_DEFAULTS = {
  sessionTtl: '15s',
  waitMs: 15_000,
  /** After an acquire refused by a lock-delay: wait this long before trying again. */
  retryMs: 5_000,
  monitorRetryMs: 2_000,
} as const;
