import { describe, expect, it } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import { LOCK_FLAG_VALUE, LockRecipe } from '../../../src/cli/lock/lock-recipe.js';
import {
  SEMAPHORE_FLAG_VALUE,
  SemaphoreRecipe,
  decodeSemaphoreLock,
  encodeSemaphoreLock,
  joinKey,
  pruneDeadHolders,
} from '../../../src/cli/lock/semaphore-recipe.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakeLockApi, flush } from './lock-fake-api.js';

function setup() {
  const clock = new ManualClock();
  const api = new FakeLockApi(clock);
  return { clock, api };
}

async function advance(clock: ManualClock, ms: number, step = 500): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await flush();
  }
}

describe('LockRecipe (Consul api/lock.go)', () => {
  it('takes a free lock with LockFlagValue and the session, renews at TTL/2, and releases without lock-delay', async () => {
    const { clock, api } = setup();
    const lock = new LockRecipe(api, clock, { key: 'p/.lock', sessionName: 'n' });
    const lost = await lock.acquire();
    expect(lost).not.toBeNull();
    const pair = api.kv.get('p/.lock')!;
    expect([pair.flags, pair.session, pair.lockIndex]).toEqual([LOCK_FLAG_VALUE, lock.sessionId, 1]);
    const id = lock.sessionId!;
    await advance(clock, 7_600);
    expect(api.sessions.get(id)!.renews).toBe(1); // 15s TTL ⇒ every 7.5 s
    await lock.release();
    expect(api.kv.get('p/.lock')!.session).toBe('');
    expect(api.sessions.size).toBe(0);
    expect(lost!.aborted).toBe(false); // releasing is not losing
    await lock.destroy();
    expect(api.kv.has('p/.lock')).toBe(false);
  });

  it('waits on a held lock, waits out a lock-delay in 5 s steps, then acquires', async () => {
    const { clock, api } = setup();
    const holder = await api.createSession({ Name: 'h', TTL: '' });
    await api.acquire('p/.lock', new Uint8Array(), LOCK_FLAG_VALUE, holder);
    const lock = new LockRecipe(api, clock, { key: 'p/.lock', sessionName: 'n' });
    let lost: AbortSignal | null | undefined;
    void lock.acquire().then((l) => (lost = l));
    await advance(clock, 20_000);
    expect(lost).toBeUndefined(); // blocked on the holder
    const acquiresBefore = api.calls.filter((c) => c === 'acquire').length;
    await api.destroySession(holder); // lock-delay 15 s starts now
    const destroyedAt = clock.now();
    await advance(clock, 14_000);
    expect(lost).toBeUndefined();
    expect(api.calls.filter((c) => c === 'acquire').length - acquiresBefore).toBe(3); // 0 s, 5 s, 10 s
    await advance(clock, 6_000);
    expect(lost).toBeInstanceOf(AbortSignal);
    expect(clock.now() - destroyedAt).toBeGreaterThanOrEqual(15_000);
    await lock.release();
  });

  it('signals a lost lock when its session is invalidated', async () => {
    const { clock, api } = setup();
    const lock = new LockRecipe(api, clock, { key: 'p/.lock', sessionName: 'n' });
    const lost = (await lock.acquire())!;
    await flush();
    expect(lost.aborted).toBe(false);
    await api.destroySession(lock.sessionId!);
    await flush();
    expect(lost.aborted).toBe(true);
  });

  it('refuses a key with other Flags, destroying its session', async () => {
    const { clock, api } = setup();
    await api.cas('p/.lock', Buffer.from('x'), 0n, 0);
    const lock = new LockRecipe(api, clock, { key: 'p/.lock', sessionName: 'n' });
    const e = await lock.acquire().catch((x: unknown) => x);
    expect(isSextantError(e)).toBe(true);
    expect((e as Error).message).toBe('Existing key does not match lock use');
    expect(api.sessions.size).toBe(0);
  });

  it('one-shot mode gives up after the wait budget and destroys its session', async () => {
    const { clock, api } = setup();
    const holder = await api.createSession({ Name: 'h', TTL: '' });
    await api.acquire('p/.lock', new Uint8Array(), LOCK_FLAG_VALUE, holder);
    const lock = new LockRecipe(api, clock, { key: 'p/.lock', sessionName: 'n', tryOnce: true, waitMs: 2_000 });
    let result: AbortSignal | null | undefined;
    void lock.acquire().then((l) => (result = l));
    await advance(clock, 1_500, 100);
    expect(result).toBeUndefined();
    await advance(clock, 1_000, 100);
    expect(result).toBeNull();
    expect([...api.sessions.keys()]).toEqual([holder]);
  });

  it('stops waiting when the stop signal aborts', async () => {
    const { clock, api } = setup();
    const holder = await api.createSession({ Name: 'h', TTL: '' });
    await api.acquire('p/.lock', new Uint8Array(), LOCK_FLAG_VALUE, holder);
    const stop = new AbortController();
    const p = new LockRecipe(api, clock, { key: 'p/.lock', sessionName: 'n' }).acquire(stop.signal);
    await flush();
    stop.abort();
    expect(await p).toBeNull();
    expect(api.sessions.size).toBe(1);
  });

  it('destroy refuses while another session holds the lock', async () => {
    const { clock, api } = setup();
    const holder = await api.createSession({ Name: 'h', TTL: '' });
    await api.acquire('p/.lock', new Uint8Array(), LOCK_FLAG_VALUE, holder);
    const e = await new LockRecipe(api, clock, { key: 'p/.lock', sessionName: 'n' }).destroy().catch((x: unknown) => x);
    expect((e as Error).message).toBe('Lock in use');
  });
});

describe('SemaphoreRecipe (Consul api/semaphore.go)', () => {
  it('encodes .lock as Go does and prunes holders whose contender key is gone', () => {
    expect(encodeSemaphoreLock({ Limit: 2, Holders: { b: true, a: true } }).toString()).toBe('{"Limit":2,"Holders":{"a":true,"b":true}}');
    expect(decodeSemaphoreLock(undefined, 3)).toEqual({ Limit: 3, Holders: {} });
    const state = { Limit: 2, Holders: { a: true, b: true } };
    const pair = (key: string, session: string) => ({ key, session, flags: SEMAPHORE_FLAG_VALUE, value: Buffer.alloc(0), createIndex: 1, modifyIndex: 1, lockIndex: 1 });
    pruneDeadHolders(state, [pair('p/a', 'a'), pair('p/.lock', '')]);
    expect(state.Holders).toEqual({ a: true });
    expect([joinKey('locks/x', '.lock'), joinKey('locks/x/', '.lock'), joinKey('', '.lock')]).toEqual(['locks/x/.lock', 'locks/x/.lock', '.lock']);
  });

  it('admits two of three contenders, then the third when a holder releases', async () => {
    const { clock, api } = setup();
    const mk = () => new SemaphoreRecipe(api, clock, { prefix: 'sem', limit: 2, sessionName: 'n' });
    const [a, b, c] = [mk(), mk(), mk()];
    const got: (AbortSignal | null)[] = [];
    for (const s of [a, b, c]) void s.acquire().then((l) => got.push(l));
    await flush(60);
    expect(got).toHaveLength(2);
    const state = decodeSemaphoreLock(api.kv.get('sem/.lock'), 2);
    expect(Object.keys(state.Holders)).toHaveLength(2);
    expect(api.kv.get('sem/.lock')!.flags).toBe(SEMAPHORE_FLAG_VALUE);
    const holder = [a, b, c].find((s) => state.Holders[s.sessionId!])!;
    const holderSession = holder.sessionId!;
    await holder.release();
    await flush(60);
    expect(got).toHaveLength(3);
    expect(api.kv.has(`sem/${holderSession}`)).toBe(false);
    expect(api.sessions.has(holderSession)).toBe(false);
    const e = await holder.destroy().catch((x: unknown) => x);
    expect((e as Error).message).toBe('Semaphore in use');
  });

  it('a holder whose session dies loses its slot, and the slot frees up for a waiter', async () => {
    const { clock, api } = setup();
    const a = new SemaphoreRecipe(api, clock, { prefix: 'sem', limit: 1, sessionName: 'n' });
    const b = new SemaphoreRecipe(api, clock, { prefix: 'sem', limit: 1, sessionName: 'n' });
    const lostA = (await a.acquire())!;
    let gotB: AbortSignal | null | undefined;
    void b.acquire().then((l) => (gotB = l));
    await flush(60);
    expect(gotB).toBeUndefined();
    await api.destroySession(a.sessionId!); // behavior delete: its contender key goes
    await flush(60);
    expect(lostA.aborted).toBe(true);
    expect(gotB).toBeInstanceOf(AbortSignal);
  });

  it('refuses a contender that disagrees on the limit', async () => {
    const { clock, api } = setup();
    await new SemaphoreRecipe(api, clock, { prefix: 'sem', limit: 2, sessionName: 'n' }).acquire();
    const e = await new SemaphoreRecipe(api, clock, { prefix: 'sem', limit: 3, sessionName: 'n' }).acquire().catch((x: unknown) => x);
    expect((e as Error).message).toBe('semaphore limit conflict (lock: 2, local: 3)');
  });
});
