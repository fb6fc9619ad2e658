import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { RaftServerReconciler, SERVER_RECONCILE_RETRY_MS } from '../../../src/rpc/raft-server-reconciler.js';
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
  async addVoter(id: string, address: string): Promise<void> {
    this.check(`addVoter ${id} ${address}`);
    this.servers = [...this.servers.filter((s) => s.id !== id), { id, address, voter: true }];
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

function setup() {
  const clock = new ManualClock();
  const logger = new SilentLogger();
  const pool = new FakePool();
  pool.list = [poolMember('s1', '127.0.14.1', ALIVE, serverMemberTags('id-1', 4001))];
  const raft = new ConfigRaft();
  const r = new RaftServerReconciler({ membership: pool, raft, local: () => ({ datacenter: 'dc1', id: 'id-1' }), clock, logger });
  const ids = () => raft.servers.map((s) => `${s.id}@${s.address}${s.voter ? '' : ' (nonvoter)'}`).sort();
  return { clock, logger, pool, raft, r, ids };
}

describe('RaftServerReconciler (the leader makes the Raft configuration follow the pool)', () => {
  it('adds alive servers of its datacenter as voters, one change at a time; clients and other datacenters are not added', async () => {
    const h = setup();
    h.pool.list.push(
      poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002)),
      poolMember('s3', '127.0.14.3', ALIVE, serverMemberTags('id-3', 4003)),
      poolMember('c1', '127.0.14.9', ALIVE, { role: 'node', dc: 'dc1', id: 'id-c' }),
      poolMember('x1', '127.0.14.8', ALIVE, serverMemberTags('id-x', 4008, { dc: 'dc2' })),
    );
    h.r.establish();
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002', 'id-3@127.0.14.3:4003']);
    expect(h.raft.calls).toEqual(['addVoter id-2 127.0.14.2:4002', 'addVoter id-3 127.0.14.3:4003']);
  });

  it('adds a server when it joins, and updates one that came back on another port', async () => {
    const h = setup();
    h.r.establish();
    await h.r.idle();
    h.pool.emit({ type: 'join', members: [poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 4002))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002']);
    h.pool.emit({ type: 'update', members: [poolMember('s2', '127.0.14.2', ALIVE, serverMemberTags('id-2', 5002))] });
    await h.r.idle();
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:5002']);
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
    expect(h.ids()).toEqual(['id-1@127.0.14.1:4001', 'id-2@127.0.14.2:4002']);
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
});
