import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { ErrorCode } from '../../contracts/errors.js';
import type { ConfigOrigin, RuntimeConfig } from '../../contracts/runtime-config.js';
import type { ConfigProblem } from './config-problem.js';
import { durationMs } from './go-duration.js';
import { gossipKeyProblem } from './gossip-key.js';
import { normalizeLogLevel } from './log-level.js';
import { deepFreeze } from './deep-freeze.js';
import { validateWatches } from '../watch/watch-config.js';
import type { UserConfig } from './merge-config.js';

/** A plugin named by a config file. */
export interface PluginEntry {
  readonly spec: string;
  readonly baseDir: string;
  readonly source: string;
}

/** What besides the merged user config the runtime config is built from. */
export interface BuildContext {
  readonly dev: boolean;
  /** False for `sextant validate`, which checks files that need not name a data_dir. Default true. */
  readonly requireDataDir?: boolean;
  readonly plugins: readonly PluginEntry[];
  readonly sources: readonly string[];
  /** Where each merged `services` / `checks` entry was defined (see RuntimeConfig.serviceOrigins). */
  readonly serviceOrigins?: readonly ConfigOrigin[];
  readonly checkOrigins?: readonly ConfigOrigin[];
  /** The files that set each plugin_config.<name>, in load order. */
  readonly pluginConfigSources?: Readonly<Record<string, readonly string[]>>;
  /** For advertise-address detection when bind_addr is 0.0.0.0 / ::. */
  readonly networkInterfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** Consul's UIPathBuilder: `ui_config.content_path` with exactly one leading and one trailing `/`; empty → `/ui/`. */
export function uiContentPath(raw: string): string {
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  return raw === '' || trimmed === '' ? '/ui/' : `/${trimmed}/`;
}

/** Keys turned into RuntimeConfig fields; every other key present is passed on in `extra`. */
const CONSUMED = new Set([
  'datacenter', 'node_name', 'node_id', 'node_meta', 'data_dir', 'server', 'bootstrap', 'bootstrap_expect',
  'bind_addr', 'advertise_addr', 'client_addr', 'log_level', 'log_json', 'enable_script_checks',
  'enable_local_script_checks', 'domain', 'alt_domain', 'recursors', 'raft_snapshot_threshold',
  'raft_snapshot_interval', 'raft_trailing_logs', 'default_query_time', 'max_query_time', 'session_ttl_min', 'ui', 'pid_file',
  'retry_join', 'services', 'checks', 'plugins', 'plugin_config', 'adapters', 'check_update_interval',
  'check_output_max_size', 'discard_check_output', 'start_join', 'retry_interval', 'retry_max', 'rejoin_after_leave',
  'leave_on_terminate', 'skip_leave_on_interrupt', 'encrypt', 'encrypt_verify_incoming', 'encrypt_verify_outgoing',
  'disable_keyring_file', 'serf_lan', 'gossip_lan', 'reconnect_timeout', 'disable_coordinates', 'autopilot',
]);

/** serf's minimum reconnect_timeout (Consul refuses less). */
const MIN_RECONNECT_TIMEOUT_MS = 8 * 3600_000;

const PRIVATE_V4 = [
  [0x0a000000, 8], // 10/8
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0x64400000, 10], // 100.64/10 (RFC 6598)
] as const;

function isPrivateV4(ip: string): boolean {
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return PRIVATE_V4.some(([net, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(net / 2 ** (32 - bits)));
}

/** Consul's GetPrivateIP: the single private IPv4 address of this host. */
function privateIp(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string | ConfigProblem {
  const found = new Set<string>();
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && isPrivateV4(a.address)) found.add(a.address);
  }
  if (found.size === 1) return [...found][0]!;
  if (found.size === 0) return { code: ErrorCode.ConfigInvalid, message: "No private IPv4 address found. Please configure one with 'bind' and/or 'advertise'." };
  return { code: ErrorCode.ConfigInvalid, message: "Multiple private IPv4 addresses found. Please configure one with 'bind' and/or 'advertise'." };
}

function fqdn(s: string): string {
  return s === '' || s.endsWith('.') ? s : s + '.';
}

const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const bool = (v: unknown): boolean => v === true;
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/**
 * Consul settings the schema accepts (so Consul configs load) but Sextant does not act on yet.
 * Ignoring them silently would surprise: ACLs switched on would leave every request allowed, so
 * that is refused; the others are warnings.
 */
function unsupportedSettings(c: UserConfig, ctx: BuildContext, problem: (m: string) => void, warn: (m: string) => void): void {
  if (obj(c.acl).enabled === true) {
    problem('acl.enabled = true: ACLs are not implemented by Sextant, which would allow every request; remove acl.enabled or set it to false');
  }
  for (const [accepted, why] of NOT_ACTED_ON_YET) if (accepted(c, ctx)) warn(why);
}

/**
 * Settings (and the agent flags that set them) accepted but not acted on yet, each with the
 * warning printed at start: a row goes when the feature lands.
 */
const NOT_ACTED_ON_YET: readonly (readonly [(c: UserConfig, ctx: BuildContext) => boolean, string])[] = [
  [(c) => num(obj(c.ports).https, -1) > 0 || Object.keys(obj(c.tls)).length > 0, 'tls / ports.https: Sextant does not serve HTTPS or TLS; only plain HTTP is served'],
  [(c) => obj(c.connect).enabled === true, 'connect.enabled = true: Connect (service mesh) is not implemented by Sextant'],
];

/**
 * Turns the merged, per-file-validated user config into the frozen RuntimeConfig, applying the
 * whole-config rules Consul applies (data_dir required unless dev, bootstrap/bootstrap_expect
 * combinations, advertise detection). Returns the config and warnings, or the problems found.
 */
export function buildRuntimeConfig(
  c: UserConfig,
  ctx: BuildContext,
): { config: RuntimeConfig; warnings: string[]; problems?: undefined } | { problems: ConfigProblem[]; config?: undefined; warnings?: undefined } {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const problem = (message: string): void => {
    problems.push({ code: ErrorCode.ConfigInvalid, message });
  };

  const datacenter = str(c.datacenter).toLowerCase();
  if (datacenter === '') problem('datacenter cannot be empty');
  const nodeName = str(c.node_name);
  if (nodeName === '') problem('node_name cannot be empty');

  const dataDir = str(c.data_dir) || undefined;
  if (dataDir === undefined && !ctx.dev && ctx.requireDataDir !== false) problem('data_dir cannot be empty');
  if (dataDir !== undefined && !ctx.dev) {
    let isDir = true;
    try {
      isDir = statSync(dataDir).isDirectory();
    } catch {
      // not there yet: created at start
    }
    if (!isDir) problem(`data_dir ${JSON.stringify(dataDir)} is not a directory`);
  }

  const server = bool(c.server);
  let bootstrap = bool(c.bootstrap);
  let bootstrapExpect = num(c.bootstrap_expect, 0);
  if (bootstrapExpect === 1) {
    bootstrap = true;
    bootstrapExpect = 0;
    warnings.push('BootstrapExpect is set to 1; this is the same as Bootstrap mode.');
  }
  // Consul's builder Validate order and texts.
  if (bootstrap && !server) problem("'bootstrap = true' requires 'server = true'");
  else if (bootstrapExpect < 0) problem(`bootstrap_expect cannot be ${bootstrapExpect}. Must be greater than or equal to zero`);
  else if (bootstrapExpect > 0 && !server) problem("'bootstrap_expect > 0' requires 'server = true'");
  else if (bootstrapExpect > 0 && ctx.dev) problem("'bootstrap_expect > 0' not allowed in dev mode");
  else if (bootstrapExpect > 0 && bootstrap) problem("'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
  const deploymentTable = 'See https://www.consul.io/docs/internals/consensus.html#deployment-table';
  if (server && !ctx.dev && !bootstrap && bootstrapExpect === 2) {
    warnings.push(`bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. ${deploymentTable}`);
  }
  if (server && !bootstrap && bootstrapExpect > 2 && bootstrapExpect % 2 === 0) {
    warnings.push(`bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance. ${deploymentTable}`);
  }
  if (server && bootstrap && bootstrapExpect === 0) warnings.push('bootstrap = true: do not enable unless necessary');
  if (server && !ctx.dev && !bootstrap && bootstrapExpect > 1) warnings.push(`bootstrap_expect > 0: expecting ${bootstrapExpect} servers`);

  const bindAddr = str(c.bind_addr);
  if (!isIP(bindAddr)) problem(`bind_addr: ${JSON.stringify(bindAddr)} is not an IP address`);
  let advertiseAddr = str(c.advertise_addr);
  if (advertiseAddr === '') {
    if (bindAddr === '0.0.0.0' || bindAddr === '::') {
      const ip = privateIp(ctx.networkInterfaces());
      if (typeof ip === 'string') advertiseAddr = ip;
      else problems.push(ip);
    } else {
      advertiseAddr = bindAddr;
    }
  } else if (advertiseAddr === '0.0.0.0' || advertiseAddr === '::' || advertiseAddr === '[::]') {
    problem('Advertise address cannot be 0.0.0.0, :: or [::]');
  } else if (!isIP(advertiseAddr)) {
    problem(`advertise_addr: ${JSON.stringify(advertiseAddr)} is not an IP address`);
  }
  const clientAddrs = str(c.client_addr).split(/\s+/).filter((s) => s !== '');
  if (clientAddrs.length === 0) problem('client_addr cannot be empty');

  const ports = obj(c.ports);
  const limits = obj(c.limits);
  const performance = obj(c.performance);
  const uiConfig = obj(c.ui_config);
  const logLevel = normalizeLogLevel(str(c.log_level, 'info')) ?? 'info';
  const defaultQueryTimeMs = durationMs(str(c.default_query_time, '300s'));
  const maxQueryTimeMs = durationMs(str(c.max_query_time, '600s'));
  const sessionTtlMinMs = durationMs(str(c.session_ttl_min, '10s'));

  const encrypt = str(c.encrypt);
  if (encrypt !== '') {
    const why = gossipKeyProblem(encrypt);
    if (why !== undefined) problem(why);
  }
  const reconnectTimeoutMs = durationMs(str(c.reconnect_timeout, '72h'));
  if (reconnectTimeoutMs < MIN_RECONNECT_TIMEOUT_MS) problem('ReconnectTimeoutLan must be >= 8h0m0s');
  const serfLanBindAddr = str(c.serf_lan) || bindAddr;
  if (str(c.serf_lan) !== '' && !isIP(serfLanBindAddr)) problem(`serf_lan: ${JSON.stringify(serfLanBindAddr)} is not an IP address`);
  const gossipLan = obj(c.gossip_lan);
  const autopilot = obj(c.autopilot);

  unsupportedSettings(c, ctx, problem, (w) => warnings.push(w));
  const watches = validateWatches(list(c.watches));
  for (const m of watches.problems) problem(m);
  warnings.push(...watches.warnings);

  if (problems.length > 0) return { problems };

  const plugins = ctx.plugins.map((p) => ({ ...p }));
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (!CONSUMED.has(k)) extra[k] = structuredClone(v);

  const config: RuntimeConfig = {
    datacenter,
    nodeName,
    nodeId: str(c.node_id).toLowerCase(),
    nodeMeta: { ...(obj(c.node_meta) as Record<string, string>) },
    dataDir,
    dev: ctx.dev,
    server,
    bootstrap,
    bootstrapExpect,
    bindAddr,
    advertiseAddr,
    clientAddrs,
    ports: {
      http: num(ports.http, 8500),
      https: num(ports.https, -1),
      dns: num(ports.dns, 8600),
      grpc: num(ports.grpc, -1),
      server: num(ports.server, 8300),
      serfLan: num(ports.serf_lan, 8301),
      serfWan: num(ports.serf_wan, 8302),
    },
    logLevel,
    logJson: bool(c.log_json),
    enableScriptChecks: bool(c.enable_script_checks),
    enableLocalScriptChecks: bool(c.enable_local_script_checks),
    domain: fqdn(str(c.domain, 'consul.')),
    altDomain: fqdn(str(c.alt_domain)),
    recursors: list<string>(c.recursors),
    limits: {
      kvMaxValueSize: num(limits.kv_max_value_size, 524288),
      txnMaxReqLen: num(limits.txn_max_req_len, 524288),
      httpMaxConnsPerClient: num(limits.http_max_conns_per_client, 200),
    },
    rpcHoldTimeoutMs: durationMs(str(performance.rpc_hold_timeout, '7s')),
    leaveDrainTimeMs: durationMs(str(performance.leave_drain_time, '5s')),
    discoveryMaxStaleMs: durationMs(str(c.discovery_max_stale, '0s')),
    defaultQueryTimeMs,
    maxQueryTimeMs,
    sessionTtlMinMs,
    raft: {
      snapshotThreshold: num(c.raft_snapshot_threshold, 16384),
      snapshotIntervalMs: durationMs(str(c.raft_snapshot_interval, '30s')),
      trailingLogs: num(c.raft_trailing_logs, 10000),
      multiplier: num(performance.raft_multiplier, ctx.dev ? 1 : 5),
    },
    // Consul's defaults (api.NewAutopilotConfiguration): on, 200ms, 250, 0, 10s.
    autopilot: {
      cleanupDeadServers: typeof autopilot.cleanup_dead_servers === 'boolean' ? autopilot.cleanup_dead_servers : true,
      lastContactThresholdMs: durationMs(str(autopilot.last_contact_threshold, '200ms')),
      maxTrailingLogs: num(autopilot.max_trailing_logs, 250),
      minQuorum: num(autopilot.min_quorum, 0),
      serverStabilizationTimeMs: durationMs(str(autopilot.server_stabilization_time, '10s')),
    },
    ui: typeof uiConfig.enabled === 'boolean' ? uiConfig.enabled : bool(c.ui),
    uiContentPath: uiContentPath(str(uiConfig.content_path)),
    pidFile: str(c.pid_file) || undefined,
    startJoin: list<string>(c.start_join),
    retryJoin: list<string>(c.retry_join),
    retryIntervalMs: durationMs(str(c.retry_interval, '30s')),
    retryMax: num(c.retry_max, 0),
    rejoinAfterLeave: bool(c.rejoin_after_leave),
    // Consul's builder: clients leave on SIGTERM, servers do not; servers skip the leave on SIGINT.
    leaveOnTerminate: typeof c.leave_on_terminate === 'boolean' ? c.leave_on_terminate : !server,
    skipLeaveOnInterrupt: typeof c.skip_leave_on_interrupt === 'boolean' ? c.skip_leave_on_interrupt : server,
    encrypt,
    encryptVerifyIncoming: c.encrypt_verify_incoming !== false,
    encryptVerifyOutgoing: c.encrypt_verify_outgoing !== false,
    disableKeyringFile: bool(c.disable_keyring_file),
    serfLanBindAddr,
    gossipLan: {
      gossipIntervalMs: durationMs(str(gossipLan.gossip_interval, '200ms')),
      gossipNodes: num(gossipLan.gossip_nodes, 3),
      probeIntervalMs: durationMs(str(gossipLan.probe_interval, '1s')),
      probeTimeoutMs: durationMs(str(gossipLan.probe_timeout, '500ms')),
      retransmitMult: num(gossipLan.retransmit_mult, 4),
      suspicionMult: num(gossipLan.suspicion_mult, 4),
    },
    reconnectTimeoutMs,
    disableCoordinates: bool(c.disable_coordinates),
    checkUpdateIntervalMs: durationMs(str(c.check_update_interval, '5m')),
    checkOutputMaxSize: num(c.check_output_max_size, 4096),
    discardCheckOutput: bool(c.discard_check_output),
    services: structuredClone(list<Record<string, unknown>>(c.services)),
    checks: structuredClone(list<Record<string, unknown>>(c.checks)),
    ...(ctx.serviceOrigins ? { serviceOrigins: ctx.serviceOrigins.map((o) => ({ ...o })) } : {}),
    ...(ctx.checkOrigins ? { checkOrigins: ctx.checkOrigins.map((o) => ({ ...o })) } : {}),
    plugins,
    pluginConfig: structuredClone(obj(c.plugin_config)),
    pluginConfigSources: structuredClone(ctx.pluginConfigSources ?? {}),
    adapters: { ...(obj(c.adapters) as Record<string, string>) },
    extra,
    sources: [...ctx.sources],
  };
  return { config: deepFreeze(config), warnings };
}
