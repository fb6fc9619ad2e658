import { describe, expect, it } from 'vitest';
import { eventIndex } from '../../../src/events/user-event-codec.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { eventsSince } from '../../../src/watch/event-watch.js';
import { WatchPlan } from '../../../src/watch/watch-plan.js';
import type { WatchAnswer } from '../../../src/watch/watch-plan.js';
import { parseWatchParams, watchRequest } from '../../../src/watch/watch-types.js';

/** An event ID whose Consul index (first 16 hex digits XOR last 16) is `index`. */
function idFor(index: bigint): string {
  const h = index.toString(16).padStart(16, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-0000-000000000000`;
}
const ev = (index: bigint, name = 'deploy') => ({
  ID: idFor(index),
  Name: name,
  Payload: null,
  NodeFilter: '',
  ServiceFilter: '',
  TagFilter: '',
  Version: 1,
  LTime: 1,
});
const ids = (r: unknown): string[] => (r as { ID: string }[]).map((e) => e.ID);

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** The agent's /v1/event/list as the watch fetch sees it: blocks while `index` is the current one. */
function eventAgent() {
  const events: ReturnType<typeof ev>[] = [];
  const asked: bigint[] = [];
  let waiter: (() => void) | undefined;
  const current = (): bigint => (events.length === 0 ? 1n : BigInt(eventIndex(events[events.length - 1]!.ID)));
  const answer = (index: bigint): WatchAnswer => ({ index: current(), result: eventsSince([...events], index) });
  const fetch = (index: bigint, signal: AbortSignal): Promise<WatchAnswer> => {
    asked.push(index);
    if (index !== current()) return Promise.resolve(answer(index));
    return new Promise((resolve, reject) => {
      waiter = () => resolve(answer(index));
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  };
  return {
    fetch,
    asked,
    async fire(e: ReturnType<typeof ev>): Promise<void> {
      events.push(e);
      const w = waiter;
      waiter = undefined;
      w?.();
      await flush();
    },
  };
}

describe('event watches (Consul api/watch eventWatch)', () => {
  it('prunes the list to the events after the one whose ID maps to the last index, exact beyond 2^53', () => {
    const base = 2n ** 53n;
    const list = [ev(base), ev(base + 1n), ev(base + 2n)];
    expect(ids(eventsSince(list, base + 1n))).toEqual([idFor(base + 2n)]);
    expect(ids(eventsSince(list, base))).toEqual([idFor(base + 1n), idFor(base + 2n)]);
    expect(eventsSince(list, base + 2n)).toEqual([]); // the newest is the last one seen: nothing new
    expect(ids(eventsSince(list, 12345n))).toEqual(list.map((e) => e.ID)); // no match: the whole list
    expect(ids(eventsSince(list, 0n))).toEqual(list.map((e) => e.ID)); // no index held yet
    expect(eventsSince([], 7n)).toEqual([]);
  });

  it("hands each event on in Go's api.UserEvent shape: its eight fields in order, zero values when missing", () => {
    const [e] = eventsSince([{ LTime: 4, Name: 'deploy', ID: idFor(3n), Payload: 'aGk=', Extra: 'x' }], 0n) as Record<string, unknown>[];
    expect(Object.keys(e!)).toEqual(['ID', 'Name', 'Payload', 'NodeFilter', 'ServiceFilter', 'TagFilter', 'Version', 'LTime']);
    expect(e).toEqual({ ID: idFor(3n), Name: 'deploy', Payload: 'aGk=', NodeFilter: '', ServiceFilter: '', TagFilter: '', Version: 0, LTime: 4 });
  });

  it('reads GET /v1/event/list with the name, and refuses stale as Consul does', () => {
    expect(watchRequest(parseWatchParams({ type: 'event', name: 'deploy' }))).toEqual({ path: '/v1/event/list', query: [['name', 'deploy']], notFoundIsEmpty: false });
    expect(watchRequest(parseWatchParams({ type: 'event', datacenter: 'dc2' })).query).toEqual([['dc', 'dc2']]);
    expect(() => parseWatchParams({ type: 'event', stale: true })).toThrow('Invalid parameters: [stale]');
  });

  it('fires on the first (empty) list, then once per new event with only that event, blocking on a lower index as is', async () => {
    const agent = eventAgent();
    const calls: [bigint, unknown][] = [];
    const plan = new WatchPlan({
      type: 'event',
      fetch: agent.fetch,
      orderedIndex: false,
      clock: new ManualClock(),
      logger: new SilentLogger(),
      handler: (i, r) => void calls.push([i, r]),
    });
    const done = plan.run();
    await flush();
    expect(calls).toEqual([[1n, []]]);

    const high = 2n ** 64n - 1n; // far beyond 2^53
    await agent.fire(ev(high));
    await agent.fire(ev(5n)); // a lower index: an event ID is random, the index is not an order
    await agent.fire(ev(2n ** 53n + 1n));
    expect(calls.map(([i, r]) => [i, ids(r)])).toEqual([
      [1n, []],
      [high, [idFor(high)]],
      [5n, [idFor(5n)]],
      [2n ** 53n + 1n, [idFor(2n ** 53n + 1n)]],
    ]);
    // Consul's WaitIndexVal.Next resets only an equal index (never, after the loop's equality skip): no read at 0.
    expect(agent.asked).toEqual([0n, 1n, high, 5n, 2n ** 53n + 1n]);
    plan.stop();
    await done;
  });

  it('why event watches keep a lower index: with the ordered rule of the other types the whole list would fire again', async () => {
    const agent = eventAgent();
    const calls: unknown[] = [];
    const plan = new WatchPlan({ type: 'event', fetch: agent.fetch, clock: new ManualClock(), logger: new SilentLogger(), handler: (_i, r) => void calls.push(ids(r)) });
    const done = plan.run();
    await flush();
    await agent.fire(ev(100n));
    await agent.fire(ev(5n));
    expect(calls).toEqual([[], [idFor(100n)], [idFor(5n)], [idFor(100n), idFor(5n)]]);
    expect(agent.asked).toEqual([0n, 1n, 100n, 0n, 5n]);
    plan.stop();
    await done;
  });
});
