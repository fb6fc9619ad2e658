import type { StatusService } from '../../contracts/services/status-service.js';
import type { RaftApi } from '../consensus/raft-api.js';

/** The Status endpoint (Consul's Status RPC) over this server's Raft node: the leader and the servers as their RPC addresses. */
export class RaftStatus implements StatusService {
  constructor(private readonly raft: Pick<RaftApi, 'leader' | 'configuration'>) {}

  /** Status.Leader: the leader's RPC address, '' when none is known. */
  async leader(): Promise<string> {
    return this.raft.leader()?.address ?? '';
  }

  /** Status.Peers: every server of the Raft configuration (voters and non-voters, as Consul's), in configuration order. */
  async peers(): Promise<string[]> {
    return this.raft.configuration().map((p) => p.address);
  }
}
