import { posix } from 'node:path';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Clock } from '../../../contracts/platform.js';
import { LOCK_DEFAULTS } from './distributed-lock.js';
import type { DistributedLock, RecipeOptions } from './distributed-lock.js';
import { startHoldMonitor } from './hold-monitor.js';
import type { LockApi, LockKvPair } from './lock-api.js';
import { SessionRenewer } from './session-renewer.js';
import { WaitBudget } from './wait-budget.js';

/** Consul's api.SemaphoreFlagValue: the Flags semaphore keys carry, to tell them from a lock's. */
export const SEMAPHORE_FLAG_VALUE = 0xe0f69a2baa414de0n;
/** Consul's api.DefaultSemaphoreKey: the coordination key inside the prefix (also the lock key of `sextant lock -n 1`). */
export const SEMAPHORE_KEY = '.lock';

/** Options of a semaphore: the prefix, the holder limit and the shared recipe options. */
export interface SemaphoreRecipeOptions extends RecipeOptions {
  readonly prefix: string;
  /** Holders allowed at once; every contender must agree on it. */
  readonly limit: number;
}

/** The JSON in `<prefix>/.lock` (Consul's semaphoreLock): the agreed limit and the holder set. */
export interface SemaphoreLockState {
  Limit: number;
  /** Session ID → true. */
  Holders: Record<string, boolean>;
}

/** Go's path.Join for two KV path parts. */
export function joinKey(prefix: string, name: string): string {
  const j = posix.join(prefix, name);
  return j === '.' ? '' : j.replace(/^\.\//, '');
}

/** Consul's ErrSemaphoreConflict. */
export const semaphoreConflict = (): SextantError => new SextantError(ErrorCode.LockConflict, 'Existing key does not match semaphore use');

/** Decodes the `.lock` value; an empty value is a fresh lock with `limit` and no holders. */
export function decodeSemaphoreLock(pair: LockKvPair | undefined, limit: number): SemaphoreLockState {
  if (!pair || pair.value.length === 0) return { Limit: limit, Holders: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(pair.value.toString('utf8'));
  } catch (e) {
    throw new SextantError(ErrorCode.LockConflict, `lock decoding failed: ${(e as Error).message}`);
  }
  const o = (parsed ?? {}) as { Limit?: unknown; Holders?: unknown };
  const holders: Record<string, boolean> = {};
  if (o.Holders && typeof o.Holders === 'object') for (const [k, v] of Object.entries(o.Holders)) if (v === true) holders[k] = true;
  return { Limit: typeof o.Limit === 'number' ? o.Limit : 0, Holders: holders };
}

/** Encodes the `.lock` value as Go's json.Marshal does (map keys sorted). */
export function encodeSemaphoreLock(state: SemaphoreLockState): Buffer {
  const holders: Record<string, boolean> = {};
  for (const k of Object.keys(state.Holders).sort()) holders[k] = true;
  return Buffer.from(JSON.stringify({ Limit: state.Limit, Holders: holders }));
}

/** Drops holders whose session holds no key under the prefix any more (their session died). */
export function pruneDeadHolders(state: SemaphoreLockState, pairs: readonly LockKvPair[]): void {
  const alive = new Set(pairs.filter((p) => p.session !== '').map((p) => p.session));
  for (const h of Object.keys(state.Holders)) if (!alive.has(h)) delete state.Holders[h];
}

/**
 * Consul's semaphore recipe (api/semaphore.go): a TTL session with behavior delete; a contender
 * key `<prefix>/<session>` acquired with it (so it vanishes with the session); then blocking
 * reads of the whole prefix until the `.lock` key's holder set — pruned of holders whose
 * contender key is gone — has room, and a check-and-set of `.lock` adding the session. A
 * consistent blocking read of the prefix watches the slot afterwards.
 */
export class SemaphoreRecipe implements DistributedLock {
  private held = false;
  private session: string | undefined;
  private renewer: SessionRenewer | undefined;
  private monitorStop: AbortController | undefined;
  private readonly lockKey: string;

  constructor(
    private readonly api: LockApi,
    private readonly clock: Clock,
    private readonly opts: SemaphoreRecipeOptions,
  ) {
    if (opts.limit <= 0) throw new SextantError(ErrorCode.BadRequest, 'semaphore limit must be positive');
    this.lockKey = joinKey(opts.prefix, SEMAPHORE_KEY);
  }

  /** The session of the current attempt. */
  get sessionId(): string | undefined {
    return this.session;
  }

  private findLock(pairs: readonly LockKvPair[]): LockKvPair | undefined {
    return pairs.find((p) => p.key === this.lockKey);
  }

  /** See DistributedLock.acquire. */
  async acquire(stop?: AbortSignal): Promise<AbortSignal | null> {
    if (this.held) throw new SextantError(ErrorCode.LockHeld, 'Semaphore already held');
    this.renewer = await SessionRenewer.open(this.api, this.clock, this.opts.sessionName, this.opts.sessionTtl ?? LOCK_DEFAULTS.sessionTtl, 'delete');
    const id = this.renewer.sessionId;
    this.session = id;
    try {
      let made = false;
      let why = '<nil>';
      try {
        made = await this.api.acquire(joinKey(this.opts.prefix, id), this.opts.value ?? new Uint8Array(), SEMAPHORE_FLAG_VALUE, id);
      } catch (e) {
        why = (e as Error).message;
      }
      if (!made) throw new Error(`failed to make contender entry: ${why}`);
      if (!(await this.waitAndAcquire(id, stop))) return null;
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
      let read: { value: LockKvPair[]; index: number };
      try {
        read = await this.api.list(this.opts.prefix, { index, waitMs, ...(stop ? { signal: stop } : {}) });
      } catch (e) {
        if (stop?.aborted) return false;
        throw new Error(`failed to read prefix: ${(e as Error).message}`, { cause: e });
      }
      const lockPair = this.findLock(read.value);
      if (lockPair && lockPair.flags !== SEMAPHORE_FLAG_VALUE) throw semaphoreConflict();
      const state = decodeSemaphoreLock(lockPair, this.opts.limit);
      if (state.Limit !== this.opts.limit) {
        throw new SextantError(ErrorCode.LockConflict, `semaphore limit conflict (lock: ${state.Limit}, local: ${this.opts.limit})`);
      }
      pruneDeadHolders(state, read.value);
      if (Object.keys(state.Holders).length >= state.Limit) {
        index = read.index;
        continue;
      }
      state.Holders[id] = true;
      let didSet: boolean;
      try {
        didSet = await this.api.cas(this.lockKey, encodeSemaphoreLock(state), SEMAPHORE_FLAG_VALUE, lockPair?.modifyIndex ?? 0);
      } catch (e) {
        throw new Error(`failed to update lock: ${(e as Error).message}`, { cause: e });
      }
      if (didSet) break;
      index = 0; // lost a race with another contender: read again at once
    }
    this.held = true;
    return true;
  }

  private startMonitor(id: string): AbortSignal {
    const monitor = startHoldMonitor(this.clock, this.opts, async (index, signal) => {
      const read = await this.api.list(this.opts.prefix, { index, consistent: true, signal });
      let state: SemaphoreLockState;
      try {
        state = decodeSemaphoreLock(this.findLock(read.value), this.opts.limit);
      } catch {
        return { index: read.index, held: false };
      }
      pruneDeadHolders(state, read.value);
      return { index: read.index, held: state.Holders[id] === true };
    });
    this.monitorStop = monitor.stop;
    return monitor.lost;
  }

  /** See DistributedLock.release: removes the session from `.lock` (check-and-set), deletes the contender key, destroys the session. */
  async release(): Promise<void> {
    if (!this.held) throw new SextantError(ErrorCode.LockNotHeld, 'Semaphore not held');
    this.held = false;
    this.monitorStop?.abort();
    const id = this.session!;
    try {
      for (;;) {
        const pair = (await this.api.get(this.lockKey)).value ?? undefined;
        const state = decodeSemaphoreLock(pair, this.opts.limit);
        if (!state.Holders[id]) break;
        delete state.Holders[id];
        let didSet: boolean;
        try {
          didSet = await this.api.cas(this.lockKey, encodeSemaphoreLock(state), SEMAPHORE_FLAG_VALUE, pair?.modifyIndex ?? 0);
        } catch (e) {
          throw new Error(`failed to update lock: ${(e as Error).message}`, { cause: e });
        }
        if (didSet) break;
      }
      await this.api.delete(joinKey(this.opts.prefix, id));
    } finally {
      await this.dropSession();
    }
  }

  /** See DistributedLock.destroy: deletes `.lock` (check-and-set) when it has no live holder. */
  async destroy(): Promise<void> {
    if (this.held) throw new SextantError(ErrorCode.LockHeld, 'Semaphore already held');
    let pairs: LockKvPair[];
    try {
      pairs = (await this.api.list(this.opts.prefix)).value;
    } catch (e) {
      throw new Error(`failed to read prefix: ${(e as Error).message}`, { cause: e });
    }
    const lockPair = this.findLock(pairs);
    if (!lockPair) return;
    if (lockPair.flags !== SEMAPHORE_FLAG_VALUE) throw semaphoreConflict();
    const state = decodeSemaphoreLock(lockPair, this.opts.limit);
    pruneDeadHolders(state, pairs);
    if (Object.keys(state.Holders).length > 0) throw new SextantError(ErrorCode.LockInUse, 'Semaphore in use');
    let removed: boolean;
    try {
      removed = await this.api.deleteCas(this.lockKey, lockPair.modifyIndex);
    } catch (e) {
      throw new Error(`failed to remove semaphore: ${(e as Error).message}`, { cause: e });
    }
    if (!removed) throw new SextantError(ErrorCode.LockInUse, 'Semaphore in use');
  }

  private async dropSession(): Promise<void> {
    const r = this.renewer;
    this.renewer = undefined;
    this.session = undefined;
    await r?.stop();
  }
}
