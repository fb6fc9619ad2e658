import { describe, expect, it } from 'vitest';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { AutopilotHealth, DEFAULT_AUTOPILOT_SETTINGS, type PeerView } from '../../../src/rpc/autopilot-health.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakePool, poolMember, serverMemberTags } from '../../support/fake-pool.js';

const ALIVE = 1;
const FAILED = 4;

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
  const pool = new FakePool();
  pool.list = [1, 2, 3].map((i) => poolMember(`s${i}`, `127.0.14.${i}`, ALIVE, serverMemberTags(`id-${i}`, 8300)));
  const servers: RaftPeer[] = [1, 2, 3].map((i) => ({ id: `id-${i}`, address: `127.0.14.${i}:8300`, voter: true }));
  const peers = new Map<string, PeerView>([
    ['id-2', { matchIndex: 1000, matchTerm: 4, lastContactMs: 12.5 }],
    ['id-3', { matchIndex: 999, matchTerm: 4, lastContactMs: 40 }],
  ]);
  const raft = { configuration: () => servers, leader: () => servers[0], isLeader: () => true };
  const health = new AutopilotHealth({
    membership: pool, raft, clock, contactAllowanceMs: 100,
    local: () => ({ id: 'id-1', datacenter: 'dc1', lastIndex: 1000, lastTerm: 4 }),
    peer: (id) => peers.get(id) ?? {},
    settings: () => DEFAULT_AUTOPILOT_SETTINGS,
  });
  return { clock, pool, servers, peers, health };
}

describe('AutopilotHealth (the leader\'s view of every server, Consul\'s OperatorHealthReply)', () => {
  it('a healthy cluster: every server healthy, failure tolerance 1 of 3, Consul\'s field formats', () => {
    const h = setup();
    h.health.establish();
    const reply = h.health.healthReply();
    expect(reply.Healthy).toBe(true);
    expect(reply.FailureTolerance).toBe(1);
    expect(reply.Servers[0]).toEqual({
      ID: 'id-1', Name: 's1', Address: '127.0.14.1:8300', SerfStatus: 'alive', Version: '1.2.3', Leader: true,
      LastContact: '0s', LastTerm: 4, LastIndex: 1000, Healthy: true, Voter: true, StableSince: '2026-01-02T03:04:05Z',
    });
    expect(reply.Servers[1]).toMatchObject({ ID: 'id-2', LastContact: '12.5ms', Leader: false, Healthy: true });
    const state = h.health.state();
    expect(state).toMatchObject({ Healthy: true, FailureTolerance: 1, Leader: 'id-1', Voters: ['id-1', 'id-2', 'id-3'] });
    expect(state.Servers['id-1']).toMatchObject({ Status: 'leader', NodeStatus: 'alive', NodeType: 'voter' });
    h.health.revoke();
  });

  it('unhealthy: a failed member, one not heard from beyond the threshold, one too far behind, one on an older term; StableSince moves with the change', () => {
    const h = setup();
    h.health.establish();
    h.clock.advance(5_000);
    h.peers.set('id-2', { matchIndex: 1000, matchTerm: 4, lastContactMs: 301 }); // > 200 ms + the 100 ms heartbeat allowance
    let reply = h.health.healthReply();
    expect(reply.Healthy).toBe(false);
    expect(reply.FailureTolerance).toBe(0);
    expect(reply.Servers[1]).toMatchObject({ Healthy: false, StableSince: '2026-01-02T03:04:10Z', LastContact: '301ms' });
    expect(reply.Servers[2]).toMatchObject({ Healthy: true, StableSince: '2026-01-02T03:04:05Z' });
    h.peers.set('id-2', { matchIndex: 1000 - 250, matchTerm: 4, lastContactMs: 0 }); // exactly max_trailing_logs behind: healthy
    expect(h.health.healthReply().Servers[1]!.Healthy).toBe(true);
    h.peers.set('id-2', { matchIndex: 1000 - 251, matchTerm: 4, lastContactMs: 0 });
    expect(h.health.healthReply().Servers[1]!.Healthy).toBe(false);
    h.peers.set('id-2', { matchIndex: 1000, matchTerm: 3, lastContactMs: 0 });
    expect(h.health.healthReply().Servers[1]!.Healthy).toBe(false);
    h.peers.set('id-2', { matchIndex: 1000, matchTerm: 4, lastContactMs: 0 });
    h.pool.list[2] = poolMember('s3', '127.0.14.3', FAILED, serverMemberTags('id-3', 8300));
    reply = h.health.healthReply();
    expect(reply.Servers.map((s) => [s.ID, s.Healthy, s.SerfStatus])).toEqual([['id-1', true, 'alive'], ['id-2', true, 'alive'], ['id-3', false, 'failed']]);
    expect(reply.FailureTolerance).toBe(0);
    // A server of the configuration the pool does not know is reported as left.
    h.pool.list.pop();
    expect(h.health.healthReply().Servers[2]).toMatchObject({ SerfStatus: 'left', Healthy: false, Name: '' });
  });

  it('isStable: healthy for server_stabilization_time on this leader, false after leadership is revoked', () => {
    const h = setup();
    h.health.establish();
    expect(h.health.isStable('id-2')).toBe(false);
    expect(h.health.stableIn('id-2')).toBe(10_000);
    h.clock.advance(10_000);
    expect(h.health.isStable('id-2')).toBe(true);
    h.health.revoke();
    expect(h.health.isStable('id-2')).toBe(false);
  });
});
