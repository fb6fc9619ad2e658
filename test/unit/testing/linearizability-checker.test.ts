import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../../../src/testing/linearizability/linearizability-checker.js';
import { unknownOutcome, type Operation } from '../../../src/testing/linearizability/history.js';
import { kvModel, type KvInput, type KvOutput } from '../../../src/testing/linearizability/kv-model.js';
import { lockModel, type LockInput, type LockOutput } from '../../../src/testing/linearizability/lock-model.js';
import type { Model } from '../../../src/testing/linearizability/model.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';

type KvOp = Operation<KvInput, KvOutput>;
const op = (clientId: number, call: number, ret: number, input: KvInput, output: KvOutput): KvOp => ({ clientId, call, return: ret, input, output });
const get = (c: number, t0: number, t1: number, value: string | null): KvOp => op(c, t0, t1, { op: 'get', key: 'k' }, { value });
const put = (c: number, t0: number, t1: number, value: string): KvOp => op(c, t0, t1, { op: 'put', key: 'k', value }, { ok: true });
const cas = (c: number, t0: number, t1: number, expect: string | null, value: string, ok: boolean): KvOp =>
  op(c, t0, t1, { op: 'cas', key: 'k', expect, value }, { ok });

/** Linearizable by brute force: some order of all operations respecting real time is a run of the model. */
function bruteForce<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean {
  const n = ops.length;
  const used = new Array<boolean>(n).fill(false);
  const search = (state: S, placed: number): boolean => {
    if (placed === n) return true;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      // i may go next only if no unplaced operation returned before i was called.
      if (ops.some((o, j) => !used[j] && j !== i && o.return < ops[i]!.call)) continue;
      const r = model.step(state, ops[i]!.input, ops[i]!.output);
      if (!r.ok) continue;
      used[i] = true;
      if (search(r.state, placed + 1)) return true;
      used[i] = false;
    }
    return false;
  };
  return search(model.init(), 0);
}

describe('linearizability checker (Wing–Gong with memoization, as Porcupine)', () => {
  it('accepts a sequential history and the classic concurrent ones that are linearizable', () => {
    expect(checkLinearizable(kvModel, [put(0, 0, 1, 'a'), get(1, 2, 3, 'a'), put(0, 4, 5, 'b'), get(1, 6, 7, 'b')]).result).toBe('ok');
    // A read overlapping a write may see the old or the new value.
    expect(checkLinearizable(kvModel, [put(0, 0, 1, 'a'), put(0, 2, 6, 'b'), get(1, 3, 4, 'a'), get(2, 3, 5, 'b')]).result).toBe('ok');
    // Missing key reads as null before the first write.
    expect(checkLinearizable(kvModel, [get(1, 0, 10, null), put(0, 1, 2, 'a')]).result).toBe('ok');
  });

  it('rejects a stale read after a completed write, and a read that goes back in time, with an explanation', () => {
    const stale = checkLinearizable(kvModel, [put(0, 0, 1, 'a'), put(0, 2, 3, 'b'), get(1, 4, 5, 'a')]);
    expect(stale.result).toBe('illegal');
    // Two sequential reads during one long write: new then old is not linearizable (new-old inversion).
    const inversion = checkLinearizable(kvModel, [put(0, 0, 1, 'a'), put(0, 2, 10, 'b'), get(1, 3, 4, 'b'), get(2, 5, 6, 'a')]);
    expect(inversion.result).toBe('illegal');
    if (inversion.result !== 'illegal') return;
    expect(inversion.explanation).toMatch(/cannot place/);
    expect(inversion.explanation).toMatch(/get\(k\) → "a"/);
  });

  it('checks CAS as Consul runs it: at most one of two CAS from the same version wins', () => {
    const both = [put(0, 0, 1, 'v0'), cas(1, 2, 5, 'v0', 'x', true), cas(2, 2, 5, 'v0', 'y', true)];
    expect(checkLinearizable(kvModel, both).result).toBe('illegal');
    const one = [put(0, 0, 1, 'v0'), cas(1, 2, 5, 'v0', 'x', true), cas(2, 2, 5, 'v0', 'y', false), get(3, 6, 7, 'x')];
    expect(checkLinearizable(kvModel, one).result).toBe('ok');
    expect(checkLinearizable(kvModel, [cas(1, 0, 1, null, 'first', true), get(2, 2, 3, 'first')]).result).toBe('ok');
  });

  it('lets an operation whose answer never came take effect later or never', () => {
    const lost = unknownOutcome<KvInput, KvOutput>(0, { op: 'put', key: 'k', value: 'maybe' }, 0);
    expect(checkLinearizable(kvModel, [lost, get(1, 5, 6, 'maybe'), get(1, 7, 8, 'maybe')]).result).toBe('ok');
    expect(checkLinearizable(kvModel, [lost, get(1, 5, 6, null)]).result).toBe('ok');
    // ...but once it was seen it cannot be unseen.
    expect(checkLinearizable(kvModel, [lost, get(1, 5, 6, 'maybe'), get(1, 7, 8, null)]).result).toBe('illegal');
  });

  it('partitions by key and names the partition that fails', () => {
    const other = (c: number, t0: number, t1: number, value: string | null): KvOp => op(c, t0, t1, { op: 'get', key: 'other' }, { value });
    const r = checkLinearizable(kvModel, [put(0, 0, 1, 'a'), get(1, 2, 3, 'a'), other(2, 0, 1, null), other(2, 2, 3, 'ghost')]);
    expect(r).toMatchObject({ result: 'illegal', partition: 1 });
  });

  it('agrees with brute force on 3,000 random small KV histories (seeded)', () => {
    const rnd = new SeededRandom(20261205);
    let illegal = 0;
    for (let h = 0; h < 3000; h++) {
      const ops: KvOp[] = [];
      const n = 2 + rnd.int(6);
      for (let i = 0; i < n; i++) {
        const call = rnd.int(10);
        const ret = call + rnd.int(6);
        const pick = rnd.int(4);
        const val = (): string => 'abc'[rnd.int(3)]!;
        if (pick === 0) ops.push(get(i, call, ret, rnd.int(4) === 0 ? null : val()));
        else if (pick === 1) ops.push(put(i, call, ret, val()));
        else if (pick === 2) ops.push(cas(i, call, ret, rnd.int(3) === 0 ? null : val(), val(), rnd.int(2) === 0));
        else ops.push(unknownOutcome(i, { op: 'put', key: 'k', value: val() }, call));
      }
      const expected = bruteForce(kvModel, ops);
      if (!expected) illegal++;
      expect(checkLinearizable(kvModel, ops).result, JSON.stringify(ops)).toBe(expected ? 'ok' : 'illegal');
    }
    // The generator must produce both kinds, or the comparison proves nothing.
    expect(illegal).toBeGreaterThan(300);
    expect(illegal).toBeLessThan(2700);
  });

  it('accepts large linearizable histories built from a real sequential run (1,000 operations, 8 clients, 4 keys)', () => {
    const rnd = new SeededRandom(7);
    const store = new Map<string, string | null>();
    const ops: KvOp[] = [];
    const busyUntil = new Array<number>(8).fill(0);
    let version = 0;
    // Each operation takes effect at a linearization point t inside [call, return].
    for (let t = 1; ops.length < 1000; t += 1 + rnd.int(3)) {
      const c = rnd.int(8);
      if (busyUntil[c]! >= t) continue;
      const call = Math.max(busyUntil[c]! + 1, t - rnd.int(20));
      const ret = t + rnd.int(20);
      busyUntil[c] = ret;
      const key = `k${rnd.int(4)}`;
      const cur = store.get(key) ?? null;
      const r = rnd.int(4);
      if (r === 0) ops.push(op(c, call, ret, { op: 'get', key }, { value: cur }));
      else if (r === 1) {
        const value = `v${++version}`;
        store.set(key, value);
        ops.push(op(c, call, ret, { op: 'put', key, value }, { ok: true }));
      } else if (r === 2) {
        const expect = rnd.int(2) === 0 ? cur : `v${rnd.int(version + 1)}`;
        const value = `v${++version}`;
        const ok = expect === cur;
        if (ok) store.set(key, value);
        ops.push(op(c, call, ret, { op: 'cas', key, expect, value }, { ok }));
      } else {
        store.set(key, null);
        ops.push(op(c, call, ret, { op: 'delete', key }, { ok: true }));
      }
    }
    expect(checkLinearizable(kvModel, ops).result).toBe('ok');
    // Corrupt one read to a value that was never written: now no order explains it.
    const i = ops.findIndex((o) => o.input.op === 'get' && o.call > 1000);
    const bad = ops.map((o, j) => (j === i ? { ...o, output: { value: 'never-written' } } : o));
    expect(checkLinearizable(kvModel, bad).result).toBe('illegal');
  });

  it('gives up with "unknown" when the search exceeds its budget', () => {
    const ops = Array.from({ length: 12 }, (_, i) => put(i, 0, 100, `v${i}`));
    ops.push(get(99, 101, 102, 'nope'));
    expect(checkLinearizable(kvModel, ops, { maxSteps: 50 }).result).toBe('unknown');
    expect(checkLinearizable(kvModel, ops).result).toBe('illegal');
  });
});

describe('lock model (Consul KV acquire/release with sessions)', () => {
  type LockOp = Operation<LockInput, LockOutput>;
  const l = (c: number, t0: number, t1: number, o: LockInput['op'], session: string, ok: boolean): LockOp => ({
    clientId: c,
    call: t0,
    return: t1,
    input: { op: o, key: 'lock', session },
    output: { ok },
  });

  it('allows one holder at a time; re-acquire by the holder succeeds; release frees it', () => {
    expect(checkLinearizable(lockModel, [l(0, 0, 1, 'acquire', 's1', true), l(0, 2, 3, 'acquire', 's1', true), l(1, 4, 5, 'acquire', 's2', false), l(0, 6, 7, 'release', 's1', true), l(1, 8, 9, 'acquire', 's2', true)]).result).toBe('ok');
  });

  it('rejects two sessions holding the lock at once, and a release by a non-holder that succeeded', () => {
    expect(checkLinearizable(lockModel, [l(0, 0, 3, 'acquire', 's1', true), l(1, 1, 4, 'acquire', 's2', true)]).result).toBe('illegal');
    expect(checkLinearizable(lockModel, [l(0, 0, 1, 'acquire', 's1', true), l(1, 2, 3, 'release', 's2', true)]).result).toBe('illegal');
  });

  it('frees the lock when its session is invalidated', () => {
    expect(checkLinearizable(lockModel, [l(0, 0, 1, 'acquire', 's1', true), l(2, 2, 3, 'invalidate', 's1', true), l(1, 4, 5, 'acquire', 's2', true)]).result).toBe('ok');
    expect(checkLinearizable(lockModel, [l(0, 0, 1, 'acquire', 's1', true), l(2, 2, 3, 'invalidate', 's9', true), l(1, 4, 5, 'acquire', 's2', true)]).result).toBe('illegal');
  });

  it('agrees with brute force on 2,000 random small lock histories', () => {
    const rnd = new SeededRandom(99);
    for (let h = 0; h < 2000; h++) {
      const ops: LockOp[] = [];
      for (let i = 0, n = 2 + rnd.int(6); i < n; i++) {
        const call = rnd.int(10);
        ops.push(l(i, call, call + rnd.int(6), (['acquire', 'release', 'invalidate'] as const)[rnd.int(3)]!, `s${rnd.int(2)}`, rnd.int(2) === 0));
      }
      expect(checkLinearizable(lockModel, ops).result, JSON.stringify(ops)).toBe(bruteForce(lockModel, ops) ? 'ok' : 'illegal');
    }
  });
});
