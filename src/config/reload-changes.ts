import { isDeepStrictEqual } from 'node:util';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';

/**
 * Settings a reload cannot apply (Consul §5.4: ports and bind addresses, datacenter, node name,
 * server mode, data_dir, ...), by their user-facing config key, with the RuntimeConfig field
 * each reads.
 */
const RESTART_ONLY: readonly (readonly [string, (c: RuntimeConfig) => unknown])[] = [
  ['datacenter', (c) => c.datacenter],
  ['node_name', (c) => c.nodeName],
  ['node_id', (c) => c.nodeId],
  ['data_dir', (c) => c.dataDir],
  ['server', (c) => c.server],
  ['bootstrap', (c) => c.bootstrap],
  ['bootstrap_expect', (c) => c.bootstrapExpect],
  ['bind_addr', (c) => c.bindAddr],
  ['advertise_addr', (c) => c.advertiseAddr],
  ['client_addr', (c) => c.clientAddrs],
  ['addresses', (c) => c.extra.addresses],
  ['ports', (c) => c.ports],
  ['domain', (c) => c.domain],
  ['alt_domain', (c) => c.altDomain],
  ['performance.raft_multiplier', (c) => c.raft.multiplier],
  ['ui', (c) => c.ui],
  ['ui_config.content_path', (c) => c.uiContentPath],
  ['pid_file', (c) => c.pidFile],
  ['session_ttl_min', (c) => c.sessionTtlMinMs],
  ['plugins', (c) => c.plugins],
  ['plugin_config', (c) => c.pluginConfig],
  ['adapters', (c) => c.adapters],
  // The script and docker check runners are built with these at start (Consul reads them from
  // the agent's start config too): a reload that flips them is refused or ignored until a restart.
  ['enable_script_checks', (c) => c.enableScriptChecks],
  ['enable_local_script_checks', (c) => c.enableLocalScriptChecks],
  // The gossip pool is built once, at start (Consul: encrypt and the serf settings are not reloadable).
  ['encrypt', (c) => c.encrypt],
  ['encrypt_verify_incoming', (c) => c.encryptVerifyIncoming],
  ['encrypt_verify_outgoing', (c) => c.encryptVerifyOutgoing],
  ['disable_keyring_file', (c) => c.disableKeyringFile],
  ['serf_lan', (c) => c.serfLanBindAddr],
  ['gossip_lan', (c) => c.gossipLan],
  ['reconnect_timeout', (c) => c.reconnectTimeoutMs],
  ['disable_coordinates', (c) => c.disableCoordinates],
];

/**
 * The config keys whose value differs between `prev` and `next` but that only take effect on
 * restart, in a fixed order; empty when everything that changed is reloadable (services, checks,
 * log_level, node_meta, dns_config and recursors, limits, raft_snapshot_threshold, raft_snapshot_interval, raft_trailing_logs, ...).
 * A reload applies the reloadable part and warns about these.
 */
export function nonReloadableChanges(prev: RuntimeConfig, next: RuntimeConfig): string[] {
  return RESTART_ONLY.filter(([, get]) => !isDeepStrictEqual(get(prev), get(next))).map(([key]) => key);
}
