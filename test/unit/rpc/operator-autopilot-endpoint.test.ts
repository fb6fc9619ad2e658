import { describe, expect, it } from 'vitest';
import { OperatorEndpoint } from '../../../src/rpc/operator-endpoint.js';
import { AutopilotHealth, DEFAULT_AUTOPILOT_SETTINGS } from '../../../src/rpc/autopilot-health.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakePool, poolMember, serverMemberTags } from '../../support/fake-pool.js';
import { FakeRaft } from './fake-raft.js';

function setup(opts: { leaderAddress?: string } = {}) {
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const clock = new ManualClock();
  const pool = new FakePool();
  pool.list = [poolMember('s1', '127.0.0.1', 1, serverMemberTags('n1', 8300))];
  const health = new AutopilotHealth({
    membership: pool, raft, clock, settings: () => DEFAULT_AUTOPILOT_SETTINGS, peer: () => ({}),
    local: () => ({ id: 'n1', datacenter: 'dc1', lastIndex: 3, lastTerm: 1 }),
  });
  const endpoint = new OperatorEndpoint({
    raft, membership: pool, ownAddress: () => opts.leaderAddress ?? '127.0.0.1:8300',
    autopilot: { config: store.autopilot, raft, health: () => health },
    indexes: () => ({ configurationIndex: 1, lastIndex: 3, matchIndex: () => undefined, selfId: 'n1' }),
  });
  return { store, raft, health, endpoint };
}

describe('OperatorEndpoint, autopilot part', () => {
  it('answers Consul\'s error before a configuration is stored, then the stored one with Go durations and its indexes', async () => {
    const h = setup();
    await expect(h.endpoint.autopilotGetConfiguration()).rejects.toThrow('autopilot config not initialized yet');
    expect(await h.endpoint.autopilotSetConfiguration({ ...DEFAULT_AUTOPILOT_SETTINGS, lastContactThresholdMs: 1500 }, undefined)).toBe(true);
    expect(await h.endpoint.autopilotGetConfiguration()).toEqual({
      CleanupDeadServers: true, LastContactThreshold: '1.5s', MaxTrailingLogs: 250, MinQuorum: 0, ServerStabilizationTime: '10s',
      RedundancyZoneTag: '', DisableUpgradeMigration: false, UpgradeVersionTag: '', CreateIndex: 1, ModifyIndex: 1,
    });
    expect(await h.endpoint.autopilotSetConfiguration({ ...DEFAULT_AUTOPILOT_SETTINGS, minQuorum: 5 }, 7)).toBe(false);
    expect(await h.endpoint.autopilotSetConfiguration({ ...DEFAULT_AUTOPILOT_SETTINGS, minQuorum: 5 }, 1)).toBe(true);
    expect((await h.endpoint.autopilotGetConfiguration()).MinQuorum).toBe(5);
  });

  it('health and state only on the leader', async () => {
    const h = setup();
    h.health.establish();
    expect((await h.endpoint.autopilotServerHealth()).Servers.map((s) => s.ID)).toEqual(['n1']);
    expect((await h.endpoint.autopilotState()).Leader).toBe('n1');
    const follower = setup({ leaderAddress: '127.0.0.9:8300' });
    await expect(follower.endpoint.autopilotServerHealth()).rejects.toThrow(/^Failed to get autopilot state: /);
    h.health.revoke();
  });
});
