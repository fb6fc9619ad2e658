import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { nextWaitIndex, WatchPlan } from '../../../src/watch/watch-plan.js';
import type { WatchAnswer } from '../../../src/watch/watch-plan.js';

/** A fetch whose answers the test hands out one by one, recording the index of each read. */
function scriptedFetch() {
  const asked: bigint[] = [];
  const waiting: { resolve: (a: WatchAnswer) => void; reject: (e: Error) => void }[] = [];
  const fetch = (index: bigint, signal: AbortSignal): Promise<WatchAnswer> => {
    asked.push(index);
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  };
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return {
    fetch,
    asked,
    async answer(index: bigint, result: unknown): Promise<void> {
      await flush();
      const w = waiting.shift();
      if (!w) throw new Error('no read in flight');
      w.resolve({ index, result });
      await flush();
    },
    async fail(message: string): Promise<void> {
      await flush();
      const w = waiting.shift();
      if (!w) throw new Error('no read in flight');
      w.reject(new Error(message));
      await flush();
    },
    inFlight: () => waiting.length,
  };
}

function setup(handlerImpl?: (i: bigint, r: unknown) => unknown) {
  const clock = new ManualClock();
  const f = scriptedFetch();
  const calls: [bigint, unknown][] = [];
  const plan = new WatchPlan({
    type: 'key',
    fetch: f.fetch,
    clock,
    logger: new SilentLogger(),
    handler: (i, r) => {
      calls.push([i, r]);
      return handlerImpl?.(i, r);
    },
  });
  const done = plan.run();
  return { clock, f, calls, plan, done };
}

describe('WatchPlan (Consul api/watch plan.go)', () => {
  it('fires on the first result, blocks on its index, and fires again only when the index moved and the result changed', async () => {
    const { f, calls, plan, done } = setup();
    await f.answer(5n, { v: 1 });
    expect(calls).toEqual([[5n, { v: 1 }]]);
    await f.answer(5n, { v: 1 }); // wait timed out, nothing new
    await f.answer(7n, { v: 1 }); // index moved, same data (another key changed)
    expect(calls).toHaveLength(1);
    await f.answer(9n, { v: 2 });
    expect(calls).toEqual([[5n, { v: 1 }], [9n, { v: 2 }]]);
    expect(f.asked).toEqual([0n, 5n, 5n, 7n, 9n]);
    plan.stop();
    await done;
  });

  it('resets to index 0 when the index goes backwards (a restored snapshot), then blocks on the new one', async () => {
    const { f, calls, plan, done } = setup();
    await f.answer(100n, 'a');
    await f.answer(40n, 'a');
    expect(calls).toHaveLength(1); // same data: no fire
    await f.answer(41n, 'b');
    expect(calls.map((c) => c[1])).toEqual(['a', 'b']);
    expect(f.asked).toEqual([0n, 100n, 0n, 41n]);
    expect(nextWaitIndex(100n, 40n)).toBe(0n);
    expect(nextWaitIndex(undefined, 40n)).toBe(40n);
    plan.stop();
    await done;
  });

  it('backs off 5 s × failures² after a failed read, forgets the index and fires again after it', async () => {
    const { clock, f, calls, plan, done } = setup();
    await f.answer(3n, 'x');
    await f.fail('connection refused');
    expect(f.inFlight()).toBe(0);
    clock.advance(4_999);
    await Promise.resolve();
    expect(f.inFlight()).toBe(0);
    clock.advance(1);
    await Promise.resolve();
    await f.fail('again');
    clock.advance(19_999); // 5 s × 2²
    await Promise.resolve();
    expect(f.inFlight()).toBe(0);
    clock.advance(1);
    await f.answer(3n, 'x');
    expect(f.asked).toEqual([0n, 3n, 0n, 0n, 3n]);
    expect(calls.map((c) => c[1])).toEqual(['x', 'x']); // Consul fires again after an error
    plan.stop();
    await done;
  });

  it('a handler that throws is logged and the watch goes on', async () => {
    const { f, calls, plan, done } = setup(() => {
      throw new Error('handler broke');
    });
    await f.answer(1n, 'a');
    await f.answer(2n, 'b');
    expect(calls).toHaveLength(2);
    expect(f.inFlight()).toBe(1);
    plan.stop();
    await done;
  });

  it('stop aborts the blocking read in flight and ends the loop', async () => {
    const { f, calls, plan, done } = setup();
    await f.answer(1n, 'a');
    expect(f.inFlight()).toBe(1);
    plan.stop();
    await done;
    expect(calls).toHaveLength(1);
    expect(plan.isStopped).toBe(true);
  });
});
