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
import { AutopilotConfigSeed } from '../rpc/autopilot-config-seed.js';
import { AutopilotHealth, type PeerView } from '../rpc/autopilot-health.js';
import type { AutopilotSettings } from '../../contracts/services/operator-service.js';
import type { StateStore } from '../state/state-store.js';
import { Leadership } from './leadership.js';

/** What a server's leader jobs are built from. */
export interface ServerLeaderJobsDeps {
  /** The live runtime config. */
  config: () => RuntimeConfig;
  /** The pool the member reconciliation makes the catalog follow. */
  membership: Pick<Membership, 'members' | 'onEvent'>;
  store: StateStore;
  raft: Pick<RaftApi, 'propose' | 'isLeader' | 'leader' | 'onLeadershipChange' | 'configuration' | 'addVoter' | 'addNonvoter' | 'removeServer'>;
  /** This server's log: last index and term (autopilot's health compares every server with them). */
  raftLog: () => { lastIndex: number; lastTerm: number };
  /** What the leader knows of another server (replicated index and its term, last contact). */
  peer: (id: string) => PeerView;
  /** See AutopilotHealthDeps.contactAllowanceMs (the leader's heartbeat interval). */
  contactAllowanceMs?: number;
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

/** What startServerLeaderJobs hands back. */
export interface ServerLeaderJobs {
  leadership: Leadership;
  /** Autopilot's server health (the Operator endpoint's health and state answers). */
  autopilotHealth: AutopilotHealth;
  /** The autopilot settings in force: the replicated configuration, else this agent's config. */
  autopilotSettings: () => AutopilotSettings;
}

/**
 * Builds and starts a server's leader-only jobs: one Leadership step following Raft with, in
 * order, the autopilot configuration seed (Consul's getOrCreateAutopilotConfig), the session TTL
 * timers, the KV tombstone GC (fed by the kvChanged hook), the member reconciliation (the catalog
 * follows `membership`), autopilot's server health and the Raft server reconciliation (the Raft
 * configuration follows the pool's servers; new ones promoted to voters once stable, failed
 * ones removed with cleanup_dead_servers). Teardown revokes the jobs.
 */
export function startServerLeaderJobs(deps: ServerLeaderJobsDeps): ServerLeaderJobs {
  const { config, store, raft, clock, hooks, logger, membership } = deps;
  const leadership = new Leadership({ source: raft, logger: logger.child('leader'), hooks });
  const autopilotSettings = (): AutopilotSettings => store.autopilot.get()?.settings ?? config().autopilot;
  // The first leader stores its autopilot settings in the replicated state.
  leadership.register(new AutopilotConfigSeed({ store, raft, configured: () => config().autopilot, clock, logger: logger.child('autopilot') }));
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
  // Autopilot's view of every server's health (promotion, /v1/operator/autopilot/health).
  const autopilotHealth = new AutopilotHealth({
    membership,
    raft,
    local: () => ({ id: config().nodeId, datacenter: config().datacenter, ...deps.raftLog() }),
    peer: deps.peer,
    settings: autopilotSettings,
    ...(deps.contactAllowanceMs !== undefined ? { contactAllowanceMs: deps.contactAllowanceMs } : {}),
    clock,
  });
  leadership.register(autopilotHealth);
  // The Raft configuration follows the pool's servers: alive ones added then promoted, left, reaped and (autopilot) failed ones removed.
  leadership.register(new RaftServerReconciler({
    membership,
    raft,
    autopilot: autopilotSettings,
    health: autopilotHealth,
    local: () => ({ datacenter: config().datacenter, id: config().nodeId }),
    clock,
    logger: logger.child('leader'),
  }));
  leadership.start();
  deps.onStop('leader jobs', () => leadership.stop());
  return { leadership, autopilotHealth, autopilotSettings };
}
