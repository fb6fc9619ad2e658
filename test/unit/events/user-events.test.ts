import { decode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../../contracts/model/event.js';
import type { PoolUserEvent } from '../../../contracts/ports/membership.js';
import { CONSUL_EVENT_PREFIX, decodeUserEvent, encodeUserEvent, eventIndex } from '../../../src/events/user-event-codec.js';
import { passesEventFilters, validateUserEventParams } from '../../../src/events/user-event-filter.js';
import { USER_EVENT_BUFFER, UserEventLog } from '../../../src/events/user-event-log.js';
import { LocalMembership } from '../../../src/testing/local-membership.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

const QUERY = { minIndex: 0, waitMs: 0, consistency: 'default' as const };
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function event(over: Partial<UserEvent> = {}): UserEvent {
  return { ID: '00000000-0000-0001-0000-000000000002', Name: 'deploy', Payload: null, NodeFilter: '', ServiceFilter: '', TagFilter: '', Version: 1, LTime: 0, ...over };
}

describe('user event codec (Consul agent/user_event.go)', () => {
  it("encodes Consul's msgpack map (ID, n, p as bin, nf/sf/tf only when set, v) and decodes it back with serf's LTime", () => {
    const e = event({ Payload: new Uint8Array([0, 1, 255]), NodeFilter: 'web', Version: 1 });
    const raw = encodeUserEvent(e);
    expect(decode(raw)).toEqual({ ID: e.ID, n: 'deploy', p: new Uint8Array([0, 1, 255]), nf: 'web', v: 1 });
    expect(decodeUserEvent(raw, 42)).toEqual({ ...e, LTime: 42 });
    expect(decode(encodeUserEvent(event()))).toEqual({ ID: e.ID, n: 'deploy', v: 1 });
  });

  it('accepts a payload written as a msgpack string (old handles) and refuses what is not an event', () => {
    const m = new Uint8Array([0x83, 0xa1, 0x6e, 0xa1, 0x78, 0xa1, 0x70, 0xa2, 0x68, 0x69, 0xa1, 0x76, 0x01]); // {n:"x",p:"hi",v:1}
    expect(decodeUserEvent(m, 0)).toMatchObject({ Name: 'x', Payload: new TextEncoder().encode('hi'), Version: 1 });
    expect(decodeUserEvent(new Uint8Array([0xc1]), 0)).toBeUndefined();
    expect(decodeUserEvent(new Uint8Array([0x01]), 0)).toBeUndefined();
  });

  it("derives the list index as Consul's uuidToUint64 (first 16 hex digits XOR the last 16), beyond 2^53 exactly", () => {
    expect(eventIndex('00000000-0000-0001-0000-000000000002')).toBe('3');
    expect(eventIndex('ffffffff-ffff-ffff-0000-000000000000')).toBe('18446744073709551615');
    expect(eventIndex('f0f0f0f0-f0f0-f0f0-0f0f-0f0f0f0f0f0f')).toBe('18446744073709551615');
    expect(eventIndex('not-a-uuid')).toBe('0');
  });
});

describe('user event filters (validateUserEventParams, shouldProcessUserEvent)', () => {
  it("refuses with Consul's texts", () => {
    expect(() => validateUserEventParams({ name: '' })).toThrow('User event missing name');
    expect(() => validateUserEventParams({ name: 'x', tagFilter: 'a' })).toThrow('Cannot provide tag filter without service filter');
    expect(() => validateUserEventParams({ name: 'x', nodeFilter: '(' })).toThrow(/^Invalid node filter: /);
    expect(() => validateUserEventParams({ name: 'x', serviceFilter: 'web', tagFilter: 'v[0-9]' })).not.toThrow();
  });

  it('keeps an event when the node name, a service name and one of its tags match (anywhere in the text, as Go MatchString)', () => {
    const target = { nodeName: 'web-1', services: [{ name: 'api', tags: ['v1', 'blue'] }, { name: 'db', tags: [] }] };
    const keep = (over: Partial<UserEvent>): boolean => passesEventFilters(event(over), target, () => undefined);
    expect(keep({})).toBe(true);
    expect(keep({ NodeFilter: 'web' })).toBe(true);
    expect(keep({ NodeFilter: '^db' })).toBe(false);
    expect(keep({ ServiceFilter: 'ap' })).toBe(true);
    expect(keep({ ServiceFilter: 'cache' })).toBe(false);
    expect(keep({ ServiceFilter: 'api', TagFilter: 'blu' })).toBe(true);
    expect(keep({ ServiceFilter: 'db', TagFilter: 'blue' })).toBe(false);
    const problems: string[] = [];
    expect(passesEventFilters(event({ NodeFilter: '(' }), target, (t) => problems.push(t))).toBe(false);
    expect(problems[0]).toMatch(/^Failed to parse node filter '\(' for event 'deploy'/);
  });
});

describe('UserEventLog (the agent ring of 256 events and /v1/event/list)', () => {
  function setup(nodeName = 'n1') {
    const clock = new ManualClock();
    const membership = new LocalMembership({ identity: () => ({ name: nodeName, addr: '127.0.0.1', port: 8301 }), tags: {}, logger: new SilentLogger() });
    const fired: string[] = [];
    const log = new UserEventLog({
      membership,
      fire: async (name, payload) => {
        fired.push(name);
        await membership.userEvent(CONSUL_EVENT_PREFIX + name, payload, false);
      },
      target: () => ({ nodeName, services: [] }),
      clock,
      random: new SeededRandom(1),
      logger: new SilentLogger(),
    });
    return { clock, membership, log, fired };
  }

  it('fires through the RPC step, then lists the event it received from the pool with its Lamport time', async () => {
    const { log, fired } = setup();
    const e = await log.fire({ name: 'deploy', payload: new TextEncoder().encode('v2') });
    expect(e).toMatchObject({ Name: 'deploy', Version: 1, LTime: 0 });
    expect(fired).toEqual(['deploy']);
    await flush();
    await log.fire({ name: 'other' });
    await flush();
    const all = await log.list('', QUERY);
    expect(all.events.map((x) => [x.Name, x.LTime])).toEqual([['deploy', 0], ['other', 1]]);
    expect(all.events[0]!.Payload).toEqual(new TextEncoder().encode('v2'));
    expect(all.index).toBe(eventIndex(all.events[1]!.ID));
    expect((await log.list('deploy', QUERY)).events.map((x) => x.ID)).toEqual([e.ID]);
    expect(await log.list('nope', QUERY)).toEqual({ events: [], index: '1' });
  });

  it('keeps the 256 most recent, oldest first; ignores events that are not Consul events or fail its filters', async () => {
    const { log, membership } = setup('n1');
    for (let i = 0; i < USER_EVENT_BUFFER + 10; i++) await log.fire({ name: `e${i}` });
    await membership.userEvent('serf-native', new Uint8Array([1]), false);
    await log.fire({ name: 'elsewhere', nodeFilter: '^n2$' });
    await flush();
    const names = (await log.list('', QUERY)).events.map((x) => x.Name);
    expect(names).toHaveLength(USER_EVENT_BUFFER);
    expect(names[0]).toBe('e10');
    expect(names.at(-1)).toBe(`e${USER_EVENT_BUFFER + 9}`);
  });

  it('blocks while the index equals ?index, wakes on a new event, and returns at the wait time otherwise', async () => {
    const { log, clock } = setup();
    await log.fire({ name: 'first' });
    await flush();
    const now = await log.list('', QUERY);
    let woke: string[] | undefined;
    const waiting = log.list('', { ...QUERY, minIndex: Number(now.index), waitMs: 10_000 }).then((r) => (woke = r.events.map((x) => x.Name)));
    clock.advance(5_000);
    await flush();
    expect(woke).toBeUndefined();
    await log.fire({ name: 'second' });
    await waiting;
    expect(woke).toEqual(['first', 'second']);

    // A different index answers at once (the index is not monotonic: only equality blocks).
    expect((await log.list('', { ...QUERY, minIndex: 12345, waitMs: 10_000 })).events).toHaveLength(2);
    // No change: the wait ends at the wait time with the same answer.
    const same = await log.list('', QUERY);
    let done = false;
    const timed = log.list('', { ...QUERY, minIndex: Number(same.index), waitMs: 3_000 }).then((r) => ((done = true), r));
    clock.advance(2_999);
    await flush();
    expect(done).toBe(false);
    clock.advance(1);
    expect((await timed).index).toBe(same.index);
  });

  it("refuses an event over serf's 512-byte limit (name + payload) with serf's text", async () => {
    const { log, membership } = setup();
    const seen: PoolUserEvent[] = [];
    membership.onUserEvent((e) => seen.push(e));
    await expect(log.fire({ name: 'big', payload: new Uint8Array(600) })).rejects.toThrow(/^user event exceeds configured limit of 512 bytes before encoding$/);
    await flush();
    expect(seen).toEqual([]);
  });
});
