import { describe, expect, it } from 'vitest';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { startServerLeaderJobs } from '../../../src/kernel/server-leader-jobs.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../../src/rpc/health-endpoint.js';
import { KvEndpoint } from '../../../src/rpc/kv-endpoint.js';
import { SessionEndpoint } from '../../../src/rpc/session-endpoint.js';
import { TOMBSTONE_TTL_MS } from '../../../src/rpc/tombstone-gc.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { FakePool, poolMember, serverMemberTags } from '../../support/fake-pool.js';
import { testConfig } from '../surface-rest/fakes.js';
import { FakeRaft } from '../rpc/fake-raft.js';

/** FakeRaft whose leadership the test moves (as a failover would), telling the listeners. */
class SwitchRaft extends FakeRaft {
  private readonly fns = new Set<(isLeader: boolean) => void>();
  private readonly self: RaftPeer = { id: SELF_ID, address: '127.0.14.1:8300', voter: true };
  setLeader(on: boolean): void {
    this.leaderPeer = on ? this.self : undefined;
    for (const fn of [...this.fns]) fn(on);
  }
  override onLeadershipChange(fn: (isLeader: boolean) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
}

const SELF_ID = '5f0c3c2e-8a6b-4a57-9d43-1b2c3d4e5f60';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function setup() {
  const clock = new ManualClock();
  const store = new StateStore();
  const raft = new SwitchRaft(store);
  raft.setLeader(false);
  const queryTimes = { defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 };
  const random = new SeededRandom(3);
  const catalog = new CatalogEndpoint({ store, raft, clock, config: { datacenter: 'dc1', ...queryTimes } });
  const health = new HealthEndpoint({ store, raft, clock, config: { datacenter: 'dc1', ...queryTimes } });
  const sessions = new SessionEndpoint({ store, raft, clock, random, config: { nodeName: 'node-a', sessionTtlMinMs: 10_000, ...queryTimes } });
  const kv = new KvEndpoint({ store, raft, clock, random, config: { kvMaxValueSize: 512 * 1024, ...queryTimes } });
  const pool = new FakePool();
  pool.list = [poolMember('node-a', '127.0.14.1', 1, serverMemberTags(SELF_ID, 8300))];
  const hooks = createHooks();
  const stops: (() => Promise<void>)[] = [];
  const config = testConfig({ nodeName: 'node-a', nodeId: SELF_ID });
  const logger = new SilentLogger();
  const jobs = startServerLeaderJobs({
    config: () => config, membership: pool, store, raft, catalog, health, hooks, clock, logger,
    onStop: (_what, run) => stops.push(run),
    raftLog: () => ({ lastIndex: store.lastApplied(), lastTerm: 1 }),
    peer: () => ({}),
  });
  return { logger, clock, store, raft, catalog, health, sessions, kv, pool, jobs, stop: () => Promise.all(stops.map((s) => s())) };
}

describe('startServerLeaderJobs: leader duties run only on the leader and start on a new one', () => {
  it('while following nothing is expired, registered or reaped; gaining leadership starts every duty (session timers at full TTL × 2, catalog, tombstone GC)', async () => {
    const h = setup();
    // A session (as replicated from an earlier leader): while following, nobody expires it.
    h.raft.setLeader(true);
    await settle();
    await h.catalog.register({ Node: 'node-a', Address: '127.0.14.1', Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' } } as never);
    const id = await h.sessions.create({ TTL: '10s' });
    h.raft.setLeader(false);
    await settle();
    expect(h.jobs.leadership.isEstablished()).toBe(false);
    h.clock.advance(60_000);
    await settle();
    expect(h.store.sessions.get(id)).toBeDefined();
    // The pool changes while following: the catalog does not follow.
    h.pool.emit({ type: 'join', members: [poolMember('node-b', '127.0.14.2', 1, { role: 'node', dc: 'dc1', id: 'a3c4e2f0-1d2b-4c5d-8e9f-0a1b2c3d4e5f' })] });
    await settle();
    expect((await h.catalog.nodes({}, { minIndex: 0, waitMs: 0, consistency: 'stale' })).value.map((n) => n.Node)).toEqual(['node-a']);

    // Leadership moves here: the catalog follows the pool, the session gets TTL × 2 from now.
    h.raft.setLeader(true);
    await settle();
    expect(h.jobs.leadership.isEstablished()).toBe(true);
    await settle();
    expect((await h.catalog.nodes({}, { minIndex: 0, waitMs: 0, consistency: 'stale' })).value.map((n) => n.Node).sort()).toEqual(['node-a', 'node-b']);
    expect(h.store.autopilot.get()?.settings.cleanupDeadServers).toBe(true); // seeded from the config by this first leader
    h.clock.advance(19_999);
    await settle();
    expect(h.store.sessions.get(id)).toBeDefined();
    h.clock.advance(1);
    await settle();
    expect(h.store.sessions.get(id)).toBeUndefined();

    // Tombstone GC: deletes reaped one TTL later, only while leading.
    await h.kv.apply({ verb: 'set', key: 'gone', value: new Uint8Array([1]), flags: '0' });
    await h.kv.apply({ verb: 'delete', key: 'gone' });
    expect(h.store.kv.tombstoneCount()).toBe(1);
    h.raft.setLeader(false);
    await settle();
    const whileFollowing = h.raft.proposals;
    h.clock.advance(TOMBSTONE_TTL_MS * 2);
    await settle();
    expect(h.raft.proposals).toBe(whileFollowing); // a follower reaps nothing (nor writes anything else)
    expect(h.store.kv.tombstoneCount()).toBe(1);
    h.raft.setLeader(true); // a new leader hints its applied index: reaped one TTL after it took over
    await settle();
    h.clock.advance(TOMBSTONE_TTL_MS - 60_000);
    await settle();
    expect(h.store.kv.tombstoneCount()).toBe(1);
    h.clock.advance(120_000);
    await settle();
    expect(h.store.kv.tombstoneCount()).toBe(0);
    await h.stop();
    expect(h.jobs.leadership.isEstablished()).toBe(false);
  });
});
