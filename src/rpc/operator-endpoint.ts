import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { RequestContext } from '../../contracts/model/query.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type { OperatorService, RaftConfigurationReply, RaftPeerSelector, RaftTransferLeaderReply } from '../../contracts/services/operator-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { serverParts } from '../membership/server-parts.js';

/** What OperatorEndpoint is built from. */
export interface OperatorEndpointDeps {
  raft: Pick<RaftApi, 'configuration' | 'leader' | 'removeServer'>;
  /** The pool (a server's Node name and raft_vsn come from the member with its address). */
  membership: Pick<Membership, 'members'>;
  /** The configuration entry's index, this server's last log index, and a peer's replicated index as the leader knows it. */
  /** Raft leadership transfer (RaftServer.transferLeadership): resolves with the new leader's id. */
  transferLeadership?: (id?: string) => Promise<string>;
  indexes: () => { configurationIndex: number; lastIndex: number; matchIndex: (id: string) => number | undefined; selfId: string };
}

/**
 * Consul's Operator endpoint, Raft part (agent/consul/operator_raft_endpoint.go):
 * RaftGetConfiguration joins the Raft configuration with the pool (Node, ProtocolVersion by the
 * member whose Addr + `port` tag is the server's address); RaftRemovePeerByID/ByAddress remove a
 * server with Consul's "not found" messages.
 */
export class OperatorEndpoint implements OperatorService {
  constructor(private readonly deps: OperatorEndpointDeps) {}

  /** Operator.RaftGetConfiguration. */
  async raftConfiguration(_ctx?: RequestContext): Promise<RaftConfigurationReply> {
    const byAddress = new Map<string, { name: string; raftVsn: string }>();
    for (const m of this.deps.membership.members()) {
      const p = serverParts(m);
      if (p) byAddress.set(p.address, { name: m.Name, raftVsn: m.Tags['raft_vsn'] ?? 'unknown' });
    }
    const leader = this.deps.raft.leader()?.address ?? '';
    const ix = this.deps.indexes();
    const Servers = this.deps.raft.configuration().map((s) => {
      const member = byAddress.get(s.address);
      return {
        ID: s.id,
        Node: member?.name ?? '(unknown)',
        Address: s.address,
        Leader: s.address === leader,
        ProtocolVersion: member?.raftVsn ?? 'unknown',
        Voter: s.voter,
        LastIndex: s.id === ix.selfId ? ix.lastIndex : (ix.matchIndex(s.id) ?? 0),
      };
    });
    return { Servers, Index: ix.configurationIndex };
  }

  /** Operator.RaftRemovePeerByID / Operator.RaftRemovePeerByAddress. */
  async raftRemovePeer(peer: RaftPeerSelector, _ctx?: RequestContext): Promise<void> {
    const servers = this.deps.raft.configuration();
    if ('id' in peer) {
      if (!servers.some((s) => s.id === peer.id)) throw new SextantError(ErrorCode.NotFound, `id "${peer.id}" was not found in the Raft configuration`);
      await this.deps.raft.removeServer(peer.id);
      return;
    }
    const s = servers.find((x) => x.address === peer.address);
    if (!s) throw new SextantError(ErrorCode.NotFound, `address "${peer.address}" was not found in the Raft configuration`);
    await this.deps.raft.removeServer(s.id);
  }

  /** Operator.RaftLeaderTransfer: Consul's checks (a known voter, not this leader), then the transfer. */
  async raftTransferLeader(id: string, _ctx?: RequestContext): Promise<RaftTransferLeaderReply> {
    const transfer = this.deps.transferLeadership;
    if (!transfer) throw new SextantError(ErrorCode.NotImplemented, 'leadership transfer is not available on this server');
    if (id !== '') {
      const s = this.deps.raft.configuration().find((x) => x.id === id);
      if (!s) throw new SextantError(ErrorCode.BadRequest, `id "${id}" was not found in the Raft configuration`);
      if (s.address === this.deps.raft.leader()?.address) throw new SextantError(ErrorCode.BadRequest, 'cannot transfer leadership to itself');
      if (!s.voter) throw new SextantError(ErrorCode.BadRequest, `cannot transfer leadership to non-voter "${id}"`);
    }
    await transfer(id === '' ? undefined : id);
    return { Success: true };
  }
}
