import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { OperatorService, RaftConfigurationReply, RaftPeerSelector, RaftTransferLeaderReply } from '../../../contracts/services/operator-service.js';
import { RestSurface } from '../../../plugins/surface-rest/rest-surface.js';
import { operatorRaftListPeersCommand, operatorRaftRemovePeerCommand, operatorRaftTransferLeaderCommand, raftPeersTable } from '../../../src/cli/commands/operator-raft.js';
import { main } from '../../../src/cli/main.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { OperatorEndpoint } from '../../../src/rpc/operator-endpoint.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { runCommand } from '../../support/run-command.js';
import { poolMember, serverMemberTags } from '../../support/fake-pool.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from './fakes.js';

const CONFIG: RaftConfigurationReply = {
  Index: 7,
  Servers: [
    { ID: 'id-1', Node: 's1', Address: '127.0.14.1:8300', Leader: true, ProtocolVersion: '3', Voter: true, LastIndex: 42 },
    { ID: 'id-2', Node: 's2', Address: '127.0.14.2:8300', Leader: false, ProtocolVersion: '3', Voter: true, LastIndex: 41 },
    { ID: 'id-3', Node: '(unknown)', Address: '127.0.14.3:8300', Leader: false, ProtocolVersion: 'unknown', Voter: false, LastIndex: 30 },
  ],
};

class FakeOperator implements OperatorService {
  removed: RaftPeerSelector[] = [];
  removeError: SextantError | undefined;
  async raftConfiguration(): Promise<RaftConfigurationReply> {
    return CONFIG;
  }
  async raftRemovePeer(peer: RaftPeerSelector): Promise<void> {
    if (this.removeError) throw this.removeError;
    this.removed.push(peer);
  }
  transfers: string[] = [];
  transferError: SextantError | undefined;
  async raftTransferLeader(id: string): Promise<RaftTransferLeaderReply> {
    if (this.transferError) throw this.transferError;
    this.transfers.push(id);
    return { Success: true };
  }
  // The autopilot part is tested in operator-autopilot.test.ts.
  async autopilotGetConfiguration(): Promise<never> {
    throw new SextantError(ErrorCode.NotImplemented, 'not in this fake');
  }
  async autopilotSetConfiguration(): Promise<never> {
    throw new SextantError(ErrorCode.NotImplemented, 'not in this fake');
  }
  async autopilotServerHealth(): Promise<never> {
    throw new SextantError(ErrorCode.NotImplemented, 'not in this fake');
  }
  async autopilotState(): Promise<never> {
    throw new SextantError(ErrorCode.NotImplemented, 'not in this fake');
  }
}

let surface: RestSurface;
let base: string;
let operator: FakeOperator;
beforeEach(async () => {
  const clock = new SystemClock();
  operator = new FakeOperator();
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

describe('/v1/operator/raft', () => {
  it('GET configuration answers Consul\'s RaftConfigurationResponse JSON', async () => {
    const res = await fetch(`${base}/v1/operator/raft/configuration`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(CONFIG);
  });

  it('DELETE peer by ?id or ?address; neither is a 400 with Consul\'s text', async () => {
    expect((await fetch(`${base}/v1/operator/raft/peer?id=id-3`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${base}/v1/operator/raft/peer?address=127.0.14.3:8300`, { method: 'DELETE' })).status).toBe(200);
    expect(operator.removed).toEqual([{ id: 'id-3' }, { address: '127.0.14.3:8300' }]);
    const bad = await fetch(`${base}/v1/operator/raft/peer`, { method: 'DELETE' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Must specify either ?id with the server's ID or ?address with IP:port of peer to remove");
  });
});

describe('/v1/operator/raft/transfer-leader', () => {
  it('POST with or without ?id answers Consul\'s {"Success":true}; an error is its status and text', async () => {
    const one = await fetch(`${base}/v1/operator/raft/transfer-leader?id=id-2`, { method: 'POST' });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ Success: true });
    expect((await fetch(`${base}/v1/operator/raft/transfer-leader`, { method: 'POST' })).status).toBe(200);
    expect(operator.transfers).toEqual(['id-2', '']);
    operator.transferError = new SextantError(ErrorCode.BadRequest, 'id "x" was not found in the Raft configuration');
    const bad = await fetch(`${base}/v1/operator/raft/transfer-leader?id=x`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('id "x" was not found in the Raft configuration');
  });

  it('sextant operator raft transfer-leader [-id] prints Success, or Consul\'s error line', async () => {
    const r = await runCommand(operatorRaftTransferLeaderCommand, ['-http-addr', base, '-id', 'id-3'], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('Success');
    expect(operator.transfers).toEqual(['id-3']);
    operator.transferError = new SextantError(ErrorCode.BadRequest, 'cannot transfer leadership to itself');
    const bad = await runCommand(operatorRaftTransferLeaderCommand, ['-http-addr', base], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Error transfering leadership: Failed to transfer leadership');
    expect(bad.stderr).toContain('cannot transfer leadership to itself');
  });
});

describe('sextant operator raft', () => {
  it('list-peers prints Consul\'s table', async () => {
    const r = await runCommand(operatorRaftListPeersCommand, ['-http-addr', base], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual(raftPeersTable(CONFIG).split('\n'));
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['Node', 'ID', 'Address', 'State', 'Voter', 'RaftProtocol', 'Commit Index', 'Trails Leader By']);
    expect(rows[1]).toEqual(['s1', 'id-1', '127.0.14.1:8300', 'leader', 'true', '3', '42', '-']);
    expect(rows[2]).toEqual(['s2', 'id-2', '127.0.14.2:8300', 'follower', 'true', '3', '41', '1 commit']);
    expect(rows[3]).toEqual(['(unknown)', 'id-3', '127.0.14.3:8300', 'follower', 'false', 'unknown', '30', '12 commits']);
  });

  it('remove-peer needs exactly one of -id and -address, and says what it removed', async () => {
    expect((await runCommand(operatorRaftRemovePeerCommand, ['-http-addr', base], {})).stderr).toContain('Error removing peer: an address or id is required for the peer to remove');
    expect((await runCommand(operatorRaftRemovePeerCommand, ['-http-addr', base, '-id', 'a', '-address', 'b'], {})).stderr).toContain('cannot give both an address and id');
    const ok = await runCommand(operatorRaftRemovePeerCommand, ['-http-addr', base, '-id', 'id-3'], {});
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout.trim()).toBe('Removed peer with id "id-3"');
    operator.removeError = new SextantError(ErrorCode.NotFound, 'address "1.2.3.4:8300" was not found in the Raft configuration');
    const missing = await runCommand(operatorRaftRemovePeerCommand, ['-http-addr', base, '-address', '1.2.3.4:8300'], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('was not found in the Raft configuration');
  });

  it('other operator subcommands still say plainly that they are not implemented', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) } };
    const code = await main(['operator', 'area', 'list'], io as never);
    expect(code).toBe(1);
    expect(err).toContain('not implemented yet');
  });
});

describe('OperatorEndpoint', () => {
  const members = [poolMember('s1', '127.0.14.1', 1, serverMemberTags('id-1', 8300)), poolMember('s2', '127.0.14.2', 1, serverMemberTags('id-2', 8300))];
  const removed: string[] = [];
  const transferred: string[] = [];
  const endpoint = new OperatorEndpoint({
    raft: {
      configuration: () => [
        { id: 'id-1', address: '127.0.14.1:8300', voter: true },
        { id: 'id-2', address: '127.0.14.2:8300', voter: true },
        { id: 'id-9', address: '127.0.14.9:8300', voter: false },
      ],
      leader: () => ({ id: 'id-1', address: '127.0.14.1:8300', voter: true }),
      removeServer: async (id) => void removed.push(id),
    },
    transferLeadership: async (id) => {
      transferred.push(id ?? '(any)');
      return id ?? 'id-2';
    },
    membership: { members: () => members },
    indexes: () => ({ configurationIndex: 5, lastIndex: 20, matchIndex: (id) => (id === 'id-2' ? 19 : undefined), selfId: 'id-1' }),
  });

  it('joins the configuration with the pool: Node and ProtocolVersion by address, LastIndex from the leader', async () => {
    expect(await endpoint.raftConfiguration()).toEqual({
      Index: 5,
      Servers: [
        { ID: 'id-1', Node: 's1', Address: '127.0.14.1:8300', Leader: true, ProtocolVersion: '3', Voter: true, LastIndex: 20 },
        { ID: 'id-2', Node: 's2', Address: '127.0.14.2:8300', Leader: false, ProtocolVersion: '3', Voter: true, LastIndex: 19 },
        { ID: 'id-9', Node: '(unknown)', Address: '127.0.14.9:8300', Leader: false, ProtocolVersion: 'unknown', Voter: false, LastIndex: 0 },
      ],
    });
  });

  it('removes by id or address; an unknown one is NOT_FOUND with Consul\'s text', async () => {
    await endpoint.raftRemovePeer({ address: '127.0.14.9:8300' });
    await endpoint.raftRemovePeer({ id: 'id-2' });
    expect(removed).toEqual(['id-9', 'id-2']);
    await expect(endpoint.raftRemovePeer({ id: 'x' })).rejects.toThrow('id "x" was not found in the Raft configuration');
    await expect(endpoint.raftRemovePeer({ address: '1.1.1.1:1' })).rejects.toThrow('address "1.1.1.1:1" was not found in the Raft configuration');
  });

  it('transfers leadership to a voter or to any; refuses an unknown id, itself and a non-voter', async () => {
    expect(await endpoint.raftTransferLeader('id-2')).toEqual({ Success: true });
    expect(await endpoint.raftTransferLeader('')).toEqual({ Success: true });
    expect(transferred).toEqual(['id-2', '(any)']);
    await expect(endpoint.raftTransferLeader('x')).rejects.toThrow('id "x" was not found in the Raft configuration');
    await expect(endpoint.raftTransferLeader('id-1')).rejects.toThrow('cannot transfer leadership to itself');
    await expect(endpoint.raftTransferLeader('id-9')).rejects.toThrow('cannot transfer leadership to non-voter "id-9"');
    expect(transferred).toHaveLength(2);
  });
});
