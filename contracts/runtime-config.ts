import type { LogLevel } from './platform.js';

/**
 * The agent's runtime configuration: built once by src/config from defaults, config files and
 * CLI flags (Consul's snake_case user shape), validated, then frozen. Everything outside
 * src/config reads only this shape. Durations are milliseconds; sizes are bytes.
 */
export interface RuntimeConfig {
  readonly datacenter: string;
  readonly nodeName: string;
  /** Persisted node UUID; '' until the agent assigns one at start. */
  readonly nodeId: string;
  readonly nodeMeta: Readonly<Record<string, string>>;
  /** Absent: keep all state in memory (only allowed with dev). */
  readonly dataDir: string | undefined;
  readonly dev: boolean;
  readonly server: boolean;
  readonly bootstrap: boolean;
  readonly bootstrapExpect: number;
  readonly bindAddr: string;
  readonly advertiseAddr: string;
  readonly clientAddrs: readonly string[];
  readonly ports: Readonly<{
    http: number;
    https: number;
    dns: number;
    grpc: number;
    server: number;
    serfLan: number;
    serfWan: number;
  }>;
  readonly logLevel: LogLevel;
  readonly logJson: boolean;
  readonly enableScriptChecks: boolean;
  readonly enableLocalScriptChecks: boolean;
  readonly domain: string;
  readonly altDomain: string;
  readonly recursors: readonly string[];
  readonly limits: Readonly<{
    kvMaxValueSize: number;
    txnMaxReqLen: number;
    httpMaxConnsPerClient: number;
  }>;
  /** performance.rpc_hold_timeout: how long a request waits for a leader or a server, in ms (absent: 7 s). */
  readonly rpcHoldTimeoutMs?: number;
  /** performance.leave_drain_time: how long a leaving server refuses forwarded RPCs before it goes on, in ms (absent: 5 s). */
  readonly leaveDrainTimeMs?: number;
  /** discovery_max_stale: catalog/health reads without a consistency parameter are stale up to this lag, in ms (absent or 0: off). */
  readonly discoveryMaxStaleMs?: number;
  readonly defaultQueryTimeMs: number;
  readonly maxQueryTimeMs: number;
  /** session_ttl_min: the shortest session TTL accepted, in ms (Consul's default 10 s). */
  readonly sessionTtlMinMs: number;
  readonly raft: Readonly<{
    snapshotThreshold: number;
    snapshotIntervalMs: number;
    trailingLogs: number;
    /** performance.raft_multiplier (1..10); dev uses 1. */
    multiplier: number;
  }>;
  /** autopilot { cleanup_dead_servers, last_contact_threshold, max_trailing_logs, min_quorum, server_stabilization_time }: the settings the first leader stores in the replicated state. */
  readonly autopilot: Readonly<{
    cleanupDeadServers: boolean;
    lastContactThresholdMs: number;
    maxTrailingLogs: number;
    minQuorum: number;
    serverStabilizationTimeMs: number;
  }>;
  /** ui_config.enabled (-ui; on by default with -dev): the web UI is served on the HTTP address. */
  readonly ui: boolean;
  /** ui_config.content_path: where the UI is served, with a leading and trailing `/` (Consul's default `/ui/`). */
  readonly uiContentPath: string;
  readonly pidFile: string | undefined;
  /** start_join (-join): agents joined once at start; the agent fails to start when none answers. */
  readonly startJoin: readonly string[];
  /** retry_join (-retry-join): agents joined at start, retried every retryIntervalMs until one answers. */
  readonly retryJoin: readonly string[];
  /** retry_interval (-retry-interval): the wait between retry_join attempts (Consul's default 30 s). */
  readonly retryIntervalMs: number;
  /** retry_max (-retry-max): retry_join attempts after the first before the agent exits; 0 = forever. */
  readonly retryMax: number;
  /** rejoin_after_leave (-rejoin): rejoin the snapshot's members even after a graceful leave. */
  readonly rejoinAfterLeave: boolean;
  /** leave_on_terminate: SIGTERM leaves the pool gracefully first (default: true on clients, false on servers). */
  readonly leaveOnTerminate: boolean;
  /** skip_leave_on_interrupt: SIGINT shuts down without leaving the pool (default: true on servers, false on clients). */
  readonly skipLeaveOnInterrupt: boolean;
  /** encrypt (-encrypt): the gossip key, base64 of 16, 24 or 32 bytes; '' = no gossip encryption. */
  readonly encrypt: string;
  /** encrypt_verify_incoming: refuse unencrypted gossip (default true). */
  readonly encryptVerifyIncoming: boolean;
  /** encrypt_verify_outgoing: send gossip encrypted (default true). */
  readonly encryptVerifyOutgoing: boolean;
  /** disable_keyring_file (-disable-keyring-file): keep the keyring in memory, not in data_dir/serf/local.keyring. */
  readonly disableKeyringFile: boolean;
  /** serf_lan (-serf-lan-bind): the address the LAN gossip pool binds (default bind_addr). */
  readonly serfLanBindAddr: string;
  /** gossip_lan: the LAN pool's memberlist timings (Consul's defaults 200ms/3/1s/500ms/4/4). */
  readonly gossipLan: Readonly<{
    gossipIntervalMs: number;
    gossipNodes: number;
    probeIntervalMs: number;
    probeTimeoutMs: number;
    retransmitMult: number;
    suspicionMult: number;
  }>;
  /** reconnect_timeout: how long a failed member is retried before it is reaped (default 72 h, at least 8 h). */
  readonly reconnectTimeoutMs: number;
  /** disable_coordinates: no network coordinates are computed or sent. */
  readonly disableCoordinates: boolean;
  /** check_update_interval: output-only check changes reach the catalog at most this often (default 5 min; 0 = at once). */
  readonly checkUpdateIntervalMs?: number;
  /** check_output_max_size: the agent-wide cap on a check's output in bytes (default 4096). */
  readonly checkOutputMaxSize?: number;
  /** discard_check_output: check outputs are dropped before they are stored (reloadable). */
  readonly discardCheckOutput?: boolean;
  /** Service definitions from config files, in load order (user snake_case shape, validated). */
  readonly services: readonly Readonly<Record<string, unknown>>[];
  /** Check definitions from config files, in load order (user snake_case shape, validated). */
  readonly checks: readonly Readonly<Record<string, unknown>>[];
  /**
   * Where each entry of `services` (same index) was defined: the file and the JSON pointer of
   * the definition in it (`/service`, `/services/2`), so a definition the agent refuses is
   * reported by file and pointer. Absent for configs not loaded from files.
   */
  readonly serviceOrigins?: readonly ConfigOrigin[];
  /** Where each entry of `checks` (same index) was defined, like serviceOrigins. */
  readonly checkOrigins?: readonly ConfigOrigin[];
  /** Plugins to load, in order: `spec` is a path (resolved against `baseDir`) or a package name. */
  readonly plugins: readonly Readonly<{ spec: string; baseDir: string; source: string }>[];
  /** plugin_config.<name>: each plugin's own config, validated against its schema at load. */
  readonly pluginConfig: Readonly<Record<string, unknown>>;
  /** The files that set plugin_config.<name>, in load order (for errors that name the file). */
  readonly pluginConfigSources?: Readonly<Record<string, readonly string[]>>;
  /** adapters.<port>: the provider id chosen for a single-slot port, e.g. { log_store: 'sqlite' }. */
  readonly adapters: Readonly<Record<string, string>>;
  /** Sub-trees of the user config that no kernel field covers but a plugin may read (e.g. dns_config). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** The files the config was read from, in load order. */
  readonly sources: readonly string[];
}

/** The place in the configuration a definition came from. */
export interface ConfigOrigin {
  /** The file (as named on the command line, joined with its directory). */
  readonly source: string;
  /** RFC 6901 pointer to the definition in that file, e.g. `/service` or `/services/1`, spelt as the file spells its keys. */
  readonly pointer: string;
  /**
   * Keys of the definition the file spells differently from their canonical name (Consul matches
   * config keys case-insensitively: `"Check"` for `check`): the canonical pointer relative to the
   * definition (`/check`) → the key as written (`Check`). Absent when every key is canonical.
   */
  readonly keys?: Readonly<Record<string, string>>;
}
