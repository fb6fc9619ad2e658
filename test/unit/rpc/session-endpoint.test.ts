import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { QueryOptions } from '../../../contracts/model/query.js';
import type { SessionCreateRequest } from '../../../contracts/model/session.js';
import type { StateMachine } from '../../../contracts/ports/state-machine.js';
import type { RaftApi, RaftPeer } from '../../../src/consensus/raft-api.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { KvEndpoint } from '../../../src/rpc/kv-endpoint.js';
import { SessionEndpoint } from '../../../src/rpc/session-endpoint.js';
import { SessionTtlTimers } from '../../../src/rpc/session-ttl-timers.js';
import { Leadership } from '../../../src/kernel/leadership.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

/** A single-server "Raft" with switchable leadership that applies proposals directly and records them (to replay a "restart"). */
class LeaderRaft implements RaftApi {
  readonly log: Uint8Array[] = [];
  proposals = 0;
  private index = 0;
  private leading = true;
  private readonly listeners = new Set<(l: boolean) => void>();
  private readonly peer: RaftPeer = { id: 'n1', address: '127.0.0.1:8300', voter: true };
  constructor(private readonly sm: StateMachine) {}
  async addVoter(): Promise<void> {}
  async addNonvoter(): Promise<void> {}
  async removeServer(): Promise<void> {}
  async propose(data: Uint8Array): Promise<unknown> {
    this.proposals++;
    if (!this.leading) throw new SextantError(ErrorCode.NotLeader, 'not the leader');
    const r = this.sm.apply({ index: ++this.index, term: 1, data });
    this.log.push(data);
    return r;
  }
  async readBarrier(): Promise<void> {}
  isLeader(): boolean {
    return this.leading;
  }
  leader(): RaftPeer | undefined {
    return this.leading ? this.peer : undefined;
  }
  lastContactMs(): number {
    return 0;
  }
  configuration(): RaftPeer[] {
    return [this.peer];
  }
  onLeaderChange(): () => void {
    return () => {};
  }
  onLeadershipChange(fn: (l: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  setLeader(on: boolean): void {
    this.leading = on;
    for (const fn of this.listeners) fn(on);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

const queryConfig = { defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 };
const now: QueryOptions = { minIndex: 0, waitMs: 0, consistency: 'default' };
const settle = async (): Promise<void> => {
  for (let i = 0; i < 30; i++) await Promise.resolve();
};

function setup(opts: { clock?: ManualClock; store?: StateStore } = {}) {
  const store = opts.store ?? new StateStore();
  const raft = new LeaderRaft(store);
  const clock = opts.clock ?? new ManualClock();
  const random = new SeededRandom(7);
  const sessions = new SessionEndpoint({ store, raft, clock, random, config: { nodeName: 'agent-1', sessionTtlMinMs: 10_000, ...queryConfig } });
  const kv = new KvEndpoint({ store, raft, clock, random, config: { kvMaxValueSize: 512 * 1024, ...queryConfig } });
  const catalog = new CatalogEndpoint({ store, raft, clock, config: { datacenter: 'dc1', ...queryConfig } });
  // The timers are a leader job: a Leadership step following the fake Raft starts and stops them.
  const ttl = new SessionTtlTimers({ store, raft, clock, logger: new SilentLogger(), retryBaseMs: 100 });
  const leadership = new Leadership({ source: raft, logger: new SilentLogger() });
  leadership.register(ttl);
  const timers = { start: () => leadership.start(), stop: () => void leadership.stop(), armed: () => ttl.armed() };
  return { store, raft, clock, sessions, kv, catalog, timers };
}

async function withAgentNode(s = setup()) {
  await s.catalog.register({ Node: 'agent-1', Address: '127.0.0.1', Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' } } as never);
  return s;
}

async function rejection(p: Promise<unknown>): Promise<SextantError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SextantError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const lock = (key: string, session: string, value = 'v') => ({ verb: 'lock' as const, key, value: new TextEncoder().encode(value), flags: '0', session });

describe('SessionEndpoint create: Consul defaults, parsing and texts', () => {
  it('fills the defaults: this node, ["serfHealth"], 15 s lock-delay, release, no TTL', async () => {
    const { sessions } = await withAgentNode();
    const id = await sessions.create({});
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [s] = (await sessions.info(id, now)).value;
    expect(s).toEqual({
      ID: id, Name: '', Node: 'agent-1', LockDelay: 15_000_000_000, Behavior: 'release', TTL: '',
      NodeChecks: ['serfHealth'], ServiceChecks: null, CreateIndex: 2, ModifyIndex: 2,
    });
  });

  it('an explicit NodeChecks or Checks, even empty, replaces the default', async () => {
    const { sessions, store } = await withAgentNode();
    const a = await sessions.create({ NodeChecks: [] });
    const b = await sessions.create({ Checks: [] });
    const c = await sessions.create({ Checks: ['serfHealth'] });
    expect(store.sessions.get(a)?.view.NodeChecks).toEqual([]);
    expect(store.sessions.get(b)?.view.NodeChecks).toEqual([]);
    expect(store.sessions.get(c)?.view).toMatchObject({ NodeChecks: ['serfHealth'] });
    expect(store.sessions.get(c)?.view.Checks).toBeUndefined();
  });

  it('LockDelay: duration strings, numbers in ns, values under 1000 as seconds, sub-second strings', async () => {
    const { sessions, store } = await withAgentNode();
    const delay = async (v: SessionCreateRequest['LockDelay']) => store.sessions.get(await sessions.create({ LockDelay: v }))!.view.LockDelay;
    expect(await delay('1s')).toBe(1e9);
    expect(await delay('0.001s')).toBe(1e6);
    expect(await delay(15)).toBe(15e9);
    expect(await delay(2_500_000_000)).toBe(2.5e9);
    expect(await delay('90s')).toBe(90e9); // shown as given; 60 s is the most applied
    expect(await delay(0)).toBe(0);
    const e = await rejection(sessions.create({ LockDelay: 'soon' }));
    expect([e.code, e.message]).toEqual([ErrorCode.BadRequest, 'Request decode failed: time: invalid duration "soon"']);
  });

  it('TTL: 10 s to 24 h, fractional strings accepted, Consul texts otherwise; Behavior checked', async () => {
    const { sessions, store } = await withAgentNode();
    const id = await sessions.create({ TTL: '15.0s', Behavior: 'delete', Name: 'svc-leader' });
    expect(store.sessions.get(id)).toMatchObject({ ttlMs: 15_000, view: { TTL: '15.0s', Behavior: 'delete', Name: 'svc-leader' } });
    expect(store.sessions.get(await sessions.create({ TTL: '24h' }))?.ttlMs).toBe(86_400_000);
    const texts = async (req: SessionCreateRequest) => {
      const e = await rejection(sessions.create(req));
      return `${e.code}: ${e.message}`;
    };
    expect(await texts({ TTL: '5s' })).toBe("SESSION_REJECTED: Invalid Session TTL '5000000000', must be between [10s=24h0m0s]");
    expect(await texts({ TTL: '25h' })).toBe("SESSION_REJECTED: Invalid Session TTL '90000000000000', must be between [10s=24h0m0s]");
    expect(await texts({ TTL: 'abc' })).toBe('SESSION_REJECTED: Session TTL \'abc\' invalid: time: invalid duration "abc"');
    expect(await texts({ Behavior: 'keep' })).toBe("SESSION_REJECTED: Invalid Behavior setting 'keep'");
    expect(await texts({ Node: '' })).toBe('SESSION_REJECTED: Must provide Node');
    expect(await texts({ Node: 'ghost' })).toBe('SESSION_REJECTED: Missing node registration');
    expect(await texts({ NodeChecks: ['nope'] })).toBe("SESSION_REJECTED: Missing check 'nope' registration");
    expect(store.sessions.size()).toBe(2);
  });

  it('is refused for a critical check', async () => {
    const s = await withAgentNode();
    await s.catalog.register({ Node: 'agent-1', Address: '127.0.0.1', Check: { CheckID: 'serfHealth', Name: 'Serf', Status: 'critical' } } as never);
    const e = await rejection(s.sessions.create({}));
    expect(e.message).toBe("Check 'serfHealth' is in critical state");
  });
});

describe('SessionEndpoint reads, renew, destroy', () => {
  it('info/node/list answer arrays ([] when empty) with the sessions index, and block per session/node/table', async () => {
    const { sessions } = await withAgentNode();
    expect(await sessions.list(now)).toMatchObject({ value: [], meta: { index: 1 } });
    const id = await sessions.create({ Name: 'a' });
    const other = await sessions.create({ Name: 'b' });
    expect((await sessions.node('AGENT-1', now)).value.map((s) => s.Name).sort()).toEqual(['a', 'b']);
    expect((await sessions.node('elsewhere', now)).value).toEqual([]);
    const info = await sessions.info(id, now);
    let woke = false;
    const blocked = sessions.info(id, { minIndex: info.meta.index, waitMs: 60_000, consistency: 'default' }).then((r) => {
      woke = true;
      return r;
    });
    await settle();
    await sessions.destroy(other); // another session: index moves but this watcher stays parked
    await settle();
    expect(woke).toBe(false);
    await sessions.destroy(id);
    const r = await blocked;
    expect(r.value).toEqual([]);
    expect(r.meta.index).toBe(5);
  });

  it('renew answers the session, or null when unknown; malformed IDs are errors', async () => {
    const { sessions } = await withAgentNode();
    const id = await sessions.create({ TTL: '10s' });
    expect((await sessions.renew(id))?.ID).toBe(id);
    const plain = await sessions.create({});
    expect((await sessions.renew(plain))?.ID).toBe(plain);
    expect(await sessions.renew('6c6a8b3e-0000-4000-8000-000000000000')).toBeNull();
    expect((await rejection(sessions.renew('nope'))).message).toBe('failed session lookup: UUID must be 36 characters');
    expect((await rejection(sessions.destroy(''))).message).toBe('Missing session');
    expect(await sessions.destroy('6c6a8b3e-0000-4000-8000-000000000000')).toBe(true);
  });

  it('ids of 36 characters that are not UUIDs: memdb-valid ones find nothing, the rest are memdb\'s lookup errors', async () => {
    const { sessions } = await withAgentNode();
    await sessions.create({});
    const hexOnly = '1'.repeat(36); // python-consul's "unknown session": 18 hex bytes, a valid memdb lookup
    const movedHyphens = '6c6a8b3e0000-4000-8000-0000000000-00';
    for (const id of [hexOnly, movedHyphens]) {
      expect((await sessions.info(id, now)).value).toEqual([]);
      expect(await sessions.renew(id)).toBeNull();
      expect(await sessions.destroy(id)).toBe(true);
    }
    const messages = async (id: string): Promise<string[]> =>
      Promise.all([sessions.info(id, now), sessions.renew(id), sessions.destroy(id)].map(async (p) => (await rejection(p)).message));
    expect(await messages('x'.repeat(36))).toEqual(Array(3).fill("failed session lookup: Invalid UUID: encoding/hex: invalid byte: U+0078 'x'"));
    expect(await messages('a-b-c-d-e-' + 'a'.repeat(26))).toEqual(Array(3).fill('failed session lookup: UUID should have maximum of 4 "-"; got 5'));
    expect(await messages('a-' + 'a'.repeat(34))).toEqual(Array(3).fill('failed session lookup: Input (without hyphens) must be even length'));
    expect(await messages('a'.repeat(35))).toEqual(Array(3).fill('failed session lookup: UUID must be 36 characters'));
  });

  it('coalesces renews that arrive while one is in flight into one command', async () => {
    const { sessions, raft } = await withAgentNode();
    const ids = await Promise.all([1, 2, 3, 4].map(() => sessions.create({ TTL: '10s' })));
    const before = raft.proposals;
    const results = await Promise.all([...ids, ids[0]!].map((id) => sessions.renew(id)));
    expect(results.map((s) => s?.ID)).toEqual([...ids, ids[0]]);
    expect(raft.proposals - before).toBe(2); // the first alone, the other four together
  });
});

describe('KV acquire / release through the endpoint (lock-delay on the leader clock)', () => {
  it('refuses an acquire during the lock-delay and allows it after; an unknown session is INVALID_SESSION', async () => {
    const { sessions, kv, clock, store } = await withAgentNode();
    const a = await sessions.create({ LockDelay: '2s' });
    const b = await sessions.create({});
    expect(await kv.apply(lock('svc/leader', a, 'node-a'))).toBe(true);
    expect(await kv.apply(lock('svc/leader', b, 'node-b'))).toBe(false);
    await sessions.destroy(a);
    expect(store.kv.get('svc/leader').value).toMatchObject({ session: '', lockIndex: 1 });
    clock.advance(1999);
    expect(await kv.apply(lock('svc/leader', b, 'node-b'))).toBe(false);
    clock.advance(1);
    expect(await kv.apply(lock('svc/leader', b, 'node-b'))).toBe(true);
    expect(store.kv.get('svc/leader').value).toMatchObject({ session: b, lockIndex: 2 });
    const e = await rejection(kv.apply(lock('k', '6c6a8b3e-0000-4000-8000-000000000000')));
    expect([e.code, e.message]).toEqual([ErrorCode.InvalidSession, 'invalid session "6c6a8b3e-0000-4000-8000-000000000000"']);
    expect((await rejection(kv.apply(lock('k', '')))).message).toBe('missing session');
    expect(await kv.apply({ verb: 'unlock', key: 'svc/leader', value: new Uint8Array(), flags: '0', session: a })).toBe(false);
    expect(await kv.apply({ verb: 'unlock', key: 'svc/leader', value: new Uint8Array(), flags: '0', session: b })).toBe(true);
  });

  it('a check turning critical through the catalog invalidates the session, lock-delay from the leader clock', async () => {
    const s = await withAgentNode();
    const id = await s.sessions.create({ LockDelay: '1s' });
    await s.kv.apply(lock('k', id));
    s.clock.advance(10_000);
    await s.catalog.register({ Node: 'agent-1', Address: '127.0.0.1', Check: { CheckID: 'serfHealth', Name: 'Serf', Status: 'critical' } } as never);
    expect(s.store.sessions.size()).toBe(0);
    expect(s.store.kv.lockDelayUntil('k')).toBe(s.clock.now() + 1000);
  });
});

describe('SessionTtlTimers: the leader expires TTL sessions through Raft', () => {
  it('invalidates after TTL × 2 without a renew, a renew pushes the deadline, keys are released', async () => {
    const s = await withAgentNode();
    s.timers.start();
    const id = await s.sessions.create({ TTL: '10s', LockDelay: '0s' });
    await s.kv.apply(lock('k', id));
    expect(s.timers.armed()).toBe(1);
    s.clock.advance(15_000);
    await s.sessions.renew(id); // deadline: 15 s + 20 s
    s.clock.advance(5000); // t = 20 s: the first deadline passed unnoticed
    await settle();
    expect(s.store.sessions.get(id)).toBeDefined();
    s.clock.advance(14_999); // t = 34.999 s: still before 35 s
    await settle();
    expect(s.store.sessions.get(id)).toBeDefined();
    s.clock.advance(1);
    await settle();
    expect(s.store.sessions.get(id)).toBeUndefined();
    expect(s.store.kv.get('k').value).toMatchObject({ session: '', lockIndex: 1 });
    expect(s.timers.armed()).toBe(0);
    s.timers.stop();
  });

  it('arms only while leading; a new leader restarts every timer at the full TTL × 2 (Consul\'s initializeSessionTimers)', async () => {
    const s = await withAgentNode();
    s.raft.setLeader(false);
    s.timers.start();
    s.raft.setLeader(true);
    const id = await s.sessions.create({ TTL: '10s' });
    s.raft.setLeader(false);
    expect(s.timers.armed()).toBe(0);
    s.clock.advance(30_000);
    expect(s.store.sessions.get(id)).toBeDefined(); // nobody expires it without a leader
    s.raft.setLeader(true); // the replicated deadline (20 s) passed, but the new leader gives it 20 s from now
    expect(s.timers.armed()).toBe(1);
    s.clock.advance(0);
    await settle();
    expect(s.store.sessions.get(id)).toBeDefined();
    s.clock.advance(19_999);
    await settle();
    expect(s.store.sessions.get(id)).toBeDefined();
    s.clock.advance(1);
    await settle();
    expect(s.store.sessions.get(id)).toBeUndefined();
    s.timers.stop();
  });

  it('a restart keeps the replicated deadline and restarts the timer at the full TTL × 2 (or the later deadline)', async () => {
    const clock = new ManualClock();
    const first = await withAgentNode(setup({ clock }));
    first.timers.start();
    const id = await first.sessions.create({ TTL: '10s' });
    clock.advance(4000);
    await first.sessions.renew(id); // deadline: t0 + 24 s
    clock.advance(6000); // the server goes down at t0 + 10 s…
    first.timers.stop();
    clock.advance(5000); // …and comes back at t0 + 15 s, replaying its log
    const second = setup({ clock });
    for (const data of first.raft.log) await second.raft.propose(data);
    second.timers.start();
    expect(second.store.sessions.get(id)?.expiresAt).toBe(clock.now() + 9000);
    clock.advance(9000); // the replicated deadline passes: the restarted timer runs on
    await settle();
    expect(second.store.sessions.get(id)).toBeDefined();
    clock.advance(10_999); // 20 s − 1 ms after the restart
    await settle();
    expect(second.store.sessions.get(id)).toBeDefined();
    clock.advance(1);
    await settle();
    expect(second.store.sessions.get(id)).toBeUndefined();
    second.timers.stop();
  });

  it('retries a failed expire with backoff', async () => {
    const s = await withAgentNode();
    s.timers.start();
    const id = await s.sessions.create({ TTL: '10s' });
    const realPropose = s.raft.propose.bind(s.raft);
    let failures = 2;
    s.raft.propose = async (data) => {
      if (failures > 0) {
        failures--;
        throw new SextantError(ErrorCode.Timeout, 'slow disk');
      }
      return realPropose(data);
    };
    s.clock.advance(20_000);
    await settle();
    expect(s.store.sessions.get(id)).toBeDefined();
    s.clock.advance(100); // first retry (fails again)
    await settle();
    s.clock.advance(200); // second retry succeeds
    await settle();
    expect(s.store.sessions.get(id)).toBeUndefined();
    s.timers.stop();
    expect(s.clock.pending()).toBe(0);
  });
});
