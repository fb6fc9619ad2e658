import { describe, expect, it } from 'vitest';
import { BootstrapExpect, PEER_RETRY_MS } from '../../../src/kernel/bootstrap-expect.js';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { FakePool, poolMember, serverMemberTags } from '../../support/fake-pool.js';

const ALIVE = 1;

function setup(opts: { expect?: number; hasState?: boolean; peers?: Record<string, string[] | Error> } = {}) {
  const clock = new ManualClock();
  const logger = new SilentLogger();
  const pool = new FakePool();
  const bootstraps: RaftPeer[][] = [];
  const asked: string[] = [];
  let state = opts.hasState ?? false;
  const peers = opts.peers ?? {};
  const b = new BootstrapExpect({
    expect: opts.expect ?? 3,
    datacenter: 'dc1',
    membership: pool,
    hasRaftState: () => state,
    peersOf: async (address) => {
      asked.push(address);
      const p = peers[address];
      if (p instanceof Error) throw p;
      return p ?? [];
    },
    bootstrap: async (servers) => {
      bootstraps.push(servers);
      state = true;
    },
    clock,
    logger,
  });
  const join = (name: string, ip: string, tags: Record<string, string>) => pool.emit({ type: 'join', members: [poolMember(name, ip, ALIVE, tags)] });
  const logs = () => logger.lines.join('\n');
  return { clock, logger, pool, b, bootstraps, asked, join, logs, setState: (v: boolean) => (state = v) };
}

describe('BootstrapExpect (Consul maybeBootstrap)', () => {
  it('waits for the expected number of servers, then bootstraps with all of them (ids from tags, addresses from Addr + port)', async () => {
    const h = setup();
    h.b.start();
    h.join('s1', '127.0.14.1', serverMemberTags('id-1', 4001));
    h.join('s2', '127.0.14.2', serverMemberTags('id-2', 4002));
    h.join('c1', '127.0.14.9', { role: 'node', dc: 'dc1', id: 'id-c' }); // a client does not count
    await h.b.idle();
    expect(h.bootstraps).toEqual([]);
    h.join('s3', '127.0.14.3', serverMemberTags('id-3', 4003));
    await h.b.idle();
    expect(h.bootstraps).toEqual([[
      { id: 'id-1', address: '127.0.14.1:4001', voter: true },
      { id: 'id-2', address: '127.0.14.2:4002', voter: true },
      { id: 'id-3', address: '127.0.14.3:4003', voter: true },
    ]]);
    expect(h.asked.sort()).toEqual(['127.0.14.1:4001', '127.0.14.2:4002', '127.0.14.3:4003']);
    expect(h.logs()).toContain('Found expected number of peers, attempting bootstrap');
    expect(h.b.finished()).toBe(true);
    // Never again, even when more servers show up.
    h.join('s4', '127.0.14.4', serverMemberTags('id-4', 4004));
    await h.b.idle();
    expect(h.bootstraps).toHaveLength(1);
  });

  it('refuses a conflicting expect value with Consul\'s log line and does not bootstrap', async () => {
    const h = setup();
    h.b.start();
    h.join('s1', '127.0.14.1', serverMemberTags('id-1', 4001));
    h.join('s2', '127.0.14.2', serverMemberTags('id-2', 4002, { expect: '5' }));
    h.join('s3', '127.0.14.3', serverMemberTags('id-3', 4003));
    await h.b.idle();
    expect(h.bootstraps).toEqual([]);
    expect(h.logs()).toContain('Member has a conflicting expect value. All nodes should expect the same number.');
  });

  it('ignores servers of another datacenter and servers whose port tag is not known yet', async () => {
    const h = setup();
    h.b.start();
    h.join('s1', '127.0.14.1', serverMemberTags('id-1', 4001));
    h.join('s2', '127.0.14.2', serverMemberTags('id-2', 4002, { dc: 'dc2' }));
    h.join('s3', '127.0.14.3', serverMemberTags('id-3', 0));
    h.join('s4', '127.0.14.4', serverMemberTags('id-4', 4004));
    await h.b.idle();
    expect(h.bootstraps).toEqual([]);
    // s3's bound port arrives with an update event.
    h.pool.emit({ type: 'update', members: [poolMember('s3', '127.0.14.3', ALIVE, serverMemberTags('id-3', 4003))] });
    await h.b.idle();
    expect(h.bootstraps.map((c) => c.map((s) => s.id).sort())).toEqual([['id-1', 'id-3', 'id-4']]);
  });

  it('never bootstraps when this server already has Raft state', async () => {
    const h = setup({ hasState: true });
    h.join('s1', '127.0.14.1', serverMemberTags('id-1', 4001));
    h.join('s2', '127.0.14.2', serverMemberTags('id-2', 4002));
    h.join('s3', '127.0.14.3', serverMemberTags('id-3', 4003));
    h.b.start();
    await h.b.idle();
    expect(h.bootstraps).toEqual([]);
    expect(h.logs()).toContain('Raft data found, disabling bootstrap mode');
    expect(h.b.finished()).toBe(true);
  });

  it('stands down when a peer reports existing Raft peers (a cluster exists: its leader adds us)', async () => {
    const h = setup({ peers: { '127.0.14.2:4002': ['127.0.14.2:4002', '127.0.14.5:4005'] } });
    h.b.start();
    h.join('s1', '127.0.14.1', serverMemberTags('id-1', 4001));
    h.join('s2', '127.0.14.2', serverMemberTags('id-2', 4002));
    h.join('s3', '127.0.14.3', serverMemberTags('id-3', 4003));
    await h.b.idle();
    expect(h.bootstraps).toEqual([]);
    expect(h.logs()).toContain('Existing Raft peers reported by server, disabling bootstrap mode');
    expect(h.b.finished()).toBe(true);
  });

  it('retries a peer that cannot be asked, and bootstraps once it answers', async () => {
    const peers: Record<string, string[] | Error> = { '127.0.14.3:4003': new Error('connection refused') };
    const h = setup({ peers });
    h.b.start();
    h.join('s1', '127.0.14.1', serverMemberTags('id-1', 4001));
    h.join('s2', '127.0.14.2', serverMemberTags('id-2', 4002));
    h.join('s3', '127.0.14.3', serverMemberTags('id-3', 4003));
    await h.b.idle();
    expect(h.bootstraps).toEqual([]);
    expect(h.logs()).toContain('Failed to confirm peer status for server (will retry).');
    delete peers['127.0.14.3:4003'];
    h.clock.advance(PEER_RETRY_MS);
    await h.b.idle();
    expect(h.bootstraps).toHaveLength(1);
  });

  it('refuses when a member is in bootstrap mode', async () => {
    const h = setup();
    h.b.start();
    h.join('s1', '127.0.14.1', serverMemberTags('id-1', 4001, { bootstrap: '1' }));
    h.join('s2', '127.0.14.2', serverMemberTags('id-2', 4002));
    h.join('s3', '127.0.14.3', serverMemberTags('id-3', 4003));
    await h.b.idle();
    expect(h.bootstraps).toEqual([]);
    expect(h.logs()).toContain('Member has bootstrap mode. Expect disabled.');
  });
});
