import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { AUTOPILOT_PRUNE_INTERVAL_MS, RaftServerReconciler, SERVER_RECONCILE_RETRY_MS } from '../../../src/rpc/raft-server-reconciler.js';
import { AutopilotHealth, DEFAULT_AUTOPILOT_SETTINGS } from '../../../src/rpc/autopilot-health.js';

const MAX_TRAILING_LOGS = DEFAULT_AUTOPILOT_SETTINGS.maxTrailingLogs;
const SERVER_STABILIZATION_MS = DEFAULT_AUTOPILOT_SETTINGS.serverStabilizationTimeMs;
/** The leader's last log index in these tests. */
const LEADER_LAST_INDEX = 1_000;
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { FakePool, poolMember, serverMemberTags } from '../../support/fake-pool.js';

const ALIVE = 1;
const LEFT = 3;
const FAILED = 4;

/** A leader's configuration with hashicorp/raft's single-change rule: one change in flight at a time. */
class ConfigRaft {
  servers: RaftPeer[] = [{ id: 'id-1', address: '127.0.14.1:4001', voter: true }];
  leading = true;
  inFlight = false;
  refuseNext = false;
  calls: string[] = [];
  configuration(): RaftPeer[] {
    return this.servers.map((s) => ({ ...s }));
  }
  isLeader(): boolean {
    return this.leading;
  }
  leader(): RaftPeer | undefined {
    return this.leading ? this.servers.find((s) => s.id === 'id-1') : undefined;
  }
  async addVoter(id: string, address: string): Promise<void> {
    this.check(`addVoter ${id} ${address}`);
    this.servers = [...this.servers.filter((s) => s.id !== id), { id, address, voter: true }];
    this.inFlight = false;
  }
  async addNonvoter(id: string, address: string): Promise<void> {
    this.check(`addNonvoter ${id} ${address}`);
    const voter = this.servers.find((s) => s.id === id)?.voter ?? false;
    this.servers = [...this.servers.filter((s) => s.id !== id), { id, address, voter }];
    this.inFlight = false;
  }
  async removeServer(id: string): Promise<void> {
    this.check(`removeServer ${id}`);
    this.servers = this.servers.filter((s) => s.id !== id);
    this.inFlight = false;
  }
  private check(call: string): void {
    this.calls.push(call);
    if (this.inFlight) throw new Error('two changes at once');
    if (this.refuseNext) {
      this.refuseNext = false;
      throw new SextantError(ErrorCode.BadRequest, 'a configuration change is already in progress');
    }
    this.inFlight = true;
  }
}

function setup(autopilot?: { cleanupDeadServers: boolean; minQuorum: number }) {
  const clock = new ManualClock();
  const logger = new SilentLogger();
  const pool = new FakePool();
  pool.list = [poolMember('s1', '127.0.14.1', ALIVE, serverMemberTags('id-1', 4001))];
  const raft = new ConfigRaft();
  /** How far each server trails the leader (unknown: not replicating yet); every known one was heard from just now. */
  const trailing = new Map<string, number>();
  /** Ms since each server was last heard from (default 0). */
  const contact = new Map<string, number>();
  /** Without `autopilot`, cleanup_dead_servers is off (the other settings are Consul's defaults). */
  const settings = { ...DEFAULT_AUTOPILOT_SETTINGS, cleanupDeadServers: false, ...(autopilot ?? {}) };
  const health = new AutopilotHealth({
    membership: pool, raft, clock,
    local: () => ({ id: 'id-1', datacenter: 'dc1', lastIndex: LEADER_LAST_INDEX, lastTerm: 2 }),
    peer: (id) => {
      const t = trailing.get(id);
      return t === undefined ? {} : { matchIndex: LEADER_LAST_INDEX - t, matchTerm: 2, lastContactMs: contact.get(id) ?? 0 };
    },
    settings: () => settings,
  });
  const r = new RaftServerReconciler({
    membership: pool, raft, health, autopilot: () => settings, local: () => ({ datacenter: 'dc1', id: 'id-1' }), clock, logger,
  });
  // The leader jobs are established together (health first, as startServerLeaderJobs registers them).
  const establish = r.establish.bind(r);
  r.establish = () => {
    health.establish();
    establish();
  };
  const ids = () => raft.servers.map((s) => `${s.id}@${s.address}${s.voter ? '' : ' (nonvoter)'}`).sort();
  return { clock, logger, pool, raft, r, ids, trailing, contact, health, settings };
}

describe('RaftServerReconciler (the leader makes the Raft configuration follow the pool)', () => {
  it('adds alive servers of its datacenter as non-voters, one change at a time, and promotes them after server_stabilization_time while caught up; clients and other datacenters are not added', async () => {
    const h = setup();
    h.pool.list.push(
      poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002)),
      poolMember('s3', '127.0.14.3', ALIVE, serverMemberTags('id-3', 4003)),
      poolMember('c1', '127.0.14.9', ALIVE, { role: 'node', dc: 'dc1', id: 'id-c' }),
      poolMember('x1', '127.0.14.8', ALIVE, serverMemberTags('id-x', 4008, { dc: 'dc2' })),
    );
    h.r.establish();
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002 (nonvoter)', 'id-3@127.0.14.3:4003 (nonvoter)']);
    expect(h.raft.calls).toEqual(['addNonvoter id-2 127.0.14.2:4002', 'addNonvoter id-3 127.0.14.3:4003']);
    // id-2 catches up, id-3 trails too far: only id-2 is promoted, once stable for the whole time.
    h.trailing.set('id-2', 3);
    h.trailing.set('id-3', MAX_TRAILING_LOGS + 1);
    h.clock.advance(1_000);
    await h.r.idle();
    h.clock.advance(SERVER_STABILIZATION_MS - 1_000);
    await h.r.idle();
    expect(h.ids()).toContain('id-2@127.0.14.2:4002 (nonvoter)');
    h.clock.advance(1_000);
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003 (nonvoter)']);
    expect(h.logger.lines.join('\n')).toContain('Promoting server');
    h.trailing.set('id-3', 0);
    h.clock.advance(SERVER_STABILIZATION_MS + 1_000);
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003']);
  });

  it('never promotes a server tagged nonvoter', async () => {
    const h = setup();
    h.pool.list.push(poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002, { nonvoter: '1' })));
    h.trailing.set('id-2', 0);
    h.r.establish();
    await h.r.idle();
    h.clock.advance(SERVER_STABILIZATION_MS * 3);
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002 (nonvoter)']);
  });

  it('adds a server when it joins, and updates one that came back on another port', async () => {
    const h = setup();
    h.r.establish();
    await h.r.idle();
    h.pool.emit({ type: 'join', members: [poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002 (nonvoter)']);
    h.pool.emit({ type: 'update', members: [poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 5002))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:5002 (nonvoter)']);
    // A voter keeps its vote when its address changes.
    h.raft.servers = h.raft.servers.map((s) => ({ ...s, voter: true }));
    h.pool.emit({ type: 'update', members: [poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 6002))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:6002']);
  });

  it('removes a server that left gracefully or was reaped, keeps a failed one, never removes itself', async () => {
    const h = setup();
    h.raft.servers.push({ id: 'id-2', address: '127.0.14.2:4002', voter: true }, { id: 'id-3', address: '127.0.14.3:4003', voter: true });
    h.pool.list.push(poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002)), poolMember('s3', '127.0.14.3', ALIVE, serverMemberTags('id-3', 4003)));
    h.r.establish();
    await h.r.idle();
    expect(h.raft.calls).toEqual([]);
    h.pool.emit({ type: 'failed', members: [poolMember('s3', '127.0.14.3', FAILED, serverMemberTags('id-3', 4003))] });
    await h.r.idle();
    expect(h.ids()).toHaveLength(3);
    h.pool.emit({ type: 'leave', members: [poolMember('s2', '127.0.14.2', LEFT, serverMemberTags('id-2', 4002))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-3@127.0.14.3:4003']);
    h.pool.emit({ type: 'reap', members: [poolMember('s3', '127.0.14.3', FAILED, serverMemberTags('id-3', 4003))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001']);
    h.pool.emit({ type: 'leave', members: [poolMember('s1', '127.0.14.1', LEFT, serverMemberTags('id-1', 4001))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001']);
  });

  it('retries a refused change after a second', async () => {
    const h = setup();
    h.raft.refuseNext = true;
    h.pool.list.push(poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002)));
    h.r.establish();
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001']);
    h.clock.advance(SERVER_RECONCILE_RETRY_MS);
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002 (nonvoter)']);
  });

  it('does nothing once leadership is revoked', async () => {
    const h = setup();
    h.r.establish();
    await h.r.idle();
    await h.r.revoke();
    h.pool.emit({ type: 'join', members: [poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002))] });
    h.clock.advance(120_000);
    await h.r.idle();
    expect(h.raft.calls).toEqual([]);
  });

  describe('autopilot cleanup_dead_servers', () => {
    const voters = (h: ReturnType<typeof setup>, n: number) => {
      for (let i = 2; i <= n; i++) {
        h.raft.servers.push({ id: `id-${i}`, address: `127.0.14.${i}:400${i}`, voter: true });
        h.pool.list.push(poolMember(`s${i}`, `127.0.14.${i}`, ALIVE, serverMemberTags(`id-${i}`, 4000 + i)));
      }
    };
    const fail = (h: ReturnType<typeof setup>, ...ns: number[]) =>
      h.pool.emit({ type: 'failed', members: ns.map((i) => poolMember(`s${i}`, `127.0.14.${i}`, FAILED, serverMemberTags(`id-${i}`, 4000 + i))) });

    it('off without the autopilot settings; on, a failed voter that is a minority is removed with Consul\'s log line', async () => {
      const off = setup();
      voters(off, 3);
      off.r.establish();
      await off.r.idle();
      fail(off, 3);
      off.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS); // dead servers are pruned on the autopilot interval
      await off.r.idle();
      expect(off.ids()).toHaveLength(3);
      const h = setup({ cleanupDeadServers: true, minQuorum: 0 });
      voters(h, 3);
      h.r.establish();
      await h.r.idle();
      fail(h, 3);
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS); // dead servers are pruned on the autopilot interval
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002']);
      expect(h.logger.lines.join('\n')).toContain('Attempting removal of failed server node');
    });

    it('never removes failed voters that are half or more of the voters (quorum), but removes failed non-voters', async () => {
      const h = setup({ cleanupDeadServers: true, minQuorum: 0 });
      voters(h, 4);
      h.raft.servers.push({ id: 'id-7', address: '127.0.14.7:4007', voter: false });
      h.pool.list.push(poolMember('s7', '127.0.14.7', ALIVE, serverMemberTags('id-7', 4007, { nonvoter: '1' })));
      h.r.establish();
      await h.r.idle();
      fail(h, 3, 4, 7);
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS); // dead servers are pruned on the autopilot interval
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003', 'id-4@127.0.14.4:4004']);
      expect(h.raft.calls).toEqual(['removeServer id-7']);
      expect(h.logger.lines.join('\n')).toContain('too many dead servers');
    });

    it('removes failed voters one at a time while they stay a minority (5 voters, 2 failed -> 3)', async () => {
      const h = setup({ cleanupDeadServers: true, minQuorum: 0 });
      voters(h, 5);
      h.r.establish();
      await h.r.idle();
      fail(h, 4, 5);
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS); // dead servers are pruned on the autopilot interval
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003']);
      expect(h.raft.calls).toEqual(['removeServer id-4', 'removeServer id-5']);
    });

    it('removes stale servers (in the configuration, unknown to the pool) once missing for an autopilot interval: non-voters first, then voters', async () => {
      const stale = (h: ReturnType<typeof setup>) => {
        voters(h, 3);
        h.raft.servers.push({ id: 'id-4', address: '127.0.14.4:4004', voter: true }, { id: 'id-9', address: '127.0.14.9:4009', voter: false });
      };
      const off = setup();
      stale(off);
      off.r.establish();
      off.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS * 3);
      await off.r.idle();
      expect(off.raft.calls).toEqual([]);

      const h = setup({ cleanupDeadServers: true, minQuorum: 0 });
      stale(h);
      h.r.establish();
      await h.r.idle();
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS - 1);
      await h.r.idle();
      expect(h.raft.calls).toEqual([]); // not yet missing for a whole interval
      h.clock.advance(1);
      await h.r.idle();
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS);
      await h.r.idle();
      expect(h.raft.calls).toEqual(['removeServer id-9', 'removeServer id-4']);
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003']);
      expect(h.logger.lines.join('\n')).toContain('removing server by ID');
    });

    it('keeps a stale server that the pool learns of again within the interval, and a stale voter whose removal would leave no majority', async () => {
      const h = setup({ cleanupDeadServers: true, minQuorum: 0 });
      voters(h, 2);
      h.raft.servers.push({ id: 'id-3', address: '127.0.14.3:4003', voter: true });
      h.r.establish();
      await h.r.idle();
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS / 2);
      h.pool.list.push(poolMember('s3', '127.0.14.3', ALIVE, serverMemberTags('id-3', 4003)));
      h.pool.emit({ type: 'join', members: [poolMember('s3', '127.0.14.3', ALIVE, serverMemberTags('id-3', 4003))] });
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS * 2);
      await h.r.idle();
      expect(h.raft.calls).toEqual([]);
      // Two known voters and one stale voter: removing it could not be judged safe (autopilot's maxRemoval 0).
      h.pool.list.pop();
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS * 3);
      await h.r.idle();
      expect(h.raft.calls).toEqual([]);
      expect(h.logger.lines.join('\n')).toContain('removal of a majority of voting servers is not safe');
    });

    it('never goes below min_quorum', async () => {
      const h = setup({ cleanupDeadServers: true, minQuorum: 3 });
      voters(h, 3);
      h.r.establish();
      await h.r.idle();
      fail(h, 3);
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS); // dead servers are pruned on the autopilot interval
      await h.r.idle();
      expect(h.ids()).toHaveLength(3);
      expect(h.raft.calls).toEqual([]);
      expect(h.logger.lines.join('\n')).toContain('less voters than the minimum number allowed');
    });
  });

  describe('autopilot health and dead servers that come back', () => {
    const member = (i: number, status: number) => poolMember(`s${i}`, `127.0.14.${i}`, status, serverMemberTags(`id-${i}`, 4000 + i));
    const threeVoters = (h: ReturnType<typeof setup>) => {
      for (const i of [2, 3]) {
        h.raft.servers.push({ id: `id-${i}`, address: `127.0.14.${i}:400${i}`, voter: true });
        h.pool.list.push(member(i, ALIVE));
        h.trailing.set(`id-${i}`, 0);
      }
    };

    it('a server serf still sees alive (a restart it did not notice, or under suspicion) is never removed; a failed one only at the autopilot interval', async () => {
      const h = setup({ cleanupDeadServers: true, minQuorum: 0 });
      threeVoters(h);
      h.r.establish();
      await h.r.idle();
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS * 3); // alive servers: nothing to prune
      await h.r.idle();
      expect(h.raft.calls).toEqual([]);
      // serf declares s3 failed, but it restarts and refutes before the next prune: it stays.
      h.pool.list[2] = member(3, FAILED);
      h.pool.emit({ type: 'failed', members: [member(3, FAILED)] });
      await h.r.idle();
      expect(h.raft.calls).toEqual([]);
      h.pool.list[2] = member(3, ALIVE);
      h.pool.emit({ type: 'join', members: [member(3, ALIVE)] });
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS);
      await h.r.idle();
      expect(h.raft.calls).toEqual([]);
      expect(h.ids()).toHaveLength(3);
    });

    it('a removed failed server that comes back alive is added again as a non-voter and promoted after server_stabilization_time', async () => {
      const h = setup({ cleanupDeadServers: true, minQuorum: 0 });
      threeVoters(h);
      h.r.establish();
      await h.r.idle();
      h.pool.list[2] = member(3, FAILED);
      h.pool.emit({ type: 'failed', members: [member(3, FAILED)] });
      h.clock.advance(AUTOPILOT_PRUNE_INTERVAL_MS);
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002']);
      // It comes back: a non-voter first, a voter once healthy for the stabilization time.
      h.pool.list[2] = member(3, ALIVE);
      h.pool.emit({ type: 'join', members: [member(3, ALIVE)] });
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003 (nonvoter)']);
      h.clock.advance(SERVER_STABILIZATION_MS - 1);
      await h.r.idle();
      expect(h.ids()).toContain('id-3@127.0.14.3:4003 (nonvoter)');
      h.clock.advance(1_000);
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003']);
      expect(h.raft.calls).toEqual(['removeServer id-3', 'addNonvoter id-3 127.0.14.3:4003', 'addVoter id-3 127.0.14.3:4003']);
    });

    it('promotion waits for health (last contact within last_contact_threshold) and uses the live server_stabilization_time', async () => {
      const h = setup();
      h.settings.serverStabilizationTimeMs = 3_000;
      h.pool.list.push(member(2, ALIVE));
      h.trailing.set('id-2', 0);
      h.contact.set('id-2', 5_000); // not heard from for 5 s: unhealthy
      h.r.establish();
      await h.r.idle();
      h.clock.advance(10_000);
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002 (nonvoter)']);
      expect(h.health.healthReply().Healthy).toBe(false);
      h.contact.set('id-2', 10); // heard from again
      h.clock.advance(1_000);
      await h.r.idle();
      h.clock.advance(2_999);
      await h.r.idle();
      expect(h.ids()).toContain('id-2@127.0.14.2:4002 (nonvoter)');
      h.clock.advance(1_000);
      await h.r.idle();
      expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002']);
    });
  });
});
