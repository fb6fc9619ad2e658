import type { CatalogService } from '../model/catalog.js';
import type { HealthCheck, HealthStatus } from '../model/health.js';

/** A service as /v1/agent/services shows it (Consul's AgentService JSON), plus Datacenter. */
export type AgentServiceView = Omit<CatalogService, 'CreateIndex' | 'ModifyIndex'> & { Datacenter: string; ContentHash?: string };

/** A check as /v1/agent/checks shows it (Consul's HealthCheck JSON; the agent's copy has zero indexes). */
export type AgentCheckView = HealthCheck;

/** /v1/agent/health/service/*: the worst status of an instance's checks (node checks included). */
export interface AgentServiceHealth {
  AggregatedStatus: HealthStatus;
  Service: AgentServiceView;
  Checks: AgentCheckView[];
}

/**
 * The agent's own services and checks (the source of truth for its node, which anti-entropy
 * syncs into the catalog). Definitions come in Consul's JSON in any key case (CamelCase or
 * snake_case); invalid ones reject with BAD_REQUEST and a message saying what is wrong, and
 * nothing is registered. Writes are all or nothing and durable: with a data directory, a write
 * resolves only once its files are fsync'd; one whose files cannot be written or removed rejects
 * with STORAGE_FAILED (`failed persisting service "web": <reason>`) and changes nothing.
 */
export interface LocalAgentApi {
  /** Local services by id. */
  services(): Record<string, AgentServiceView>;
  /** One local service, or undefined. */
  service(id: string): AgentServiceView | undefined;
  /** Registers (or replaces) a service and its embedded checks; persisted when registered over HTTP. */
  registerService(definition: unknown, opts: { replaceExistingChecks: boolean }): Promise<void>;
  /** Removes a service and its checks; NOT_FOUND for an unknown id. */
  deregisterService(id: string): Promise<void>;
  /** Puts a service into or out of maintenance (a critical `_service_maintenance:<id>` check). */
  serviceMaintenance(id: string, enable: boolean, reason: string): Promise<void>;
  /** Puts the node into or out of maintenance (a critical `_node_maintenance` check). */
  nodeMaintenance(enable: boolean, reason: string): Promise<void>;
  /** Local checks by id. */
  checks(): Record<string, AgentCheckView>;
  /** Registers (or replaces) a check; persisted when registered over HTTP. */
  registerCheck(definition: unknown): Promise<void>;
  /** Removes a check; NOT_FOUND for an unknown id. */
  deregisterCheck(id: string): Promise<void>;
  /** TTL update (pass/warn/fail/update): sets status and output and re-arms the TTL. NOT_FOUND for
   * an unknown id; BAD_REQUEST for a check that is not a TTL check. */
  updateTtl(id: string, status: Exclude<HealthStatus, 'maintenance'>, output: string): Promise<void>;
  /** Aggregated health of one local instance, or undefined for an unknown id. */
  serviceHealthById(id: string): AgentServiceHealth | undefined;
  /** Aggregated health of every local instance of a service name ([] when none). */
  serviceHealthByName(name: string): AgentServiceHealth[];
  /**
   * Consul's syncChanges: resolves once every change made to the local services and checks
   * before the call has been written to the catalog (on a client agent: sent to a server by
   * RPC and committed there), so a caller that awaits it after a write reads that write from
   * /v1/catalog and /v1/health. Each service and check is synced on its own: one the catalog
   * refuses is logged and retried later by anti-entropy while the others go through. Never
   * rejects: a failed sync is logged and the local write still stands. Concurrent callers share
   * syncs: a call waits at most for the sync in flight and the next one. Resolves at once when
   * nothing syncs (no anti-entropy, or the agent is stopping).
   */
  syncChanges(): Promise<void>;
}

/**
 * Optional capability of a LocalAgentApi: change notifications, for hash-blocking reads
 * (`GET /v1/agent/service/:id?hash=…`). Probe it with hasLocalChanges.
 */
export interface LocalAgentChanges {
  /** Calls `listener` after every change to local services or checks; returns the unsubscribe function. Never blocks. */
  onChange(listener: () => void): () => void;
}

/** True when `api` offers change notifications. */
export function hasLocalChanges(api: LocalAgentApi): api is LocalAgentApi & LocalAgentChanges {
  return typeof (api as Partial<LocalAgentChanges>).onChange === 'function';
}
