import type { StatusService } from '../../contracts/services/status-service.js';
import type { RaftApi } from '../consensus/raft-api.js';

/** StatusService over this server's Raft node: leader and voters as their RPC addresses. */
export class RaftStatus implements StatusService {
  constructor(private readonly raft: RaftApi) {}

  leader(): string {
    return this.raft.leader()?.address ?? '';
  }

  peers(): string[] {
    return this.raft
      .configuration()
      .filter((p) => p.voter)
      .map((p) => p.address);
  }

  knownLeader(): boolean {
    return this.raft.leader() !== undefined;
  }

  lastContactMs(): number {
    return this.raft.lastContactMs();
  }
}
