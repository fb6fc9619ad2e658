import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateAgainstSchema } from '../../../src/config/config-schema.js';
import { validateConfigDirs } from '../../../src/config/load-config.js';
import { packageRoot } from '../../../src/kernel/package-root.js';

describe('agent-config schema', () => {
  it('accepts a typical Consul JSON agent config', () => {
    const consulStyle = {
      datacenter: 'us-east-1',
      data_dir: '/opt/consul',
      log_level: 'INFO',
      node_name: 'foobar',
      server: true,
      bootstrap_expect: 3,
      bind_addr: '10.0.0.5',
      client_addr: '0.0.0.0',
      addresses: { http: '0.0.0.0', dns: '127.0.0.1' },
      ports: { http: 8500, dns: 8600, grpc: 8502 },
      retry_join: ['10.0.0.6', 'provider=aws tag_key=consul tag_value=server'],
      encrypt: 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=',
      leave_on_terminate: true,
      skip_leave_on_interrupt: true,
      disable_update_check: true,
      ui_config: { enabled: true },
      recursors: ['8.8.8.8'],
      dns_config: { allow_stale: true, max_stale: '87600h', service_ttl: { '*': '5s' } },
      telemetry: { prometheus_retention_time: '24h' },
      acl: { enabled: false, default_policy: 'allow' },
      limits: { http_max_conns_per_client: 400, rpc_rate: 100 },
      performance: { raft_multiplier: 1 },
      node_meta: { instance_type: 't2.medium' },
      service: {
        id: 'redis1',
        name: 'redis',
        tags: ['primary'],
        address: '127.0.0.1',
        port: 6379,
        meta: { version: '7' },
        tagged_addresses: { lan: { address: '192.168.0.55', port: 8000 } },
        weights: { passing: 10, warning: 1 },
        enable_tag_override: false,
        checks: [
          { args: ['/usr/local/bin/check_redis.py'], interval: '10s', timeout: '1s' },
          { http: 'http://localhost:5000/health', method: 'POST', header: { 'Content-Type': ['application/json'] }, body: '{}', interval: '10s', tls_skip_verify: true },
          { tcp: 'localhost:6379', interval: '1m30s', success_before_passing: 3, failures_before_critical: 3 },
          { ttl: '30s', deregister_critical_service_after: '90m', status: 'passing' },
          { alias_service: 'web' },
          { grpc: '127.0.0.1:12345/my.Service', grpc_use_tls: true, interval: '15.0s' },
        ],
      },
      checks: [{ id: 'mem', name: 'Memory utilization', args: ['/usr/local/bin/check_mem.py', '-limit', '256MB'], interval: '10s', timeout: '1s' }],
      watches: [{ type: 'key', key: 'foo/bar/baz', handler_type: 'script', args: ['/usr/bin/my-handler.sh'] }],
    };
    expect(validateAgainstSchema('agent-config', consulStyle, 'consul.json')).toEqual([]);
  });

  it('validates service and check definitions on their own', () => {
    expect(validateAgainstSchema('service-definition', { name: 'web', port: 80 }, 'x')).toEqual([]);
    expect(validateAgainstSchema('service-definition', { name: 'web', Port: 80 }, 'x').map((p) => p.pointer)).toEqual(['/Port']);
    expect(validateAgainstSchema('check-definition', { ttl: 'soon' }, 'x')).toEqual([
      { code: 'DURATION_INVALID', source: 'x', pointer: '/ttl', message: 'time: invalid duration "soon"' },
    ]);
    expect(validateAgainstSchema('service-definition', { name: 'w', meta: { 'bad key': 'v' } }, 'x').map((p) => p.pointer)).toEqual(['/meta/bad key']);
  });

  it('adapters: only the ports the kernel chooses a provider for; a typo is an unknown key', () => {
    expect(validateAgainstSchema('agent-config', { adapters: { log_store: 'memory', transport: 'tcp' } }, 'a.json')).toEqual([]);
    expect(validateAgainstSchema('agent-config', { adapters: { logstore: 'memory' } }, 'a.json')).toEqual([
      { code: 'CONFIG_INVALID', source: 'a.json', pointer: '/adapters/logstore', message: 'unknown key (did you mean "log_store"?)' },
    ]);
    expect(validateAgainstSchema('agent-config', { adapters: { log_store: 3 } }, 'a.json').map((p) => p.pointer)).toEqual(['/adapters/log_store']);
  });

  it('plugin-manifest: name, version and kernel are required and shaped', () => {
    expect(validateAgainstSchema('plugin-manifest', { name: 'kv-counter', version: '1.2.3', kernel: '^1.0.0', dependencies: ['log-store-sqlite'], configSchema: { type: 'object' }, register() {} }, 'p')).toEqual([]);
    const bad = validateAgainstSchema('plugin-manifest', { name: 'KV Counter', version: '1.2', dependencies: 'x' }, 'p');
    expect(bad.map((p) => `${p.pointer}: ${p.message}`).sort()).toEqual([
      '/dependencies: must be array',
      '/kernel: is required',
      '/name: must match pattern "^[a-z0-9][a-z0-9-]*$"',
      '/version: must match pattern "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$"',
    ]);
  });
});

describe('shipped example config directories', () => {
  it.each(['examples/dev', 'examples/third-party-plugin'])('%s validates (with -dev)', async (dir) => {
    const r = await validateConfigDirs([join(packageRoot(), dir)], { dev: true, hostname: 'h' });
    expect(r.ok ? [] : r.problems).toEqual([]);
  });
});
