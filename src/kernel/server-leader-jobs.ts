import type { AgentHooks } from '../../contracts/hooks.js';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { MemberReconciler } from '../rpc/member-reconciler.js';
import { RaftServerReconciler } from '../rpc/raft-server-reconciler.js';
import { SessionTtlTimers } from '../rpc/session-ttl-timers.js';
import { TombstoneGc } from '../rpc/tombstone-gc.js';
import type { StateStore } from '../state/state-store.js';
import { Leadership } from './leadership.js';

/** What a server's leader jobs are built from. */
export interface ServerLeaderJobsDeps {
  /** The live runtime config. */
  config: () => RuntimeConfig;
  /** The pool the member reconciliation makes the catalog follow. */
  membership: Membership;
  store: StateStore;
  raft: Pick<RaftApi, 'propose' | 'isLeader' | 'onLeadershipChange' | 'configuration' | 'addVoter' | 'addNonvoter' | 'removeServer'>;
  /** How far a server trails the leader's log, when the leader knows it (autopilot's health for promotion). */
  trailingLogs?: (id: string) => number | undefined;
  catalog: CatalogApi;
  health: HealthApi;
  hooks: AgentHooks;
  clock: Clock;
  logger: Logger;
  /** Registers a teardown step (run in reverse registration order). */
  onStop: (what: string, run: () => Promise<void>) => void;
  /** Receives the count of armed session TTL timers (for the session_ttl.active gauge). */
  onSessionTimers?: (armed: () => number) => void;
}

/**
 * Builds and starts a server's leader-only jobs: one Leadership step following Raft with, in
 * order, the session TTL timers, the KV tombstone GC (fed by the kvChanged hook), the member
 * reconciliation (the catalog follows `membership`) and the Raft server reconciliation (the Raft
 * configuration follows the pool's servers; new ones promoted to voters after stabilization). Teardown revokes the jobs.
 */
export function startServerLeaderJobs(deps: ServerLeaderJobsDeps): Leadership {
  const { config, store, raft, clock, hooks, logger, membership } = deps;
  const leadership = new Leadership({ source: raft, logger: logger.child('leader'), hooks });
  // The leader's session TTL timers (armed from the replicated deadlines).
  const ttlTimers = new SessionTtlTimers({ store, raft, clock, logger: logger.child('session') });
  leadership.register(ttlTimers);
  deps.onSessionTimers?.(() => ttlTimers.armed()); // the session_ttl.active gauge
  // The leader's KV tombstone reaping (15 min TTL, 30 s windows), fed by applied deletes.
  const tombstoneGc = new TombstoneGc({ store, raft, clock, logger: logger.child('kv') });
  hooks.kvChanged.tap('tombstone-gc', (change) => tombstoneGc.observe(change));
  leadership.register(tombstoneGc);
  // The catalog follows the pool: serfHealth, the consul service, left and reaped nodes.
  leadership.register(new MemberReconciler({
    membership,
    catalog: deps.catalog,
    health: deps.health,
    local: () => ({ datacenter: config().datacenter, nodeName: config().nodeName }),
    clock,
    logger: logger.child('leader'),
  }));
  // The Raft configuration follows the pool's servers: alive ones added, left and reaped ones removed.
  leadership.register(new RaftServerReconciler({
    membership,
    raft,
    ...(deps.trailingLogs ? { trailingLogs: deps.trailingLogs } : {}),
    local: () => ({ datacenter: config().datacenter, id: config().nodeId }),
    clock,
    logger: logger.child('leader'),
  }));
  leadership.start();
  deps.onStop('leader jobs', () => leadership.stop());
  return leadership;
}
