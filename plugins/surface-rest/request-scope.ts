import type { Context } from 'koa';
import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { QueryOptions, RequestContext } from '../../contracts/model/query.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { AgentService } from '../../contracts/services/agent-service.js';
import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import type { CoordinateApi } from '../../contracts/services/coordinate-service.js';
import type { KvService } from '../../contracts/services/kv-service.js';
import type { LocalAgentApi } from '../../contracts/services/local-agent-service.js';
import type { SessionApi } from '../../contracts/services/session-service.js';
import type { StatusService } from '../../contracts/services/status-service.js';
import type { OperatorService } from '../../contracts/services/operator-service.js';
import type { SnapshotService } from '../../contracts/services/snapshot-service.js';
import type { TxnApi } from '../../contracts/services/txn-service.js';
import type { InternalUiApi } from '../../contracts/services/internal-ui-service.js';
import type { EventService } from '../../contracts/services/event-service.js';
import type { TelemetryApi } from '../../contracts/services/telemetry-service.js';
import type { Metrics } from '../../contracts/ports/metrics.js';

/** What the REST surface is built from (RestSurface's constructor options). */
export interface RestSurfaceDeps {
  readonly config: RuntimeConfig;
  readonly kv: KvService;
  readonly status: StatusService;
  /** The Raft operator endpoints (/v1/operator/raft/*); their routes answer 500 when absent. */
  readonly operator?: OperatorService;
  /** The Snapshot endpoints (/v1/snapshot); the route answers 500 when absent. */
  readonly snapshot?: SnapshotService;
  readonly agent: AgentService;
  /** The replicated catalog (/v1/catalog/*); its routes answer 500 when absent. */
  readonly catalog?: CatalogApi;
  /** The health reads (/v1/health/*); their routes answer 500 when absent. */
  readonly health?: HealthApi;
  /** The UI's catalog dumps (/v1/internal/ui/services, /v1/internal/ui/nodes); their routes answer 500 when absent. */
  readonly internalUi?: InternalUiApi;
  /** The agent's own services and checks (/v1/agent/service*, /v1/agent/check*); their routes answer 500 when absent. */
  readonly localAgent?: LocalAgentApi;
  /** Sessions (/v1/session/*); their routes answer 500 when absent. */
  readonly session?: SessionApi;
  /** Transactions (/v1/txn); the route answers 500 when absent. */
  readonly txn?: TxnApi;
  /** User events (/v1/event/*); the routes answer 500 when absent. */
  readonly events?: EventService;
  /** Log monitor and metrics views (/v1/agent/monitor, /v1/agent/metrics); their routes answer 500 when absent. */
  readonly telemetry?: TelemetryApi;
  /** Network coordinates (/v1/coordinate/*); their routes answer 500 when absent. */
  readonly coordinate?: CoordinateApi;
  /** Where the surface records `http.<METHOD>.<path>` request times; nothing is recorded when absent. */
  readonly metrics?: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
}

/** One request as a handler sees it. */
export interface RequestScope {
  readonly ctx: Context;
  /** The query string, parsed like Go's url.Query (first value wins on get; presence via has). */
  readonly query: URLSearchParams;
  /** Route parameters, URL-decoded (e.g. `key` for /v1/kv/*key; '' on /v1/kv/). */
  readonly params: Readonly<Record<string, string>>;
  /**
   * Fires when the client goes away or the surface stops; pass it to blocking reads. It belongs to
   * the connection (shared by every request a keep-alive client sends on it), so whoever adds an
   * 'abort' listener must remove it when the request is done (blockingQuery does).
   */
  readonly signal: AbortSignal;
  readonly deps: RestSurfaceDeps;
  /** The request's write context, once parsed (request-context.ts's memo; nobody else sets it). */
  writeContext?: RequestContext;
  /** The request's read context, once parsed (request-context.ts's memo; nobody else sets it). */
  readContext?: QueryOptions;
}

/** A route handler: writes the answer to `scope.ctx` or throws a SextantError. */
export type Handler = (scope: RequestScope) => Promise<void>;
