import type { Clock, Logger } from '../../contracts/platform.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type { RaftApi } from '../consensus/raft-api.js';

/** Consul's raftRemoveGracePeriod: how long a leaving follower waits for the leader to remove it from the Raft configuration. */
export const RAFT_REMOVE_GRACE_MS = 5_000;
/** How often a leaving follower looks at the configuration while it waits (Consul: 50 ms). */
export const RAFT_LEAVE_POLL_MS = 50;

/** What serverLeave needs. */
export interface ServerLeaveDeps {
  raft: Pick<RaftApi, 'isLeader' | 'configuration' | 'removeServer'>;
  membership: Pick<Membership, 'leave'>;
  /** This server's Raft id (its node id). */
  selfId: string;
  clock: Clock;
  logger: Logger;
  /** The follower's wait (default RAFT_REMOVE_GRACE_MS). */
  removeGraceMs?: number;
  /** The follower's poll interval (default RAFT_LEAVE_POLL_MS). */
  pollMs?: number;
  /** Consul's leave_drain_time: how long to refuse forwarded RPCs after leaving the pool (default LEAVE_DRAIN_MS). */
  drainMs?: number;
  /** Starts refusing the RPCs that need a leader (RpcRouter.startLeaving). */
  startLeaving?: () => void;
}

/** Consul's default performance.leave_drain_time. */
export const LEAVE_DRAIN_MS = 5_000;

/**
 * Consul's Server.Leave (agent/consul/server.go), a server agent's graceful leave:
 *
 * - a leader with other voters first removes itself from the Raft configuration (it steps down
 *   once that configuration commits, and the remaining voters elect a new leader), so the quorum
 *   shrinks safely;
 * - then the LAN pool is left (the pool sees this server `left`, and the leader's reconciliation
 *   removes a follower from the configuration);
 * - a follower then waits up to RAFT_REMOVE_GRACE_MS for the leader to take it out of the
 *   configuration, so that its shutdown cannot cost the cluster its quorum; it logs
 *   `failed to leave raft configuration gracefully, timeout` when that does not happen;
 * - between the two, as Consul's leave_drain_time: once out of the pool the server refuses every
 *   request that needs a leader with `No cluster leader` (client agents retry on another server)
 *   and waits `drainMs` (5 s) so requests in flight are retried elsewhere.
 *
 * Failures are logged, never thrown: the agent shuts down afterwards either way, as Consul's does.
 */
export async function serverLeave(deps: ServerLeaveDeps): Promise<void> {
  const { raft, logger, selfId } = deps;
  logger.info('server starting leave');
  const numPeers = raft.configuration().filter((s) => s.voter).length;
  const isLeader = raft.isLeader();
  if (isLeader && numPeers > 1) {
    try {
      await raft.removeServer(selfId);
    } catch (e) {
      // A leader that steps down as its own removal commits may see the proposal end with
      // LEADERSHIP_LOST; only a configuration that still holds this server is a failure.
      if (raft.configuration().some((s) => s.id === selfId)) logger.error('failed to remove ourself as a Raft peer', { error: e });
    }
  }
  try {
    await deps.membership.leave();
  } catch (e) {
    logger.error('failed to leave LAN Serf cluster', { error: e });
  }
  const drainMs = deps.drainMs ?? LEAVE_DRAIN_MS;
  logger.info('Waiting to drain RPC traffic', { drain_time: `${drainMs}ms` });
  deps.startLeaving?.();
  if (drainMs > 0) await sleep(deps.clock, drainMs);
  if (isLeader) return;
  const deadline = deps.clock.now() + (deps.removeGraceMs ?? RAFT_REMOVE_GRACE_MS);
  let left = false;
  while (!left && deps.clock.now() < deadline) {
    await sleep(deps.clock, deps.pollMs ?? RAFT_LEAVE_POLL_MS);
    left = !raft.configuration().some((s) => s.id === selfId);
  }
  if (!left) logger.warn('failed to leave raft configuration gracefully, timeout');
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
