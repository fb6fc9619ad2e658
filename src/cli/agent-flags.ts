import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { ConfigFlags } from '../config/load-config.js';
import { formatGoDuration } from '../config/go-duration.js';
import { FlagSet } from './flag-parser.js';
import type { FlagSpec } from './flag-parser.js';

/**
 * The `sextant agent` flag set (Consul's `consul agent` flags that Sextant supports) and its
 * translation into the config loader's input: flag values become a snake_case config fragment
 * merged after all config files.
 */

/** The parsed `sextant agent` command line: what the config loader needs, plus help/positional args. */
export interface AgentFlags extends ConfigFlags {
  /** -h / -help was given: print `agentFlagSet().usage()` and exit. */
  readonly help: boolean;
  /** Arguments after the flags (Consul's agent takes none; the caller decides). */
  readonly args: readonly string[];
}

const SPECS: readonly FlagSpec[] = [
  { name: 'dev', kind: 'bool', usage: 'Starts the agent in development mode.' },
  { name: 'server', kind: 'bool', usage: 'Switches agent to server mode.' },
  { name: 'bootstrap', kind: 'bool', usage: 'Sets server to bootstrap mode.' },
  { name: 'bootstrap-expect', kind: 'int', usage: 'Sets server to expect bootstrap mode.' },
  { name: 'node', kind: 'string', usage: 'Name of this node. Must be unique in the cluster.' },
  { name: 'node-id', kind: 'string', usage: 'A unique ID for this node across space and time. Defaults to a randomly-generated ID that persists in the data-dir.' },
  { name: 'node-meta', kind: 'list', usage: 'An arbitrary metadata key/value pair for this node, of the format `key:value`. Can be specified multiple times.' },
  { name: 'datacenter', kind: 'string', usage: 'Datacenter of the agent.' },
  { name: 'bind', kind: 'string', usage: 'Sets the bind address for cluster communication.' },
  { name: 'advertise', kind: 'string', usage: 'Sets the advertise address to use.' },
  { name: 'client', kind: 'string', usage: 'Sets the address to bind for client access. This includes RPC, DNS, HTTP, HTTPS and gRPC (if configured).' },
  { name: 'data-dir', kind: 'string', usage: 'Path to a data directory to store agent state.' },
  { name: 'config-dir', kind: 'list', usage: 'Path to a directory to read configuration files from. This will read every file ending in \'.json\' as configuration in this directory in alphabetical order. Can be specified multiple times.' },
  { name: 'config-file', kind: 'list', usage: 'Path to a file in JSON format. Can be specified multiple times.' },
  { name: 'config-format', kind: 'string', usage: 'Config files are in this format irrespective of their extension. Must be \'json\' (\'hcl\' is not supported).' },
  { name: 'hcl', kind: 'list', usage: 'hcl config fragment. Not supported by Sextant: use -config-file with JSON.' },
  { name: 'pid-file', kind: 'string', usage: 'Path to file to store agent PID.' },
  { name: 'http-port', kind: 'int', usage: 'Sets the HTTP API port to listen on.' },
  { name: 'dns-port', kind: 'int', usage: 'DNS port to use.' },
  { name: 'server-port', kind: 'int', usage: 'Sets the server port to listen on.' },
  { name: 'serf-lan-port', kind: 'int', usage: 'Sets the Serf LAN port to listen on.' },
  { name: 'serf-wan-port', kind: 'int', usage: 'Sets the Serf WAN port to listen on.' },
  { name: 'log-level', kind: 'string', usage: 'Log level of the agent.' },
  { name: 'log-json', kind: 'bool', usage: 'Output logs in JSON format.' },
  { name: 'ui', kind: 'bool', usage: 'Enables the built-in static web UI server.' },
  { name: 'ui-content-path', kind: 'string', usage: 'Sets the external UI path to a string. Defaults to: /ui/ ' },
  { name: 'enable-script-checks', kind: 'bool', usage: 'Enables health check scripts.' },
  { name: 'enable-local-script-checks', kind: 'bool', usage: 'Enables health check scripts from configuration file.' },
  { name: 'domain', kind: 'string', usage: 'Domain to use for DNS interface.' },
  { name: 'alt-domain', kind: 'string', usage: 'Alternate domain to use for DNS interface.' },
  { name: 'recursor', kind: 'list', usage: 'Address of an upstream DNS server. Can be specified multiple times.' },
  { name: 'join', kind: 'list', usage: 'Address of an agent to join at start time. Can be specified multiple times.' },
  { name: 'retry-join', kind: 'list', usage: 'Address of an agent to join at start time with retries enabled. Can be specified multiple times.' },
  { name: 'retry-interval', kind: 'duration', usage: 'Time to wait between join attempts.' },
  { name: 'retry-max', kind: 'int', usage: 'Maximum number of join attempts. Defaults to 0, which will retry indefinitely.' },
  { name: 'rejoin', kind: 'bool', usage: 'Ignores a previous leave and attempts to rejoin the cluster.' },
  { name: 'encrypt', kind: 'string', usage: 'Provides the gossip encryption key.' },
  { name: 'disable-keyring-file', kind: 'bool', usage: 'Disables the backing up of the keyring to a file.' },
  { name: 'serf-lan-bind', kind: 'string', usage: 'Address to bind Serf LAN listeners to.' },
  { name: 'default-query-time', kind: 'duration', usage: 'the amount of time a blocking query will wait before Consul will force a response. This value can be overridden by the \'wait\' query parameter.' },
  { name: 'max-query-time', kind: 'duration', usage: 'the maximum amount of time a blocking query can wait before Consul will force a response. Consul applies jitter to the wait time. The jittered time will be capped to MaxQueryTime.' },
];

/** A fresh FlagSet for `sextant agent` (usage text via `.usage()` / `.defaultsText()`). */
export function agentFlagSet(): FlagSet {
  return new FlagSet('agent', SPECS);
}

/**
 * Parses `sextant agent` arguments into the loader's input. Throws SextantError FLAG_INVALID with
 * Go's flag errors, CONFIG_UNSUPPORTED_FORMAT for -hcl, and FLAG_INVALID for a malformed
 * -node-meta (`-node-meta must be of the form key:value`, as Consul's flag says).
 */
export function parseAgentFlags(argv: readonly string[]): AgentFlags {
  const p = agentFlagSet().parse(argv);
  const v = p.values;
  if (p.set.has('hcl')) {
    throw new SextantError(
      ErrorCode.ConfigUnsupportedFormat,
      '-hcl is not supported: Sextant reads JSON configuration only. Put the fragment in a JSON file and pass it with -config-file',
    );
  }
  const o: Record<string, unknown> = {};
  const setIf = (flag: string, key: string, value: () => unknown = () => v[flag]): void => {
    if (p.set.has(flag)) o[key] = value();
  };
  setIf('server', 'server');
  setIf('bootstrap', 'bootstrap');
  setIf('bootstrap-expect', 'bootstrap_expect');
  setIf('node', 'node_name');
  setIf('node-id', 'node_id');
  setIf('datacenter', 'datacenter');
  setIf('bind', 'bind_addr');
  setIf('advertise', 'advertise_addr');
  setIf('client', 'client_addr');
  setIf('data-dir', 'data_dir');
  setIf('pid-file', 'pid_file');
  setIf('log-level', 'log_level');
  setIf('log-json', 'log_json');
  setIf('enable-script-checks', 'enable_script_checks');
  setIf('enable-local-script-checks', 'enable_local_script_checks');
  setIf('domain', 'domain');
  setIf('alt-domain', 'alt_domain');
  setIf('recursor', 'recursors');
  setIf('join', 'start_join');
  setIf('retry-join', 'retry_join');
  setIf('encrypt', 'encrypt');
  setIf('retry-interval', 'retry_interval', () => formatGoDuration(v['retry-interval'] as bigint));
  setIf('retry-max', 'retry_max');
  setIf('rejoin', 'rejoin_after_leave');
  setIf('disable-keyring-file', 'disable_keyring_file');
  setIf('serf-lan-bind', 'serf_lan');
  setIf('default-query-time', 'default_query_time', () => formatGoDuration(v['default-query-time'] as bigint));
  setIf('max-query-time', 'max_query_time', () => formatGoDuration(v['max-query-time'] as bigint));
  if (p.set.has('ui')) o.ui_config = { enabled: v.ui };
  if (p.set.has('ui-content-path')) o.ui_config = { ...(o.ui_config as object | undefined), content_path: v['ui-content-path'] };
  const ports: Record<string, unknown> = {};
  for (const [flag, key] of [
    ['http-port', 'http'],
    ['dns-port', 'dns'],
    ['server-port', 'server'],
    ['serf-lan-port', 'serf_lan'],
    ['serf-wan-port', 'serf_wan'],
  ] as const) {
    if (p.set.has(flag)) ports[key] = v[flag];
  }
  if (Object.keys(ports).length > 0) o.ports = ports;
  if (p.set.has('node-meta')) {
    const meta: Record<string, string> = {};
    for (const kv of v['node-meta'] as readonly string[]) {
      const i = kv.indexOf(':');
      if (i < 0) throw new SextantError(ErrorCode.FlagInvalid, `invalid value ${JSON.stringify(kv)} for flag -node-meta: -node-meta must be of the form key:value`, { flag: 'node-meta' });
      meta[kv.slice(0, i)] = kv.slice(i + 1);
    }
    o.node_meta = meta;
  }
  const configPaths = p.occurrences.filter((x) => x.name === 'config-file' || x.name === 'config-dir').map((x) => x.value as string);
  return {
    dev: v.dev === true,
    configPaths,
    configFormat: v['config-format'] as string,
    overrides: o,
    help: p.help,
    args: p.args,
  };
}
