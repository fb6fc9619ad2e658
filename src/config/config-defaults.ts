import type { UserConfig } from './merge-config.js';

/**
 * Built-in defaults in the user (snake_case) shape: the first source merged. `node_name` is the
 * host name. Sextant binds to loopback unless told otherwise (Consul's bind default is 0.0.0.0).
 */
export function builtinDefaults(hostname: string): UserConfig {
  return {
    datacenter: 'dc1',
    node_name: hostname,
    server: false,
    bootstrap: false,
    bootstrap_expect: 0,
    bind_addr: '127.0.0.1',
    client_addr: '127.0.0.1',
    ports: { http: 8500, https: -1, dns: 8600, grpc: -1, server: 8300, serf_lan: 8301, serf_wan: 8302 },
    log_level: 'info',
    log_json: false,
    enable_script_checks: false,
    enable_local_script_checks: false,
    domain: 'consul.',
    alt_domain: '',
    limits: { kv_max_value_size: 524288, txn_max_req_len: 524288, http_max_conns_per_client: 200 },
    default_query_time: '300s',
    max_query_time: '600s',
    session_ttl_min: '10s',
    raft_snapshot_threshold: 16384,
    raft_snapshot_interval: '30s',
    raft_trailing_logs: 10000,
    performance: { raft_multiplier: 5 },
  };
}

/** What `-dev` adds on top of the defaults (files and flags still override it), like Consul's dev source. */
export function devDefaults(): UserConfig {
  return {
    server: true,
    bootstrap: true,
    bind_addr: '127.0.0.1',
    log_level: 'debug',
    ui_config: { enabled: true },
    performance: { raft_multiplier: 1 },
  };
}
