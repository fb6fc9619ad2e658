import type { Clock, TimerHandle } from '../../../contracts/platform.js';
import type { LockApi, LockKvPair, LockRead, LockReadOptions, LockSessionRequest } from '../../../src/cli/lock/lock-api.js';

/**
 * An in-memory agent for the lock recipes: KV with Consul's acquire/release/cas/lock-delay rules,
 * sessions with behavior release/delete and a 15 s default lock-delay, and blocking reads that
 * wake on any write (or after waitMs on the given clock). Time is the given clock's.
 */
export class FakeLockApi implements LockApi {
  index = 1;
  readonly kv = new Map<string, LockKvPair>();
  readonly sessions = new Map<string, { behavior: 'release' | 'delete'; lockDelayMs: number; ttl: string; renews: number }>();
  private readonly delays = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private seq = 0;
  /** Every call, by name, for assertions. */
  readonly calls: string[] = [];
  /** When set, renewSession rejects with it. */
  renewError: Error | undefined;

  constructor(private readonly clock: Clock) {}

  private bump(): void {
    this.index++;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async block(opts: LockReadOptions): Promise<void> {
    if (!opts.index || opts.index < this.index) return;
    await new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const done = (): void => {
        timer?.cancel();
        opts.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        timer?.cancel();
        this.waiters = this.waiters.filter((w) => w !== done);
        const e = new Error('The operation was aborted');
        e.name = 'AbortError';
        reject(e);
      };
      this.waiters.push(done);
      timer = this.clock.setTimeout(done, opts.waitMs ?? 300_000);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) onAbort();
    });
  }

  async createSession(req: LockSessionRequest): Promise<string> {
    this.calls.push('createSession');
    const id = `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`;
    this.sessions.set(id, { behavior: req.Behavior ?? 'release', lockDelayMs: 15_000, ttl: req.TTL, renews: 0 });
    this.bump();
    return id;
  }

  async renewSession(id: string): Promise<string | null> {
    this.calls.push('renewSession');
    if (this.renewError) throw this.renewError;
    const s = this.sessions.get(id);
    if (!s) return null;
    s.renews++;
    return s.ttl;
  }

  /** Invalidates the session as the agent does: release/delete its keys and start their lock-delay. */
  async destroySession(id: string): Promise<void> {
    this.calls.push('destroySession');
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    for (const [k, p] of [...this.kv]) {
      if (p.session !== id) continue;
      if (s.lockDelayMs > 0) this.delays.set(k, this.clock.now() + s.lockDelayMs);
      if (s.behavior === 'delete') this.kv.delete(k);
      else this.kv.set(k, { ...p, session: '', modifyIndex: this.index + 1 });
    }
    this.bump();
  }

  async get(key: string, opts: LockReadOptions = {}): Promise<LockRead<LockKvPair | null>> {
    await this.block(opts);
    return { value: this.kv.get(key) ?? null, index: this.index };
  }

  async list(prefix: string, opts: LockReadOptions = {}): Promise<LockRead<LockKvPair[]>> {
    await this.block(opts);
    const pairs = [...this.kv.values()].filter((p) => p.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
    return { value: pairs, index: this.index };
  }

  private put(key: string, value: Uint8Array, flags: bigint, patch: Partial<LockKvPair>): void {
    const old = this.kv.get(key);
    const idx = this.index + 1;
    this.kv.set(key, {
      key,
      flags,
      value: Buffer.from(value),
      createIndex: old?.createIndex ?? idx,
      modifyIndex: idx,
      lockIndex: old?.lockIndex ?? 0,
      session: old?.session ?? '',
      ...patch,
    });
    this.bump();
  }

  async acquire(key: string, value: Uint8Array, flags: bigint, session: string): Promise<boolean> {
    this.calls.push('acquire');
    if (!this.sessions.has(session)) throw new Error(`invalid session "${session}"`);
    if ((this.delays.get(key) ?? 0) > this.clock.now()) return false;
    const old = this.kv.get(key);
    if (old && old.session !== '' && old.session !== session) return false;
    this.put(key, value, flags, { session, lockIndex: old?.session === session ? old.lockIndex : (old?.lockIndex ?? 0) + 1 });
    return true;
  }

  async release(key: string, value: Uint8Array, flags: bigint, session: string): Promise<boolean> {
    this.calls.push('release');
    const old = this.kv.get(key);
    if (!old || old.session !== session) return false;
    this.put(key, value, flags, { session: '' });
    return true;
  }

  async cas(key: string, value: Uint8Array, flags: bigint, index: number): Promise<boolean> {
    const old = this.kv.get(key);
    if (index === 0 ? old !== undefined : old?.modifyIndex !== index) return false;
    this.put(key, value, flags, {});
    return true;
  }

  async delete(key: string): Promise<void> {
    this.kv.delete(key);
    this.bump();
  }

  async deleteCas(key: string, index: number): Promise<boolean> {
    const old = this.kv.get(key);
    if (!old) return true;
    if (old.modifyIndex !== index) return false;
    this.kv.delete(key);
    this.bump();
    return true;
  }

  async nodeName(): Promise<string> {
    return 'fake-node';
  }
}

/** Lets pending promise callbacks (and setImmediate turns) run. */
export async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
