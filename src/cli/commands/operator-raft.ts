import type { RaftConfigurationReply } from '../../../contracts/services/operator-service.js';
import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { columnize } from './columnize.js';
import { defineHttpCommand } from './http-command.js';

/**
 * Consul's `operator raft list-peers` table (command/operator/raft/listpeers): Node, ID,
 * Address, State, Voter, RaftProtocol, Commit Index, Trails Leader By.
 */
export function raftPeersTable(reply: RaftConfigurationReply): string {
  const leaderIndex = reply.Servers.find((s) => s.Leader)?.LastIndex ?? 0;
  const lines = ['Node\x1fID\x1fAddress\x1fState\x1fVoter\x1fRaftProtocol\x1fCommit Index\x1fTrails Leader By'];
  for (const s of reply.Servers) {
    const protocol = s.ProtocolVersion === '' ? '<=1' : s.ProtocolVersion;
    let trails = '-';
    if (!s.Leader) {
      const by = Math.max(0, leaderIndex - s.LastIndex);
      trails = by === 1 ? '1 commit' : `${by} commits`;
    }
    lines.push([s.Node, s.ID, s.Address, s.Leader ? 'leader' : 'follower', String(s.Voter), protocol, String(s.LastIndex), trails].join('\x1f'));
  }
  return columnize(lines);
}

/** `sextant operator raft list-peers [-stale]` — Consul's command (-stale is the common HTTP flag). */
export const operatorRaftListPeersCommand: Command = defineHttpCommand({
  name: 'operator raft list-peers',
  synopsis: 'Display the current Raft peer configuration',
  usage: '[options]',
  description: `  Displays the current Raft peer configuration.`,
  flags: [],
  async run({ client, out, err }) {
    let reply: RaftConfigurationReply;
    try {
      const res = requireOk(await client.request('GET', '/v1/operator/raft/configuration'));
      reply = JSON.parse(res.body.toString('utf8')) as RaftConfigurationReply;
    } catch (e) {
      err(`Error getting peers: Failed to retrieve raft configuration: ${(e as Error).message}`);
      return 1;
    }
    out(raftPeersTable(reply));
    return 0;
  },
});

/** `sextant operator raft transfer-leader [-id=<id>]` — Consul's command: prints `Success` once leadership moved. */
export const operatorRaftTransferLeaderCommand: Command = defineHttpCommand({
  name: 'operator raft transfer-leader',
  synopsis: 'Transfer raft leadership to another node',
  usage: '[options]',
  description: `  Transfer raft leadership to another node.`,
  flags: [{ name: 'id', kind: 'string', usage: 'The ID of the node to transfer leadership to.' }],
  async run({ flags, client, out, err }) {
    const id = (flags.values['id'] as string | undefined) ?? '';
    try {
      const res = requireOk(await client.request('POST', '/v1/operator/raft/transfer-leader', id !== '' ? { query: { id } } : {}));
      const reply = JSON.parse(res.body.toString('utf8')) as { Success?: boolean };
      if (reply.Success !== true) throw new Error('Failed to transfer leadership');
    } catch (e) {
      err(`Error transfering leadership: Failed to transfer leadership ${(e as Error).message}`);
      return 1;
    }
    out('Success');
    return 0;
  },
});

/** `sextant operator raft remove-peer -id=<id> | -address=<ip:port>` — Consul's command. */
export const operatorRaftRemovePeerCommand: Command = defineHttpCommand({
  name: 'operator raft remove-peer',
  synopsis: 'Remove a Sextant server from the Raft configuration',
  usage: '[options]',
  description: `  Remove the Sextant server with given -id or -address from the Raft configuration.

  There are rare cases where a peer may be left behind in the Raft quorum even though the
  server is no longer present and known to the cluster. This command can be used to remove
  the failed server so that it is no longer affects the Raft quorum.`,
  flags: [
    { name: 'address', kind: 'string', usage: 'The address to remove from the Raft configuration.' },
    { name: 'id', kind: 'string', usage: 'The ID to remove from the Raft configuration.' },
  ],
  async run({ flags, client, out, err }) {
    const address = (flags.values['address'] as string | undefined) ?? '';
    const id = (flags.values['id'] as string | undefined) ?? '';
    let problem = '';
    if (address === '' && id === '') problem = 'an address or id is required for the peer to remove';
    else if (address !== '' && id !== '') problem = 'cannot give both an address and id';
    if (problem !== '') {
      err(`Error removing peer: ${problem}`);
      return 1;
    }
    try {
      requireOk(await client.request('DELETE', '/v1/operator/raft/peer', { query: id !== '' ? { id } : { address } }));
    } catch (e) {
      err(`Error removing peer: ${(e as Error).message}`);
      return 1;
    }
    out(id !== '' ? `Removed peer with id "${id}"` : `Removed peer with address "${address}"`);
    return 0;
  },
});
