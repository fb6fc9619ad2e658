import type { RaftPeer } from '../consensus/raft-api.js';
import type { RaftServerStats } from '../consensus/raft-server.js';
import { formatGoDuration } from '../config/go-duration.js';

/** What raftStats reads from the Raft server. */
export interface RaftStatsSource {
  stats(): RaftServerStats;
  configuration(): RaftPeer[];
}

const STATE: Readonly<Record<string, string>> = { leader: 'Leader', candidate: 'Candidate', preCandidate: 'Candidate', follower: 'Follower' };

/**
 * /v1/agent/self `Stats.raft` in hashicorp/raft's Stats() shape (every value a string), which
 * `consul info` and monitoring scripts read: state, term, log/commit/applied/snapshot indexes,
 * the latest configuration (`[{Suffrage:Voter ID:… Address:…}]`), num_peers (other voters,
 * 0 when this server is not a voter) and last_contact ("0" leading, "never", or a Go duration).
 */
export function raftStats(raft: RaftStatsSource, selfId: string): Record<string, string> {
  const s = raft.stats();
  const servers = raft.configuration();
  const selfVoter = servers.some((p) => p.id === selfId && p.voter);
  const peers = selfVoter ? servers.filter((p) => p.voter && p.id !== selfId).length : 0;
  const contact = s.lastContactMs;
  return {
    applied_index: String(s.appliedIndex),
    commit_index: String(s.commitIndex),
    fsm_pending: '0',
    last_contact: s.role === 'leader' ? '0' : contact === undefined ? 'never' : formatGoDuration(BigInt(Math.round(contact * 1e6))),
    last_log_index: String(s.lastIndex),
    last_log_term: String(s.lastTerm),
    last_snapshot_index: String(s.snapshotIndex),
    last_snapshot_term: String(s.snapshotTerm),
    latest_configuration: `[${servers.map((p) => `{Suffrage:${p.voter ? 'Voter' : 'Nonvoter'} ID:${p.id} Address:${p.address}}`).join(' ')}]`,
    latest_configuration_index: String(s.configurationIndex),
    num_peers: String(peers),
    protocol_version: '3',
    protocol_version_max: '3',
    protocol_version_min: '0',
    snapshot_version_max: '1',
    snapshot_version_min: '0',
    state: s.stopped ? 'Shutdown' : (STATE[s.role] ?? 'Follower'),
    term: String(s.term),
  };
}
