import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Clock } from '../../../contracts/platform.js';
import { abortableSleep } from './abortable-sleep.js';
import { LOCK_DEFAULTS } from './distributed-lock.js';
import type { DistributedLock, RecipeOptions } from './distributed-lock.js';
import { startHoldMonitor } from './hold-monitor.js';
import type { LockApi, LockKvPair } from './lock-api.js';
import { SessionRenewer } from './session-renewer.js';
import { WaitBudget } from './wait-budget.js';

/** Consul's api.LockFlagValue: the Flags a lock key carries, to tell it from a semaphore's. */
export const LOCK_FLAG_VALUE = 0x2ddccbc058a50c18n;

/** Options of a lock: the key and the shared recipe options. */
export interface LockRecipeOptions extends RecipeOptions {
  /** The lock key (`sextant lock` uses `<prefix>/.lock`). */
  readonly key: string;
}

/** Consul's ErrLockConflict. */
export const lockConflict = (): SextantError => new SextantError(ErrorCode.LockConflict, 'Existing key does not match lock use');

/**
 * Consul's lock recipe (api/lock.go), for one holder: a TTL session (behavior release, the
 * agent's default lock-delay) renewed every TTL/2; blocking reads on the key until it has no
 * holder; `?acquire` with LockFlagValue; after a refused acquire either block again (someone
 * else got it) or wait 5 s (a lock-delay is running). Once held, a consistent blocking read
 * watches the key and aborts the returned signal when the key no longer names the session.
 */
export class LockRecipe implements DistributedLock {
  private held = false;
  private session: string | undefined;
  private renewer: SessionRenewer | undefined;
  private monitorStop: AbortController | undefined;

  constructor(
    private readonly api: LockApi,
    private readonly clock: Clock,
    private readonly opts: LockRecipeOptions,
  ) {}

  /** The session of the current attempt. */
  get sessionId(): string | undefined {
    return this.session;
  }

  /** See DistributedLock.acquire. */
  async acquire(stop?: AbortSignal): Promise<AbortSignal | null> {
    if (this.held) throw new SextantError(ErrorCode.LockHeld, 'Lock already held');
    this.renewer = await SessionRenewer.open(this.api, this.clock, this.opts.sessionName, this.opts.sessionTtl ?? LOCK_DEFAULTS.sessionTtl);
    const id = this.renewer.sessionId;
    this.session = id;
    try {
      const ok = await this.waitAndAcquire(id, stop);
      if (!ok) return null;
    } finally {
      if (!this.held) await this.dropSession();
    }
    return this.startMonitor(id);
  }

  private async waitAndAcquire(id: string, stop: AbortSignal | undefined): Promise<boolean> {
    const budget = new WaitBudget(this.clock, this.opts);
    let index = 0;
    for (;;) {
      if (stop?.aborted) return false;
      const waitMs = budget.next();
      if (waitMs === null) return false;
      let read: { value: LockKvPair | null; index: number };
      try {
        read = await this.api.get(this.opts.key, { index, waitMs, ...(stop ? { signal: stop } : {}) });
      } catch (e) {
        if (stop?.aborted) return false;
        throw new Error(`failed to read lock: ${(e as Error).message}`, { cause: e });
      }
      const pair = read.value;
      if (pair && pair.flags !== LOCK_FLAG_VALUE) throw lockConflict();
      if (pair && pair.session === id) break;
      if (pair && pair.session !== '') {
        index = read.index;
        continue;
      }
      let locked: boolean;
      try {
        locked = await this.api.acquire(this.opts.key, this.opts.value ?? new Uint8Array(), LOCK_FLAG_VALUE, id);
      } catch (e) {
        throw new Error(`failed to acquire lock: ${(e as Error).message}`, { cause: e });
      }
      if (locked) break;
      // Why did it fail? A holder ⇒ block on it; none ⇒ a lock-delay is running: wait it out.
      const again = await this.api.get(this.opts.key, { waitMs, ...(stop ? { signal: stop } : {}) }).catch((e: unknown) => {
        if (stop?.aborted) return null;
        throw e;
      });
      if (again === null) return false;
      if (again.value && again.value.session !== '') {
        index = again.index;
        continue;
      }
      index = 0;
      if (!(await abortableSleep(this.clock, LOCK_DEFAULTS.retryMs, stop))) return false;
    }
    this.held = true;
    return true;
  }

  private startMonitor(id: string): AbortSignal {
    const monitor = startHoldMonitor(this.clock, this.opts, async (index, signal) => {
      const read = await this.api.get(this.opts.key, { index, consistent: true, signal });
      return { index: read.index, held: read.value?.session === id };
    });
    this.monitorStop = monitor.stop;
    return monitor.lost;
  }

  /** See DistributedLock.release: `?release` on the key, then the session destroyed. */
  async release(): Promise<void> {
    if (!this.held) throw new SextantError(ErrorCode.LockNotHeld, 'Lock not held');
    this.held = false;
    this.monitorStop?.abort();
    const id = this.session!;
    try {
      await this.api.release(this.opts.key, this.opts.value ?? new Uint8Array(), LOCK_FLAG_VALUE, id);
    } catch (e) {
      throw new Error(`failed to release lock: ${(e as Error).message}`, { cause: e });
    } finally {
      await this.dropSession();
    }
  }

  /** See DistributedLock.destroy: deletes the key (check-and-set) when it has no holder. */
  async destroy(): Promise<void> {
    if (this.held) throw new SextantError(ErrorCode.LockHeld, 'Lock already held');
    let pair: LockKvPair | null;
    try {
      pair = (await this.api.get(this.opts.key)).value;
    } catch (e) {
      throw new Error(`failed to read lock: ${(e as Error).message}`, { cause: e });
    }
    if (!pair) return;
    if (pair.flags !== LOCK_FLAG_VALUE) throw lockConflict();
    if (pair.session !== '') throw new SextantError(ErrorCode.LockInUse, 'Lock in use');
    let removed: boolean;
    try {
      removed = await this.api.deleteCas(this.opts.key, pair.modifyIndex);
    } catch (e) {
      throw new Error(`failed to remove lock: ${(e as Error).message}`, { cause: e });
    }
    if (!removed) throw new SextantError(ErrorCode.LockInUse, 'Lock in use');
  }

  private async dropSession(): Promise<void> {
    const r = this.renewer;
    this.renewer = undefined;
    this.session = undefined;
    await r?.stop();
  }
}
