import type { PluginHooks } from './hooks.js';
import type { Clock, Logger, Random } from './platform.js';
import type { RuntimeConfig } from './runtime-config.js';
import type { ConnectionTransport, PacketTransport, StreamTransport } from './ports/transport.js';
import type { RaftStorage } from './ports/log-store.js';
import type { StateMachine } from './ports/state-machine.js';
import type { CheckRunner } from './ports/check-runner.js';
import type { Resolver } from './ports/resolver.js';
import type { ApiSurface } from './ports/api-surface.js';
import type { KvService } from './services/kv-service.js';
import type { StatusService } from './services/status-service.js';
import type { OperatorService } from './services/operator-service.js';
import type { SnapshotService } from './services/snapshot-service.js';
import type { AgentService } from './services/agent-service.js';
import type { CatalogApi, HealthApi } from './services/catalog-service.js';
import type { InternalUiApi } from './services/internal-ui-service.js';
import type { CoordinateApi } from './services/coordinate-service.js';
import type { LocalAgentApi } from './services/local-agent-service.js';
import type { SessionApi } from './services/session-service.js';
import type { TxnApi } from './services/txn-service.js';
import type { EventService } from './services/event-service.js';
import type { Metrics } from './ports/metrics.js';
import type { TelemetryApi } from './services/telemetry-service.js';

/** The kernel API version plugins declare a semver range against. */
export const KERNEL_API_VERSION = '1.0.0';

/** The ports a plugin can provide, and the type each provider must return. */
export interface PortTypes {
  /** The stream plane (Raft, RPC; later gossip push/pull). */
  transport: StreamTransport;
  /** The packet plane (gossip probes and broadcasts). */
  packetTransport: PacketTransport;
  /** The connection plane (gossip push/pull, joins and the TCP fallback probe: raw bytes on the serf port). */
  connectionTransport: ConnectionTransport;
  logStore: RaftStorage;
  stateMachine: StateMachine;
  checkRunner: CheckRunner;
  resolver: Resolver;
  apiSurface: ApiSurface;
}
export type PortName = keyof PortTypes;

/** Ports with exactly one active provider (chosen by `adapters` in config); the others take many. */
export const SINGLE_SLOT_PORTS: readonly PortName[] = ['transport', 'packetTransport', 'connectionTransport', 'logStore', 'stateMachine', 'resolver'];

/** The `adapters` config key for each single-slot port. */
export const ADAPTER_KEYS: Readonly<Record<PortName, string>> = {
  transport: 'transport',
  packetTransport: 'packet_transport',
  connectionTransport: 'connection_transport',
  logStore: 'log_store',
  stateMachine: 'state_machine',
  resolver: 'resolver',
  checkRunner: 'check_runner',
  apiSurface: 'api_surface',
};

/**
 * What a provider factory may use. Resolved lazily: touch only what you need, and only inside
 * the factory or later (touching a service that depends on your own port is a cycle).
 *
 * A `checkRunner` factory is also called while a configuration is loaded (`sextant validate`,
 * agent start before anything runs, reload) to check the config files' definitions with the
 * runner's `accepts` and `validate`; there only `config`, `logger`, `clock`, `random`, `hooks`
 * and `checkRunners` are available (the others throw), and the runner is closed without a probe.
 */
export interface KernelServices {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  /** The agent's hooks, tap-only (the same frozen object as PluginContext.hooks). */
  readonly hooks: PluginHooks;
  readonly kv: KvService;
  readonly status: StatusService;
  /** The Raft operator endpoints (/v1/operator/raft/*), answered by the leader. */
  readonly operator: OperatorService;
  /** The Snapshot RPCs (/v1/snapshot): save and restore the whole state, answered by the leader. */
  readonly snapshot: SnapshotService;
  readonly agent: AgentService;
  readonly catalog: CatalogApi;
  readonly health: HealthApi;
  /** The web UI's catalog dumps (/v1/internal/ui/services, /v1/internal/ui/nodes). */
  readonly internalUi: InternalUiApi;
  readonly localAgent: LocalAgentApi;
  /** Sessions (/v1/session/*), the basis of KV locks. */
  readonly session: SessionApi;
  /** Transactions (/v1/txn): KV, node, service and check operations applied all-or-nothing. */
  readonly txn: TxnApi;
  /** User events (/v1/event/*): fired into the pool through a server, the recent ones kept. */
  readonly events: EventService;
  /** Every loaded check runner (the checkRunner port's providers), by kind. */
  readonly checkRunners: ReadonlyMap<string, CheckRunner>;
  readonly resolver: Resolver;
  /** Where measurements go (Consul's metric names without `consul.`, e.g. `dns.domain_query`). */
  readonly metrics: Metrics;
  /** The agent's log monitor and metrics views (/v1/agent/monitor, /v1/agent/metrics). */
  readonly telemetry: TelemetryApi;
  /** Network coordinates (/v1/coordinate/*, `?near`, `sextant rtt`). */
  readonly coordinate: CoordinateApi;
}

export type ProviderFactory<P extends PortName> = (services: KernelServices) => PortTypes[P] | Promise<PortTypes[P]>;

/** Handed to a plugin's `register`. */
export interface PluginContext {
  /** The plugin's name (also its tap name and logger name). */
  readonly name: string;
  /** plugin_config.<name>, validated against the manifest's configSchema (with its defaults applied). */
  readonly pluginConfig: unknown;
  /** The agent's runtime config at load time. */
  readonly config: RuntimeConfig;
  /**
   * The agent's hooks, to tap and never to call: each hook offers only `tap` (and, on the async
   * lifecycle hooks starting / started / stopping / reload, `tapAsync` and `tapPromise`). Use the
   * plugin's name as the tap name. The kernel fires the hooks; calling one is a type error and
   * impossible at runtime (the facade has no `call` / `promise`).
   */
  readonly hooks: PluginHooks;
  readonly logger: Logger;
  /**
   * Registers a provider of `port` under `id` (e.g. `sqlite` for logStore). An id is unique per
   * port. The agent takes transport, logStore, checkRunner and apiSurface providers from plugins;
   * offering another port throws PLUGIN_REGISTER_FAILED (the kernel supplies stateMachine and
   * resolver itself).
   */
  provide<P extends PortName>(port: P, id: string, factory: ProviderFactory<P>): void;
}

/** The default export of a plugin module. */
export interface PluginManifest {
  /** Unique, kebab-case, e.g. `log-store-sqlite`. */
  readonly name: string;
  /** The plugin's own semver version. */
  readonly version: string;
  /** A semver range of KERNEL_API_VERSION this plugin works with, e.g. `^1.0.0`. */
  readonly kernel: string;
  readonly description?: string;
  /** Names of plugins that must be registered first. */
  readonly dependencies?: readonly string[];
  /** A JSON Schema (draft 2020-12 or 07 subset ajv accepts) for plugin_config.<name>. */
  readonly configSchema?: Readonly<Record<string, unknown>>;
  /**
   * JSON Schemas of the check-definition fields this plugin's check kinds add (snake_case field
   * name → schema), e.g. `{ file_exists: { type: 'string', pattern: '^/' } }`. Config files and
   * API registrations are validated with them, so a typo in a plugin's field is an error naming
   * the file and JSON pointer. A name may not be a core check-definition field, nor be declared
   * by two loaded plugins.
   */
  readonly checkFields?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /**
   * Registers providers and taps hooks (ctx.hooks), and does nothing else: it also runs, against
   * throwaway hooks, each time a configuration is loaded (validate, start, reload). May be async; a throw
   * fails agent start (and that load) with PLUGIN_REGISTER_FAILED.
   */
  register(ctx: PluginContext): void | Promise<void>;
}

/** Identity helper that gives a plugin's default export its type. */
export function definePlugin(manifest: PluginManifest): PluginManifest {
  return manifest;
}
