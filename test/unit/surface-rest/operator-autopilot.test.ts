import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type {
  AutopilotConfiguration,
  AutopilotSettings,
  AutopilotState,
  OperatorHealthReply,
  OperatorService,
  RaftConfigurationReply,
  RaftTransferLeaderReply,
} from '../../../contracts/services/operator-service.js';
import { RestSurface } from '../../../plugins/surface-rest/rest-surface.js';
import { autopilotStateText, operatorAutopilotGetConfigCommand, operatorAutopilotSetConfigCommand, operatorAutopilotStateCommand } from '../../../src/cli/commands/operator-autopilot.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { runCommand } from '../../support/run-command.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from './fakes.js';

const HEALTHY: OperatorHealthReply = {
  Healthy: true,
  FailureTolerance: 1,
  Servers: [
    { ID: 'id-1', Name: 's1', Address: '127.0.14.1:8300', SerfStatus: 'alive', Version: '1.2.3', Leader: true, LastContact: '0s', LastTerm: 2, LastIndex: 40, Healthy: true, Voter: true, StableSince: '2026-01-02T03:04:05Z' },
  ],
};

const STATE: AutopilotState = {
  Healthy: true, FailureTolerance: 1, OptimisticFailureTolerance: 1, Leader: 'id-1', Voters: ['id-1', 'id-2'],
  Servers: {
    'id-2': { ID: 'id-2', Name: 's2', Address: '127.0.14.2:8300', NodeStatus: 'alive', Version: '1.2.3', LastContact: '2ms', LastTerm: 2, LastIndex: 39, Healthy: true, StableSince: '2026-01-02T03:04:05Z', ReadReplica: false, Status: 'voter', Meta: {}, NodeType: 'voter' },
    'id-1': { ID: 'id-1', Name: 's1', Address: '127.0.14.1:8300', NodeStatus: 'alive', Version: '1.2.3', LastContact: '0s', LastTerm: 2, LastIndex: 40, Healthy: true, StableSince: '2026-01-02T03:04:05Z', ReadReplica: false, Status: 'leader', Meta: { foo: 'bar' }, NodeType: 'voter' },
  },
};

/** Keeps a configuration as the state does: ModifyIndex moves on every stored write, a CAS compares it. */
class FakeAutopilot implements OperatorService {
  index = 5;
  settings: AutopilotSettings = { cleanupDeadServers: true, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 0, serverStabilizationTimeMs: 10_000 };
  writes: { settings: AutopilotSettings; cas: number | undefined }[] = [];
  health: OperatorHealthReply = HEALTHY;
  async raftConfiguration(): Promise<RaftConfigurationReply> {
    throw new SextantError(ErrorCode.NotImplemented, 'not in this fake');
  }
  async raftRemovePeer(): Promise<void> {
    throw new SextantError(ErrorCode.NotImplemented, 'not in this fake');
  }
  async raftTransferLeader(): Promise<RaftTransferLeaderReply> {
    throw new SextantError(ErrorCode.NotImplemented, 'not in this fake');
  }
  async autopilotGetConfiguration(): Promise<AutopilotConfiguration> {
    const s = this.settings;
    const d = (ms: number) => (ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`);
    return {
      CleanupDeadServers: s.cleanupDeadServers, LastContactThreshold: d(s.lastContactThresholdMs), MaxTrailingLogs: s.maxTrailingLogs, MinQuorum: s.minQuorum,
      ServerStabilizationTime: d(s.serverStabilizationTimeMs), RedundancyZoneTag: '', DisableUpgradeMigration: false, UpgradeVersionTag: '', CreateIndex: 5, ModifyIndex: this.index,
    };
  }
  async autopilotSetConfiguration(settings: AutopilotSettings, cas: number | undefined): Promise<boolean> {
    this.writes.push({ settings, cas });
    if (cas !== undefined && cas !== this.index) return false;
    this.settings = settings;
    this.index++;
    return true;
  }
  async autopilotServerHealth(): Promise<OperatorHealthReply> {
    return this.health;
  }
  async autopilotState(): Promise<AutopilotState> {
    return STATE;
  }
}

let surface: RestSurface;
let base: string;
let operator: FakeAutopilot;
beforeEach(async () => {
  const clock = new SystemClock();
  operator = new FakeAutopilot();
  surface = new RestSurface({
    config: testConfig(), kv: new FakeKv(), status: new FakeStatus(), agent: new FakeAgent(), operator,
    logger: TextLogger.create({ level: 'error', sink: () => {}, clock }).child('http'), clock, random: new SeededRandom(7),
  });
  await surface.start();
  base = `http://${surface.addresses()[0] ?? ''}`;
});
afterEach(async () => {
  await surface.stop();
});

describe('/v1/operator/autopilot', () => {
  it('GET configuration answers Consul\'s api.AutopilotConfiguration', async () => {
    const res = await fetch(`${base}/v1/operator/autopilot/configuration`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      CleanupDeadServers: true, LastContactThreshold: '200ms', MaxTrailingLogs: 250, MinQuorum: 0, ServerStabilizationTime: '10s',
      RedundancyZoneTag: '', DisableUpgradeMigration: false, UpgradeVersionTag: '', CreateIndex: 5, ModifyIndex: 5,
    });
  });

  it('PUT parses durations (strings or nanoseconds) and field names in any case; true without cas, the CAS outcome with it', async () => {
    const put = (q: string, body: unknown) => fetch(`${base}/v1/operator/autopilot/configuration${q}`, { method: 'PUT', body: JSON.stringify(body) });
    let res = await put('', { cleanupdeadservers: false, LastContactThreshold: '1.5s', MaxTrailingLogs: 10, MinQuorum: 3, ServerStabilizationTime: 2_000_000_000 });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('true');
    expect(operator.writes.at(-1)).toEqual({ settings: { cleanupDeadServers: false, lastContactThresholdMs: 1500, maxTrailingLogs: 10, minQuorum: 3, serverStabilizationTimeMs: 2000 }, cas: undefined });
    res = await put('?cas=5', {});
    expect(await res.text()).toBe('false');
    res = await put('?cas=6', {}); // absent fields are Go's zero values
    expect(await res.text()).toBe('true');
    expect(operator.settings).toEqual({ cleanupDeadServers: false, lastContactThresholdMs: 0, maxTrailingLogs: 0, minQuorum: 0, serverStabilizationTimeMs: 0 });
    res = await put('?cas=x', {});
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Error parsing cas value');
    res = await put('', { LastContactThreshold: 'soon' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Error parsing autopilot config: /);
    res = await put('', { MaxTrailingLogs: -1 });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('MaxTrailingLogs of type uint64');
  });

  it('GET health answers 200 when healthy and 429 (same body) when not', async () => {
    let res = await fetch(`${base}/v1/operator/autopilot/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(HEALTHY);
    operator.health = { ...HEALTHY, Healthy: false, FailureTolerance: 0 };
    res = await fetch(`${base}/v1/operator/autopilot/health`);
    expect(res.status).toBe(429);
    expect(((await res.json()) as OperatorHealthReply).Healthy).toBe(false);
  });

  it('GET state answers Consul\'s api.AutopilotState', async () => {
    const res = await fetch(`${base}/v1/operator/autopilot/state`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(STATE);
  });
});

describe('sextant operator autopilot', () => {
  it('get-config prints Consul\'s lines', async () => {
    const out = await runCommand(operatorAutopilotGetConfigCommand, ['-http-addr', base], {});
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('CleanupDeadServers = true\nLastContactThreshold = 200ms\nMaxTrailingLogs = 250\nMinQuorum = 0\nServerStabilizationTime = 10s\nRedundancyZoneTag = ""\nDisableUpgradeMigration = false\nUpgradeVersionTag = ""\n');
  });

  it('set-config changes only the flags given, with a CAS on the ModifyIndex it read; bad values fail before any request', async () => {
    const out = await runCommand(operatorAutopilotSetConfigCommand, ['-http-addr', base, '-cleanup-dead-servers=false', '-server-stabilization-time', '30s', '-min-quorum=3'], {});
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('Configuration updated!\n');
    expect(operator.writes).toEqual([{ settings: { cleanupDeadServers: false, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 3, serverStabilizationTimeMs: 30_000 }, cas: 5 }]);
    operator.index = 99; // someone else wrote between the read and the CAS: the fake answers false
    const get = operator.autopilotGetConfiguration.bind(operator);
    operator.autopilotGetConfiguration = async () => ({ ...(await get()), ModifyIndex: 7 });
    const lost = await runCommand(operatorAutopilotSetConfigCommand, ['-http-addr', base, '-max-trailing-logs=9'], {});
    expect(lost.code).toBe(1);
    expect(lost.stdout).toBe('Configuration could not be atomically updated, please try again\n');
    const bad = await runCommand(operatorAutopilotSetConfigCommand, ['-http-addr', base, '-cleanup-dead-servers=maybe'], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid value "maybe" for flag -cleanup-dead-servers');
    expect(operator.writes).toHaveLength(2);
  });

  it('state prints Consul\'s pretty format (servers by ID, Meta quoted) and JSON with -format=json', async () => {
    const out = await runCommand(operatorAutopilotStateCommand, ['-http-addr', base], {});
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(autopilotStateText(STATE) + '\n');
    expect(out.stdout).toContain([
      'Healthy:                      true', 'Failure Tolerance:            1', 'Optimistic Failure Tolerance: 1', 'Leader:                       id-1',
      'Voters:', '   id-1', '   id-2', 'Servers:', '   id-1', '      Name:            s1', '      Address:         127.0.14.1:8300',
      '      Version:         1.2.3', '      Status:          leader', '      Node Type:       voter', '      Node Status:     alive',
      '      Healthy:         true', '      Last Contact:    0s', '      Last Term:       2', '      Last Index:      40', '      Meta', '         "foo": "bar"', '   id-2',
    ].join('\n'));
    const json = await runCommand(operatorAutopilotStateCommand, ['-http-addr', base, '-format=json'], {});
    expect(JSON.parse(json.stdout)).toEqual(STATE);
    const unknown = await runCommand(operatorAutopilotStateCommand, ['-http-addr', base, '-format=yaml'], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown format: yaml');
  });
});
