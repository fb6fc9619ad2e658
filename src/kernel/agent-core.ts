import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { AgentHooks } from '../../contracts/hooks.js';
import type { KernelServices } from '../../contracts/plugin.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type { Resolver } from '../../contracts/ports/resolver.js';
import type { Metrics } from '../../contracts/ports/metrics.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import type { CoordinateApi } from '../../contracts/services/coordinate-service.js';
import type { KvService } from '../../contracts/services/kv-service.js';
import type { SessionApi } from '../../contracts/services/session-service.js';
import type { OperatorService } from '../../contracts/services/operator-service.js';
import type { SnapshotService } from '../../contracts/services/snapshot-service.js';
import type { StatusService } from '../../contracts/services/status-service.js';
import type { TxnApi } from '../../contracts/services/txn-service.js';
import type { InternalUiApi } from '../../contracts/services/internal-ui-service.js';
import type { InternalRpcClient } from '../rpc/clients/internal-rpc-client.js';
import type { ProviderRegistry } from './provider-registry.js';

/** The service contracts an assembly gives the rest of the agent: the same on a server and a client. */
export interface CoreServices {
  readonly kv: KvService;
  readonly catalog: CatalogApi;
  readonly health: HealthApi;
  readonly session: SessionApi;
  readonly txn: TxnApi;
  readonly status: StatusService;
  /** The Operator.Raft* RPCs (/v1/operator/raft/*). */
  readonly operator: OperatorService;
  /** The Internal.* RPCs (user events go into the pool through a server). */
  readonly internal: InternalRpcClient;
  /** The UI's catalog dumps (Internal.ServiceDump / Internal.NodeDump RPCs). */
  readonly internalUi: InternalUiApi;
  /** Network coordinates (Coordinate.* RPCs). */
  readonly coordinate: CoordinateApi;
  /** The Snapshot.* RPCs (/v1/snapshot). */
  readonly snapshot: SnapshotService;
  readonly resolver: Resolver;
}

/**
 * What the agent's role builds: a server (Raft, the replicated state, the endpoints and the
 * leader's jobs) or a client (an RPC client to the servers). Surfaces, local state,
 * anti-entropy and checks are built on top from `services` and cannot tell which they have.
 */
export interface AgentCore {
  readonly role: 'server' | 'client';
  readonly services: CoreServices;
  /** The stream transport's address (the server RPC address on a server). */
  readonly address: string;
  /** The leader's RPC address as this agent knows it without asking anyone ('' when unknown or on a client). */
  leaderAddress(): string;
  /** hashicorp/raft's stats for /v1/agent/self (servers only). */
  raftStats?(): Record<string, string>;
  /** Periodic gauges the core reports (e.g. session_ttl.active, raft.leader.lastContact); called every second. */
  collectMetrics?(): void;
  /** Resolves once the core may serve: a bootstrapping server has elected itself; a client at once. */
  ready(): Promise<void>;
  /**
   * The role's graceful leave, which leaves the LAN pool itself (a server's is Consul's
   * Server.Leave: out of the Raft configuration, then out of the pool). Absent: the agent just
   * leaves the pool.
   */
  leave?(): Promise<void>;
}

/** What an assembly is built from. */
export interface AssemblyEnv {
  readonly config: RuntimeConfig;
  /** The live config (it changes on reload). */
  readonly liveConfig: () => RuntimeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  readonly hooks: AgentHooks;
  /** Where the core records its measurements (Raft, RPC endpoints). */
  readonly metrics: Metrics;
  readonly registry: ProviderRegistry;
  /** The agent's member pool (a server's leader reconciles the catalog with it). */
  readonly membership: Membership;
  /** The container's cradle, handed to provider factories. */
  readonly kernel: KernelServices;
  /** Registers a teardown step (run in reverse order when the agent stops). */
  onStop(what: string, run: () => Promise<void>): void;
}
