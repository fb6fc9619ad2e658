import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError, isSextantError } from '../../../contracts/errors.js';
import type { QueryOptions } from '../../../contracts/model/query.js';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { MethodTable } from '../../../src/rpc/method-table.js';
import { RpcRouter } from '../../../src/rpc/rpc-router.js';
import type { StreamTransport } from '../../../contracts/ports/transport.js';
import { ServerPool } from '../../../src/rpc/server-pool.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

/** A loopback stream network: requests go to the handler registered at the address, on a later turn. */
class Loopback {
  readonly handlers = new Map<string, (from: string, frame: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>>();
  readonly sent: string[] = [];
  down = new Set<string>();

  at(addr: string): Pick<StreamTransport, 'handle' | 'request'> {
    return {
      handle: (_protocol, h) => {
        this.handlers.set(addr, h.onRequest!);
        return () => this.handlers.delete(addr);
      },
      request: async (to, _protocol, frame, opts) => {
        this.sent.push(to);
        await Promise.resolve();
        const h = this.handlers.get(to);
        if (!h || this.down.has(to)) throw new SextantError(ErrorCode.TransportFailed, `connection to ${to} refused`);
        return h(addr, frame, opts.signal ?? new AbortController().signal);
      },
    };
  }
}

class FakeLeadership {
  private peer: RaftPeer | undefined;
  private readonly listeners = new Set<() => void>();
  constructor(private readonly self: string) {}
  get leaderPeer(): RaftPeer | undefined {
    return this.peer;
  }
  set leaderPeer(p: RaftPeer | undefined) {
    this.peer = p;
    for (const fn of [...this.listeners]) fn();
  }
  onLeaderChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  isLeader(): boolean {
    return this.leaderPeer?.address === this.self;
  }
  leader(): RaftPeer | undefined {
    return this.leaderPeer;
  }
}

const read = (consistency: QueryOptions['consistency'], datacenter?: string): QueryOptions => ({ minIndex: 0, waitMs: 0, consistency, ...(datacenter !== undefined ? { datacenter } : {}) });
const meta = { index: 7, knownLeader: true, lastContactMs: 0 };

function server(net: Loopback, addr: string, clock: ManualClock, answered: string[]) {
  const table = new MethodTable();
  const frozen = Object.freeze({ value: Object.freeze([{ key: 'k' }]), meta });
  table.register('KVS.Apply', 'write', async (a) => {
    const key = 'key' in a.op ? a.op.key : a.op.prefix;
    answered.push(`${addr} KVS.Apply ${key}`);
    if (key === 'bad') throw new SextantError(ErrorCode.BadRequest, 'Invalid key "bad"');
    return true;
  });
  table.register('KVS.List', 'read', async (_a, ctx) => {
    answered.push(`${addr} KVS.List ${ctx.consistency}`);
    return frozen as never;
  });
  table.register('Status.Leader', 'any', async () => {
    answered.push(`${addr} Status.Leader`);
    return addr;
  });
  const raft = new FakeLeadership(addr);
  const router = new RpcRouter({ role: { kind: 'server', table, raft, ownAddress: () => addr }, datacenter: () => 'dc1', streams: net.at(addr), clock, logger: new SilentLogger() });
  router.listen();
  return { router, raft, frozen };
}

/** Lets timers and microtasks run until `p` settles (the manual clock moves 10 ms per step). */
async function settle<T>(clock: ManualClock, p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then((value) => (out = { ok: true, value }), (error: unknown) => (out = { ok: false, error }));
  for (let i = 0; i < 2000 && out === undefined; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(10);
  }
  if (!out) throw new Error('did not settle');
  return out;
}

describe('RpcRouter: the forward step', () => {
  it('refuses another datacenter for every kind of method (compared exactly, as Consul routes)', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const a = server(new Loopback(), 'a:8300', clock, answered);
    a.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    for (const call of [
      () => a.router.call('KVS.Apply', { op: { verb: 'set', key: 'k', value: new Uint8Array(), flags: '0' } }, { datacenter: 'dc2' }),
      () => a.router.call('KVS.List', { prefix: '' }, read('stale', 'dc2')),
      () => a.router.call('Status.Leader', {}, { datacenter: 'DC2' }),
    ]) {
      const o = await settle<unknown>(clock, call());
      expect(o.ok).toBe(false);
      expect(isSextantError((o as { error: unknown }).error, ErrorCode.NoPathToDatacenter)).toBe(true);
      expect(((o as { error: Error }).error).message).toBe('No path to datacenter');
    }
    expect(answered).toEqual([]);
    expect((await settle(clock, a.router.call('Status.Leader', {}, { datacenter: 'dc1' }))).ok).toBe(true);
    expect((await settle(clock, a.router.call('Status.Leader', {}, { datacenter: 'DC1' }))).ok).toBe(false);
  });

  it('answers in-process on the leader, handing back the endpoint result itself (no copy)', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const net = new Loopback();
    const a = server(net, 'a:8300', clock, answered);
    a.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    const res = await a.router.call('KVS.List', { prefix: '' }, read('default'));
    expect(res).toBe(a.frozen);
    expect(await a.router.call('KVS.Apply', { op: { verb: 'set', key: 'k', value: new Uint8Array(), flags: '0' } })).toBe(true);
    expect(net.sent).toEqual([]);
  });

  it('on a follower: forwards writes and default/consistent reads to the leader, answers stale reads and Status itself', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const net = new Loopback();
    const a = server(net, 'a:8300', clock, answered);
    const b = server(net, 'b:8300', clock, answered);
    const lead = { id: 'a', address: 'a:8300', voter: true };
    a.raft.leaderPeer = lead;
    b.raft.leaderPeer = lead;
    const set = { op: { verb: 'set' as const, key: 'k', value: new Uint8Array([1, 2]), flags: '0' } };
    expect(await settle(clock, b.router.call('KVS.Apply', set))).toEqual({ ok: true, value: true });
    const fwd = await settle(clock, b.router.call('KVS.List', { prefix: '' }, read('consistent')));
    expect(fwd).toEqual({ ok: true, value: { value: [{ key: 'k' }], meta } });
    expect(await settle(clock, b.router.call('KVS.List', { prefix: '' }, read('stale')))).toEqual({ ok: true, value: b.frozen });
    expect(await settle(clock, b.router.call('Status.Leader', {}))).toEqual({ ok: true, value: 'b:8300' });
    expect(answered).toEqual(['a:8300 KVS.Apply k', 'a:8300 KVS.List consistent', 'b:8300 KVS.List stale', 'b:8300 Status.Leader']);
  });

  it('carries an endpoint error across the wire with its code and text', async () => {
    const clock = new ManualClock();
    const net = new Loopback();
    const a = server(net, 'a:8300', clock, []);
    const b = server(net, 'b:8300', clock, []);
    a.raft.leaderPeer = b.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    const o = await settle(clock, b.router.call('KVS.Apply', { op: { verb: 'set', key: 'bad', value: new Uint8Array(), flags: '0' } }));
    expect(o.ok).toBe(false);
    const e = (o as { error: unknown }).error;
    expect(isSextantError(e, ErrorCode.BadRequest)).toBe(true);
    expect((e as Error).message).toBe('Invalid key "bad"');
  });

  it('holds a write while no leader is known (rpc_hold_timeout), forwarding it once one is elected', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const net = new Loopback();
    const a = server(net, 'a:8300', clock, answered);
    const b = server(net, 'b:8300', clock, answered);
    const pending = b.router.call('KVS.Apply', { op: { verb: 'set', key: 'late', value: new Uint8Array(), flags: '0' } });
    let done = false;
    void pending.then(() => (done = true));
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(10);
    }
    expect(done).toBe(false); // 1 s in, still held
    a.raft.leaderPeer = b.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    expect(await settle(clock, pending)).toEqual({ ok: true, value: true });
    expect(answered).toEqual(['a:8300 KVS.Apply late']);
  });

  it('answers No cluster leader after rpc_hold_timeout (7 s) without a leader; a stale read still works', async () => {
    const clock = new ManualClock();
    const b = server(new Loopback(), 'b:8300', clock, []);
    const t0 = clock.now();
    const o = await settle(clock, b.router.call('KVS.List', { prefix: '' }, read('default')));
    expect(o.ok).toBe(false);
    expect(isSextantError((o as { error: unknown }).error, ErrorCode.NoLeader)).toBe(true);
    expect(((o as { error: Error }).error).message).toBe('No cluster leader');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(7_000);
    expect(clock.now() - t0).toBeLessThan(7_200);
    expect((await settle(clock, b.router.call('KVS.List', { prefix: '' }, read('stale')))).ok).toBe(true);
  });

  it('on a client: every call goes to a server of the pool; an unreachable one is skipped', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const net = new Loopback();
    const a = server(net, 'a:8300', clock, answered);
    a.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    const client = new RpcRouter({
      role: { kind: 'client', servers: new ServerPool(() => ['dead:8300', 'a:8300'], new SeededRandom(1)) },
      datacenter: () => 'dc1',
      streams: net.at('client:0'),
      clock,
      logger: new SilentLogger(),
    });
    for (let i = 0; i < 3; i++) {
      expect(await settle(clock, client.call('KVS.List', { prefix: '' }, read('stale')))).toEqual({ ok: true, value: { value: [{ key: 'k' }], meta } });
    }
    expect(answered).toEqual(['a:8300 KVS.List stale', 'a:8300 KVS.List stale', 'a:8300 KVS.List stale']);
    // The dead server was tried at most once: the pool prefers the one that answered.
    expect(net.sent.filter((s) => s === 'dead:8300').length).toBeLessThanOrEqual(1);
  });

  it('on a client: a write whose connection breaks is not resent to another server (it may have been applied); a read is', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const net = new Loopback();
    const a = server(net, 'a:8300', clock, answered);
    a.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    // 'dead' fails every request with TRANSPORT_FAILED; the seeded pool tries it first.
    const pool = new ServerPool(() => ['dead:8300', 'a:8300'], new SeededRandom(2));
    expect(pool.find()).toBe('dead:8300');
    const client = new RpcRouter({ role: { kind: 'client', servers: pool }, datacenter: () => 'dc1', streams: net.at('client:0'), clock, logger: new SilentLogger() });
    const w = await settle(clock, client.call('KVS.Apply', { op: { verb: 'cas', key: 'k', value: new Uint8Array(), flags: '0', index: 3 } }));
    expect(w.ok).toBe(false);
    expect(isSextantError((w as { error: unknown }).error, ErrorCode.TransportFailed)).toBe(true);
    expect(answered).toEqual([]);
    // The failed server moved to the back of the pool: the next write goes to one that answers.
    expect(await settle(clock, client.call('KVS.Apply', { op: { verb: 'set', key: 'k2', value: new Uint8Array(), flags: '0' } }))).toEqual({ ok: true, value: true });
    expect(answered).toEqual(['a:8300 KVS.Apply k2']);
    // A read after a failure goes on to the next server.
    const reads = new RpcRouter({
      role: { kind: 'client', servers: new ServerPool(() => ['dead:8300', 'a:8300'], new SeededRandom(2)) },
      datacenter: () => 'dc1',
      streams: net.at('client:1'),
      clock,
      logger: new SilentLogger(),
    });
    expect((await settle(clock, reads.call('KVS.List', { prefix: '' }, read('default')))).ok).toBe(true);
    expect(answered.at(-1)).toBe('a:8300 KVS.List default');
    expect(net.sent.filter((s) => s === 'dead:8300').length).toBeGreaterThanOrEqual(2);
  });

  it('on a client: writes and default/consistent reads go straight to the leader servers name; stale reads stay on the pool server', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const net = new Loopback();
    const leader = { id: 'b', address: 'b:8300', voter: true };
    const a = server(net, 'a:8300', clock, answered);
    const b = server(net, 'b:8300', clock, answered);
    a.raft.leaderPeer = leader;
    b.raft.leaderPeer = leader;
    const pool = new ServerPool(() => ['a:8300', 'b:8300'], new SeededRandom(1));
    const first = pool.find()!;
    const client = new RpcRouter({ role: { kind: 'client', servers: pool }, datacenter: () => 'dc1', streams: net.at('client:0'), clock, logger: new SilentLogger() });
    const put = (key: string) => client.call('KVS.Apply', { op: { verb: 'set', key, value: new Uint8Array(), flags: '0' } });
    // Nothing known yet: the first write goes to the pool's server (forwarded there when it follows).
    expect(await settle(clock, put('k1'))).toEqual({ ok: true, value: true });
    expect(net.sent).toEqual(first === 'b:8300' ? ['b:8300'] : ['a:8300', 'b:8300']);
    // Its reply named the leader: writes and default/consistent reads now go to it directly.
    net.sent.length = 0;
    expect((await settle(clock, put('k2'))).ok).toBe(true);
    expect((await settle(clock, client.call('KVS.List', { prefix: '' }, read('consistent')))).ok).toBe(true);
    expect(net.sent).toEqual(['b:8300', 'b:8300']);
    // A stale read still goes to the pool's first server, whoever leads.
    net.sent.length = 0;
    expect((await settle(clock, client.call('KVS.List', { prefix: '' }, read('stale')))).ok).toBe(true);
    expect(net.sent).toEqual([first]);
    // Leadership moves to a: the old leader forwards the next write and names the new one.
    const next = { id: 'a', address: 'a:8300', voter: true };
    a.raft.leaderPeer = next;
    b.raft.leaderPeer = next;
    net.sent.length = 0;
    answered.length = 0;
    expect((await settle(clock, put('k3'))).ok).toBe(true);
    expect((await settle(clock, put('k4'))).ok).toBe(true);
    expect(answered).toEqual(['a:8300 KVS.Apply k3', 'a:8300 KVS.Apply k4']);
    expect(net.sent).toEqual(['b:8300', 'a:8300', 'a:8300']);
    // A leader that fails is forgotten: the write goes back to the pool's order.
    net.down.add('a:8300');
    net.sent.length = 0;
    const failed = await settle(clock, put('k5'));
    expect(failed.ok).toBe(false);
    expect(net.sent).toEqual(['a:8300']);
    expect(pool.findLeader()).toBe(pool.find());
  });

  it('a server that left the pool (leave_drain_time) refuses requests for the leader at once with No cluster leader; stale reads and Status still answer', async () => {
    const clock = new ManualClock();
    const answered: string[] = [];
    const net = new Loopback();
    const a = server(net, 'a:8300', clock, answered);
    a.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    a.router.startLeaving();
    const w = await settle(clock, a.router.call('KVS.Apply', { op: { verb: 'set', key: 'k', value: new Uint8Array(), flags: '0' } }));
    expect(w.ok).toBe(false);
    expect(isSextantError((w as { error: unknown }).error, ErrorCode.NoLeader)).toBe(true);
    expect((await settle(clock, a.router.call('KVS.List', { prefix: '' }, read('default')))).ok).toBe(false);
    expect((await settle(clock, a.router.call('KVS.List', { prefix: '' }, read('stale')))).ok).toBe(true);
    expect(await settle(clock, a.router.call('Status.Leader', {}))).toEqual({ ok: true, value: 'a:8300' });
    expect(answered).toEqual(['a:8300 KVS.List stale', 'a:8300 Status.Leader']);
  });

  it('on a client without servers: No known Consul servers after the hold timeout', async () => {
    const clock = new ManualClock();
    const client = new RpcRouter({
      role: { kind: 'client', servers: new ServerPool(() => [], new SeededRandom(1)) },
      datacenter: () => 'dc1',
      streams: new Loopback().at('client:0'),
      clock,
      logger: new SilentLogger(),
    });
    const o = await settle(clock, client.call('Status.Leader', {}));
    expect(o.ok).toBe(false);
    expect(isSextantError((o as { error: unknown }).error, ErrorCode.NoServers)).toBe(true);
    expect(((o as { error: Error }).error).message).toBe('No known Consul servers');
  });

  it('refuses a method the server does not have', async () => {
    const clock = new ManualClock();
    const a = server(new Loopback(), 'a:8300', clock, []);
    a.raft.leaderPeer = { id: 'a', address: 'a:8300', voter: true };
    const o = await settle(clock, a.router.call('Session.List' as never, {} as never, read('stale')));
    expect(o.ok).toBe(false);
    expect(((o as { error: Error }).error).message).toBe("rpc: can't find method Session.List");
  });
});
