import { ADAPTER_KEYS } from '../../contracts/plugin.js';
import type { RaftStorage } from '../../contracts/ports/log-store.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { raftStats } from '../agent/raft-stats.js';
import { MeasuredRaft } from '../consensus/measured-raft.js';
import { measureMethods } from '../rpc/measured-methods.js';
import { RaftStatus } from '../agent/raft-status.js';
import { RaftServer } from '../consensus/raft-server.js';
import { serverLeave } from './server-leave.js';
import { CatalogEndpoint } from '../rpc/catalog-endpoint.js';
import { CatalogResolver } from '../rpc/catalog-resolver.js';
import { CoordinateBatcher } from '../rpc/coordinate-batcher.js';
import { CoordinateEndpoint } from '../rpc/coordinate-endpoint.js';
import { ForwardingResolver } from '../rpc/forwarding-resolver.js';
import { HealthEndpoint } from '../rpc/health-endpoint.js';
import { KvEndpoint } from '../rpc/kv-endpoint.js';
import { RpcResolver } from '../rpc/rpc-resolver.js';
import { answersLocally, RpcRouter } from '../rpc/rpc-router.js';
import { serverMethods } from '../rpc/server-methods.js';
import { InternalEndpoint } from '../rpc/internal-endpoint.js';
import { InternalUiEndpoint } from '../rpc/internal-ui-endpoint.js';
import { OperatorEndpoint } from '../rpc/operator-endpoint.js';
import { SnapshotEndpoint } from '../rpc/snapshot-endpoint.js';
import { SessionEndpoint } from '../rpc/session-endpoint.js';
import { TxnEndpoint } from '../rpc/txn-endpoint.js';
import { StateStore } from '../state/state-store.js';
import type { AgentCore, AssemblyEnv } from './agent-core.js';
import { rpcServices } from './rpc-services.js';
import { startServerLeaderJobs } from './server-leader-jobs.js';
import type { AutopilotHealth } from '../rpc/autopilot-health.js';
import { BootstrapExpect } from './bootstrap-expect.js';
import { StreamProtocol } from '../../contracts/ports/transport.js';
import { decodeRpcReply, encodeRpcRequest } from '../rpc/rpc-codec.js';

/** How long a fresh bootstrapping server may take to elect itself before start gives up. */
const LEADERSHIP_WAIT_MS = 30_000;
/** How long bootstrap_expect waits for another server's Status.Peers answer. */
const PEERS_QUERY_TIMEOUT_MS = 5_000;

/**
 * The server assembly: the Raft storage and stream transport from their adapters, the
 * replicated state (StateStore), the Raft server, the endpoints in the RPC method table behind
 * the router's forward step (also answering other agents over the transport), the leader's
 * jobs (one leadership step), and the service contracts — RPC clients of its own router, exactly
 * as on a client.
 */
export async function startServer(env: AssemblyEnv): Promise<AgentCore> {
  const { config, logger: log, clock, random, hooks, registry, kernel, metrics } = env;

  const storageProvider = registry.select('logStore', config.adapters[ADAPTER_KEYS.logStore], config.dataDir ? 'sqlite' : 'memory');
  const storage: RaftStorage = await storageProvider.factory(kernel);
  env.onStop('raft storage', () => storage.close());
  log.info('raft storage ready', { adapter: storageProvider.id });

  const transportProvider = registry.select('transport', config.adapters[ADAPTER_KEYS.transport], 'tcp');
  const transport = await transportProvider.factory(kernel);
  await transport.start();
  env.onStop('transport', () => transport.close());

  const store = new StateStore({
    clock,
    onWatcherError: (e) => log.error('a watcher failed', { error: e }),
    onKvChange: (change) => {
      try {
        hooks.kvChanged.call(change);
      } catch (e) {
        log.error('a kvChanged tap failed', { error: e });
      }
    },
    onCatalogChange: (services) => {
      try {
        hooks.catalogChanged.call(services);
      } catch (e) {
        log.error('a catalogChanged tap failed', { error: e });
      }
    },
  });
  // Stopped after Raft (teardown runs in reverse): no entry is applied once it is closed.
  env.onStop('state machine', async () => store.close());
  const raft = new RaftServer({
    id: config.nodeId,
    address: transport.localAddress,
    bootstrap: config.bootstrap || config.dev ? [{ id: config.nodeId, address: transport.localAddress, voter: true }] : undefined,
    storage,
    stateMachine: store,
    transport,
    clock,
    random,
    logger: log,
    options: {
      multiplier: config.raft.multiplier,
      snapshotThreshold: config.raft.snapshotThreshold,
      snapshotIntervalMs: config.raft.snapshotIntervalMs,
      trailingLogs: config.raft.trailingLogs,
    },
  });
  await raft.start();
  env.onStop('raft', () => raft.stop());
  const measured = new MeasuredRaft(raft, metrics, clock); // raft.apply, raft.commitTime

  // The endpoints, registered once in the method table.
  const queryTimes = { defaultQueryTimeMs: config.defaultQueryTimeMs, maxQueryTimeMs: config.maxQueryTimeMs };
  const catalogDeps = { store, raft: measured, clock, config: { datacenter: config.datacenter, ...queryTimes } };
  // Autopilot's health, built with the leader jobs below (the Operator endpoint answers from it).
  let leaderHealth: AutopilotHealth | undefined;
  const coordinateBatcher = new CoordinateBatcher({ raft: measured, clock, logger: log.child('coordinate') });
  const table = serverMethods({
    kv: new KvEndpoint({ store, raft: measured, clock, random, config: { kvMaxValueSize: config.limits.kvMaxValueSize, ...queryTimes } }),
    catalog: new CatalogEndpoint(catalogDeps),
    health: new HealthEndpoint(catalogDeps),
    session: new SessionEndpoint({ store, raft: measured, clock, random, config: { nodeName: config.nodeName, sessionTtlMinMs: config.sessionTtlMinMs, ...queryTimes } }),
    txn: new TxnEndpoint({ store, raft: measured, clock, config: { datacenter: config.datacenter } }),
    status: new RaftStatus(raft),
    operator: new OperatorEndpoint({
      raft,
      membership: env.membership,
      transferLeadership: (id) => raft.transferLeadership(id),
      autopilot: { config: store.autopilot, raft: measured, health: () => leaderHealth },
      ownAddress: () => transport.localAddress,
      indexes: () => {
        const st = raft.stats();
        return { configurationIndex: st.configurationIndex, lastIndex: st.lastIndex, matchIndex: (id) => raft.core()?.matchIndex(id), selfId: config.nodeId };
      },
    }),
    internal: new InternalEndpoint(env.membership),
    internalUi: new InternalUiEndpoint(catalogDeps),
    snapshot: new SnapshotEndpoint({ store, raft: measured, term: () => raft.stats().term, clock }),
    coordinate: new CoordinateEndpoint({ store, raft: measured, clock, batcher: coordinateBatcher, membership: env.membership, config: { datacenter: config.datacenter, ...queryTimes } }),
  });
  measureMethods(table, metrics, clock); // kvs.apply, txn.apply, catalog.register, …
  const router = new RpcRouter({
    role: { kind: 'server', table, raft, ownAddress: () => transport.localAddress },
    datacenter: () => config.datacenter,
    streams: transport,
    clock,
    random,
    logger: log.child('rpc'),
    ...(config.rpcHoldTimeoutMs !== undefined ? { holdTimeoutMs: config.rpcHoldTimeoutMs } : {}),
  });
  const unlisten = router.listen();
  env.onStop('rpc', async () => unlisten());

  const services = rpcServices(router, () => config.nodeName);
  // The leader-only jobs (session TTLs, tombstone GC, member reconciliation, coordinate batching), stopped before Raft.
  let sessionTtlsArmed = (): number => 0;
  const { leadership, autopilotHealth } = startServerLeaderJobs({
    config: env.liveConfig, membership: env.membership, store, raft, catalog: services.catalog, health: services.health,
    hooks, clock, logger: log, onStop: env.onStop, onSessionTimers: (armed) => (sessionTtlsArmed = armed),
    raftLog: () => {
      const st = raft.stats();
      return { lastIndex: st.lastIndex, lastTerm: st.lastTerm };
    },
    peer: (id) => {
      const core = raft.core();
      const matchIndex = core?.matchIndex(id);
      return { matchIndex, matchTerm: matchIndex === undefined ? undefined : core?.termAt(matchIndex), lastContactMs: raft.peerLastContactMs(id) };
    },
    contactAllowanceMs: raft.heartbeatIntervalMs(),
  });
  leaderHealth = autopilotHealth;
  leadership.register(coordinateBatcher); // the leader writes the agents' coordinates every coordinate_update_period
  // bootstrap_expect: bootstrap Raft once the pool shows the expected servers (Consul's maybeBootstrap).
  if (config.bootstrapExpect > 0 && !config.bootstrap && !config.dev) {
    const expect = new BootstrapExpect({
      expect: config.bootstrapExpect,
      datacenter: config.datacenter,
      membership: env.membership,
      hasRaftState: () => raft.hasState(),
      peersOf: async (address) => {
        if (address === transport.localAddress) return raft.configuration().filter((p) => p.voter).map((p) => p.address);
        const frame = encodeRpcRequest('Status.Peers', {}, { minIndex: 0, waitMs: 0, consistency: 'stale' }, 1);
        return decodeRpcReply(await transport.request(address, StreamProtocol.Rpc, frame, { timeoutMs: PEERS_QUERY_TIMEOUT_MS })) as string[];
      },
      bootstrap: (servers) => raft.bootstrapCluster(servers),
      clock,
      logger: log.child('server'),
    });
    expect.start();
    env.onStop('bootstrap expect', async () => {
      expect.stop();
      await expect.idle();
    });
  }
  const local = new CatalogResolver(catalogDeps);
  const resolver = new ForwardingResolver(local, new RpcResolver(services), (opts, dc) => {
    const ours = dc === undefined || dc === '' || dc.toLowerCase() === config.datacenter.toLowerCase();
    return ours && (answersLocally('read', opts) || raft.isLeader());
  });
  env.onStop('resolver', async () => resolver.close());

  return {
    role: 'server',
    services: { ...services, resolver },
    address: transport.localAddress,
    leaderAddress: () => raft.leader()?.address ?? '',
    raftStats: () => raftStats(raft, config.nodeId),
    collectMetrics: () => {
      if (raft.isLeader()) metrics.setGauge('session_ttl.active', sessionTtlsArmed());
      else if (raft.leader()) metrics.addSample('raft.leader.lastContact', raft.lastContactMs());
    },
    ready: () => (config.bootstrap || config.dev ? awaitLeadership(raft, clock) : Promise.resolve()),
    leave: () =>
      serverLeave({
        raft,
        membership: env.membership,
        selfId: config.nodeId,
        clock,
        logger: log.child('server'),
        startLeaving: () => router.startLeaving(),
        ...(config.leaveDrainTimeMs !== undefined ? { drainMs: config.leaveDrainTimeMs } : {}),
      }),
  };
}

function awaitLeadership(raft: RaftServer, clock: AssemblyEnv['clock']): Promise<void> {
  if (raft.isLeader()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      off();
      reject(new SextantError(ErrorCode.NoLeader, `no cluster leader after ${LEADERSHIP_WAIT_MS} ms`));
    }, LEADERSHIP_WAIT_MS);
    const off = raft.onLeadershipChange((isLeader) => {
      if (!isLeader) return;
      timer.cancel();
      off();
      resolve();
    });
  });
}
