import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError, isSextantError } from '../../../contracts/errors.js';
import type { QueryMeta, QueryOptions } from '../../../contracts/model/query.js';
import type { StreamTransport } from '../../../contracts/ports/transport.js';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { MethodTable } from '../../../src/rpc/method-table.js';
import { RpcRouter } from '../../../src/rpc/rpc-router.js';
import { ServerPool } from '../../../src/rpc/server-pool.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

/** A stream network where each address can be up, refusing connections (unsent) or dropping them mid-request (sent). */
class Net {
  readonly handlers = new Map<string, (from: string, frame: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>>();
  readonly sent: string[] = [];
  readonly refusing = new Set<string>();
  readonly dropping = new Set<string>();

  at(addr: string): Pick<StreamTransport, 'handle' | 'request'> {
    return {
      handle: (_p, h) => {
        this.handlers.set(addr, h.onRequest!);
        return () => this.handlers.delete(addr);
      },
      request: async (to, _p, frame, opts) => {
        this.sent.push(to);
        await Promise.resolve();
        if (this.refusing.has(to) || !this.handlers.has(to)) throw new SextantError(ErrorCode.TransportFailed, `cannot connect to ${to}`, { unsent: true });
        const reply = await this.handlers.get(to)!(addr, frame, opts.signal ?? new AbortController().signal);
        if (this.dropping.has(to)) throw new SextantError(ErrorCode.TransportFailed, `connection to ${to} closed`);
        return reply;
      },
    };
  }
}

class Leadership {
  private peer: RaftPeer | undefined;
  private readonly listeners = new Set<() => void>();
  constructor(private readonly self: string) {}
  set(p: RaftPeer | undefined): void {
    this.peer = p;
    for (const fn of [...this.listeners]) fn();
  }
  isLeader(): boolean {
    return this.peer?.address === this.self;
  }
  leader(): RaftPeer | undefined {
    return this.peer;
  }
  onLeaderChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

interface Srv {
  addr: string;
  router: RpcRouter;
  raft: Leadership;
  /** What this server's reads report as X-Consul-LastContact. */
  lastContactMs: number;
  /** When set, the next local default read fails with it (a deposed leader's barrier). */
  barrierError?: SextantError;
}

function server(net: Net, addr: string, clock: ManualClock, log: string[]): Srv {
  const table = new MethodTable();
  const srv: Srv = { addr, router: undefined as unknown as RpcRouter, raft: new Leadership(addr), lastContactMs: 0 };
  const meta = (): QueryMeta => ({ index: 3, knownLeader: srv.raft.leader() !== undefined, lastContactMs: srv.lastContactMs });
  table.register('KVS.Apply', 'write', async () => {
    log.push(`${addr} write @${clock.now()}`);
    return true;
  });
  const read = async (what: string, ctx: QueryOptions) => {
    if (ctx.consistency !== 'stale' && srv.barrierError) {
      const e = srv.barrierError;
      srv.barrierError = undefined;
      srv.raft.set(undefined); // deposed: no leader known for now
      throw e;
    }
    log.push(`${addr} ${what} ${ctx.consistency} @${clock.now()}`);
    return { value: [], meta: meta() };
  };
  table.register('KVS.List', 'read', (_a, ctx) => read('kv', ctx));
  table.register('Catalog.ListNodes', 'read', (_a, ctx) => read('nodes', ctx));
  table.register('Health.ServiceNodes', 'read', (_a, ctx) => read('health', ctx));
  srv.router = new RpcRouter({ role: { kind: 'server', table, raft: srv.raft, ownAddress: () => addr }, datacenter: () => 'dc1', streams: net.at(addr), clock, logger: new SilentLogger(), random: new SeededRandom(3) });
  srv.router.listen();
  return srv;
}

async function settle<T>(clock: ManualClock, p: Promise<T>, stepMs = 10): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then((value) => (out = { ok: true, value }), (error: unknown) => (out = { ok: false, error }));
  for (let i = 0; i < 5000 && out === undefined; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(stepMs);
  }
  if (!out) throw new Error('did not settle');
  return out;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

const opts = (consistency: QueryOptions['consistency'], extra: Partial<QueryOptions> = {}): QueryOptions => ({ minIndex: 0, waitMs: 0, consistency, ...extra });
const peer = (s: Srv): RaftPeer => ({ id: s.addr, address: s.addr, voter: true });
const set = { op: { verb: 'set' as const, key: 'k', value: new Uint8Array(), flags: '0' } };

describe('RpcRouter: consistency modes across servers', () => {
  it('a held request goes to the new leader at the moment it is elected (a leader-change event, not a poll)', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const log: string[] = [];
    const a = server(net, 'a:8300', clock, log);
    const b = server(net, 'b:8300', clock, log);
    const pending = b.router.call('KVS.Apply', set);
    for (let i = 0; i < 37; i++) {
      await flush();
      clock.advance(37); // odd steps: a 50 ms poll would land elsewhere
    }
    expect(log).toEqual([]);
    const electedAt = clock.now();
    a.raft.set(peer(a));
    b.raft.set(peer(a));
    await flush(); // no clock movement
    expect(await pending).toBe(true);
    expect(log).toEqual([`a:8300 write @${electedAt}`]);
  });

  it('a read on a leader deposed while answering (its barrier fails) is forwarded to the next leader', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const log: string[] = [];
    const a = server(net, 'a:8300', clock, log);
    const b = server(net, 'b:8300', clock, log);
    a.raft.set(peer(a));
    b.raft.set(peer(a));
    a.barrierError = new SextantError(ErrorCode.LeadershipLost, 'leadership lost before the read was confirmed');
    const read = a.router.call('KVS.List', { prefix: '' }, opts('default'));
    await flush();
    a.raft.set(peer(b)); // a learns the new leader
    b.raft.set(peer(b));
    expect((await settle(clock, read)).ok).toBe(true);
    expect(log).toEqual([expect.stringMatching(/^b:8300 kv default/)]);
  });

  it('?stale on a follower answers there with its LastContact; ?max_stale shorter than it re-does a catalog/health read on the leader (Effective-Consistency leader), not a KV read', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const log: string[] = [];
    const a = server(net, 'a:8300', clock, log);
    const b = server(net, 'b:8300', clock, log);
    a.raft.set(peer(a));
    b.raft.set(peer(a));
    b.lastContactMs = 4_000;
    const fresh = (await settle(clock, b.router.call('Catalog.ListNodes', { f: {} }, opts('stale', { maxStaleMs: 5_000 })))) as { ok: true; value: { meta: QueryMeta } };
    expect(fresh.value.meta).toEqual({ index: 3, knownLeader: true, lastContactMs: 4_000 });
    const redone = (await settle(clock, b.router.call('Catalog.ListNodes', { f: {} }, opts('stale', { maxStaleMs: 1_000 })))) as { ok: true; value: { meta: QueryMeta } };
    expect(redone.value.meta).toEqual({ index: 3, knownLeader: true, lastContactMs: 0, consistency: 'default' });
    await settle(clock, b.router.call('Health.ServiceNodes', { service: 'web', tags: [], passingOnly: false, f: {} }, opts('stale', { maxStaleMs: 1_000 })));
    const kv = (await settle(clock, b.router.call('KVS.List', { prefix: '' }, opts('stale', { maxStaleMs: 1_000 })))) as { ok: true; value: { meta: QueryMeta } };
    expect(kv.value.meta.lastContactMs).toBe(4_000);
    expect(log.map((l) => l.replace(/ @\d+$/, ''))).toEqual([
      'b:8300 nodes stale',
      'b:8300 nodes stale',
      'a:8300 nodes default',
      'b:8300 health stale',
      'a:8300 health default',
      'b:8300 kv stale',
    ]);
  });

  it('a ?max_stale re-do with no leader answers No cluster leader after rpc_hold_timeout, as Consul', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const b = server(net, 'b:8300', clock, []);
    b.lastContactMs = 3_000;
    const t0 = clock.now();
    const o = await settle(clock, b.router.call('Catalog.ListNodes', { f: {} }, opts('stale', { maxStaleMs: 1_000 })));
    expect(o.ok).toBe(false);
    expect(((o as { error: Error }).error).message).toBe('No cluster leader');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(7_000);
  });

  it('a follower forwarding to a leader that died (connection refused) waits for the next leader and sends it there, within rpc_hold_timeout', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const log: string[] = [];
    const a = server(net, 'a:8300', clock, log);
    const b = server(net, 'b:8300', clock, log);
    const c = server(net, 'c:8300', clock, log);
    for (const s of [a, b, c]) s.raft.set(peer(a));
    net.refusing.add('a:8300');
    const w = b.router.call('KVS.Apply', set);
    const r = b.router.call('KVS.List', { prefix: '' }, opts('consistent'));
    for (let i = 0; i < 150; i++) {
      await flush();
      clock.advance(10);
    }
    expect(log).toEqual([]);
    for (const s of [b, c]) s.raft.set(peer(c));
    expect((await settle(clock, w)).ok).toBe(true);
    expect((await settle(clock, r)).ok).toBe(true);
    expect(log.map((l) => l.replace(/ @\d+$/, '')).sort()).toEqual(['c:8300 kv consistent', 'c:8300 write']);
  });
});

describe('RpcRouter on a client: Consul client.RPC retries', () => {
  function client(net: Net, clock: ManualClock, servers: string[]) {
    const pool = new ServerPool(() => servers, new SeededRandom(5));
    const router = new RpcRouter({ role: { kind: 'client', servers: pool }, datacenter: () => 'dc1', streams: net.at('client:1'), clock, logger: new SilentLogger(), random: new SeededRandom(6) });
    return { pool, router };
  }

  it('a server that refuses the connection goes to the back of the pool and the request (even a write) goes to the next one', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const log: string[] = [];
    const srvs = ['a:8300', 'b:8300', 'c:8300'].map((x) => server(net, x, clock, log));
    const { pool, router } = client(net, clock, srvs.map((s) => s.addr));
    const first = pool.find()!;
    const leader = srvs.find((s) => s.addr !== first)!;
    for (const s of srvs) s.raft.set(peer(leader));
    net.refusing.add(first);
    expect((await settle(clock, router.call('KVS.Apply', set))).ok).toBe(true);
    expect(pool.servers()[pool.servers().length - 1]).toBe(first);
    expect(log.filter((l) => l.includes('write'))).toHaveLength(1);
  });

  it('a write whose connection broke after it was sent is not retried (its outcome is unknown); a read is', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const log: string[] = [];
    const a = server(net, 'a:8300', clock, log);
    const b = server(net, 'b:8300', clock, log);
    for (const s of [a, b]) s.raft.set(peer(a));
    const { pool, router } = client(net, clock, ['a:8300', 'b:8300']);
    const first = pool.find()!;
    net.dropping.add(first);
    const w = await settle(clock, router.call('KVS.Apply', set));
    expect(w.ok).toBe(false);
    expect(isSextantError((w as { error: unknown }).error, ErrorCode.TransportFailed)).toBe(true);
    expect(pool.find()).not.toBe(first); // moved to the back
    net.dropping.clear();
    net.dropping.add(pool.find()!);
    const r = await settle(clock, router.call('KVS.List', { prefix: '' }, opts('default')));
    expect(r.ok).toBe(true);
  });

  it('a request answered No cluster leader by a server is retried until a leader is elected, within rpc_hold_timeout', async () => {
    const clock = new ManualClock();
    const net = new Net();
    const log: string[] = [];
    const a = server(net, 'a:8300', clock, log);
    const b = server(net, 'b:8300', clock, log);
    const { router } = client(net, clock, ['a:8300', 'b:8300']);
    const w = router.call('KVS.Apply', set);
    const t0 = clock.now();
    for (let i = 0; i < 300; i++) {
      await flush();
      clock.advance(10);
    }
    expect(log).toEqual([]);
    a.raft.set(peer(b));
    b.raft.set(peer(b));
    expect((await settle(clock, w)).ok).toBe(true);
    expect(clock.now() - t0).toBeLessThan(7_000);
    expect(log.map((l) => l.replace(/ @\d+$/, ''))).toEqual(['b:8300 write']);
  });
});
