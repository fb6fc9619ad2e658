import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useConfigSandbox } from './config-sandbox.js';
import { loadFailure } from './load-failure.js';
import { loadRuntimeConfig } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';
import { dnsSettingsFrom } from '../../../plugins/surface-dns/dns-settings.js';

// No Consul setting has a meaning for a negative duration (Consul takes one and misbehaves: a
// recursor timeout that expires at once, a DNS TTL that wraps around), so every config duration
// is refused when negative, naming the file and the JSON pointer.

const sandbox = useConfigSandbox('sextant-durations-');
const write = sandbox.write;

const flags = (f: Partial<ConfigFlags> = {}): ConfigFlags => ({ dev: true, configPaths: ['conf'], configFormat: '', overrides: {}, ...f });
const load = (f?: Partial<ConfigFlags>) => loadRuntimeConfig({ flags: flags(f), hostname: 'host-a' });

/** The problems, one a line, that loading with `f` is refused with. */
const problems = async (f?: Partial<ConfigFlags>): Promise<string[]> => (await loadFailure(flags(f))).message.split('\n');

describe('config durations are never negative', () => {
  it('dns_config durations, service_ttl values, check_update_interval and the rest: file and pointer', async () => {
    write('conf/a.json', {
      dns_config: { recursor_timeout: '-1s', node_ttl: '-10s', max_stale: '-1m', cache_max_age: '-1s', service_ttl: { '*': '5s', 'db-*': '-1s' } },
      check_update_interval: '-5m',
      raft_snapshot_interval: '-30s',
      limits: { rpc_client_timeout: '-1s' },
      session_ttl_min: '-10s',
    });
    expect((await problems()).sort()).toEqual(
      [
        'conf/a.json: /dns_config/recursor_timeout: must not be negative, got "-1s"',
        'conf/a.json: /dns_config/node_ttl: must not be negative, got "-10s"',
        'conf/a.json: /dns_config/max_stale: must not be negative, got "-1m"',
        'conf/a.json: /dns_config/cache_max_age: must not be negative, got "-1s"',
        'conf/a.json: /dns_config/service_ttl/db-*: must not be negative, got "-1s"',
        'conf/a.json: /check_update_interval: must not be negative, got "-5m"',
        'conf/a.json: /raft_snapshot_interval: must not be negative, got "-30s"',
        'conf/a.json: /limits/rpc_client_timeout: must not be negative, got "-1s"',
        'conf/a.json: /session_ttl_min: must not be negative, got "-10s"',
      ].sort(),
    );
  });

  it('default_query_time and max_query_time must be greater than zero (with file and pointer)', async () => {
    write('conf/a.json', { default_query_time: '0s', max_query_time: '-1s' });
    expect(await problems()).toEqual([
      'conf/a.json: /default_query_time: must be greater than zero, got "0s"',
      'conf/a.json: /max_query_time: must not be negative, got "-1s"',
    ]);
  });

  it('zero is allowed where it means something; a zero recursor_timeout is the 2 s default, as in Consul', async () => {
    write('conf/a.json', { dns_config: { recursor_timeout: '0s', node_ttl: '0s', max_stale: '0s', service_ttl: { '*': '0s' } }, check_update_interval: '0s' });
    const c = await load();
    expect(c.checkUpdateIntervalMs).toBe(0);
    const dns = dnsSettingsFrom(c);
    expect(dns.recursorTimeoutMs).toBe(2000);
    expect(dns.nodeTtl).toBe(0);
    expect(dns.maxStaleMs).toBe(0);
  });

  it('a command-line duration is checked the same way', async () => {
    const e = await problems({ configPaths: [], overrides: { dns_config: { node_ttl: '-1s' } } });
    expect(e).toEqual(['command line: /dns_config/node_ttl: must not be negative, got "-1s"']);
  });
});
