import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useConfigSandbox } from './config-sandbox.js';
import { loadFailure } from './load-failure.js';
import { loadConfig, loadRuntimeConfig, validateConfigDirs } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';

const sandbox = useConfigSandbox('sextant-config-');
const write = sandbox.write;

function flags(f: Partial<ConfigFlags>): ConfigFlags {
  return { dev: false, configPaths: [], configFormat: '', overrides: {}, ...f };
}

const loadError = (f: Partial<ConfigFlags>): Promise<Error & { code: string }> => loadFailure(flags(f));

describe('defaults', () => {
  it("applies Consul's defaults", async () => {
    const c = await loadRuntimeConfig({ flags: flags({ overrides: { data_dir: 'data' } }), hostname: 'host-a' });
    expect(c).toMatchObject({
      datacenter: 'dc1',
      nodeName: 'host-a',
      nodeId: '',
      dataDir: 'data',
      dev: false,
      server: false,
      bootstrap: false,
      bootstrapExpect: 0,
      bindAddr: '127.0.0.1',
      advertiseAddr: '127.0.0.1',
      clientAddrs: ['127.0.0.1'],
      ports: { http: 8500, https: -1, dns: 8600, grpc: -1, server: 8300, serfLan: 8301, serfWan: 8302 },
      logLevel: 'info',
      logJson: false,
      domain: 'consul.',
      altDomain: '',
      limits: { kvMaxValueSize: 524288, txnMaxReqLen: 524288, httpMaxConnsPerClient: 200 },
      defaultQueryTimeMs: 300_000,
      maxQueryTimeMs: 600_000,
      sessionTtlMinMs: 10_000,
      raft: { snapshotThreshold: 16384, snapshotIntervalMs: 30_000, trailingLogs: 10000, multiplier: 5 },
      ui: false,
      pidFile: undefined,
      retryJoin: [],
      services: [],
      checks: [],
      plugins: [],
      sources: [],
    });
  });

  it('-dev: server, bootstrap, debug logs, UI, raft multiplier 1, no data_dir needed', async () => {
    const { config, warnings } = await loadConfig({ flags: flags({ dev: true }), hostname: 'host-a' });
    expect(config).toMatchObject({ dev: true, server: true, bootstrap: true, bindAddr: '127.0.0.1', logLevel: 'debug', ui: true, dataDir: undefined });
    expect(config.raft.multiplier).toBe(1);
    expect(warnings).toContain('bootstrap = true: do not enable unless necessary');
  });

  it('dev defaults yield to files, files yield to flags', async () => {
    write('cfg/a.json', { log_level: 'WARN', performance: { raft_multiplier: 3 } });
    const c = await loadRuntimeConfig({ flags: flags({ dev: true, configPaths: ['cfg'] }), hostname: 'h' });
    expect(c.logLevel).toBe('warn');
    expect(c.raft.multiplier).toBe(3);
    const d = await loadRuntimeConfig({ flags: flags({ dev: true, configPaths: ['cfg'], overrides: { log_level: 'trace' } }), hostname: 'h' });
    expect(d.logLevel).toBe('trace');
  });

  it("without -dev, data_dir is required (Consul's error)", async () => {
    const e = await loadError({});
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe('data_dir cannot be empty');
  });

  it('rejects a data_dir that is a file', async () => {
    write('afile', 'x');
    expect((await loadError({ overrides: { data_dir: 'afile' } })).message).toBe('data_dir "afile" is not a directory');
  });
});

describe('files: order, merge, precedence', () => {
  it('loads *.json in lexical order; last scalar wins; lists append; maps merge', async () => {
    write('cfg/10-b.json', { datacenter: 'B', node_meta: { rack: 'r2' }, retry_join: ['10.0.0.2'], ports: { dns: 8601 } });
    write('cfg/9-c.json', { datacenter: 'c', node_meta: { zone: 'z1' }, retry_join: ['10.0.0.3'] });
    write('cfg/01-a.json', { datacenter: 'a', node_meta: { rack: 'r1', os: 'linux' }, retry_join: ['10.0.0.1'], ports: { http: 9500 } });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd', retry_join: ['10.0.0.9'] } }), hostname: 'h' });
    expect(c.sources).toEqual(['cfg/01-a.json', 'cfg/10-b.json', 'cfg/9-c.json']);
    expect(c.datacenter).toBe('c');
    expect(c.nodeMeta).toEqual({ rack: 'r2', os: 'linux', zone: 'z1' });
    expect(c.retryJoin).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.9']);
    expect(c.ports).toMatchObject({ http: 9500, dns: 8601, server: 8300 });
  });

  it('collects service/services and check/checks from every file into lists, in load order', async () => {
    write('cfg/a.json', { service: { name: 'web', port: 80 }, services: [{ name: 'api' }], check: { id: 'c1', name: 'disk', ttl: '30s' } });
    write('cfg/b.json', { service: { name: 'db', check: { tcp: 'localhost:5432', interval: '10s' } }, checks: [{ name: 'mem', ttl: '1m' }] });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(c.services.map((s) => s.name)).toEqual(['api', 'web', 'db']);
    expect(c.services[2]).toEqual({ name: 'db', check: { tcp: 'localhost:5432', interval: '10s' } });
    expect(c.checks.map((x) => x.name)).toEqual(['disk', 'mem']);
  });

  it('keeps -config-file / -config-dir in command-line order; a -config-file may name a directory', async () => {
    write('one.json', { node_name: 'from-one' });
    write('dir/x.json', { node_name: 'from-dir' });
    const a = await loadRuntimeConfig({ flags: flags({ configPaths: ['dir', 'one.json'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(a.nodeName).toBe('from-one');
    const b = await loadRuntimeConfig({ flags: flags({ configPaths: ['one.json', 'dir'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(b.nodeName).toBe('from-dir');
  });

  it('ignores sub-directories and non-JSON files in a config dir, with a warning', async () => {
    write('cfg/a.json', { node_name: 'n' });
    write('cfg/README.md', '# not config');
    write('cfg/nested/z.json', { node_name: 'nested' });
    write('cfg/backup.json.bak', '{ broken');
    const { config, warnings } = await loadConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(config.nodeName).toBe('n');
    expect(config.sources).toEqual(['cfg/a.json']);
    expect(warnings).toContain('skipping file cfg/README.md, extension must be .hcl or .json, or config format must be set');
  });

  it('-config-format=json reads every file in a dir as JSON', async () => {
    write('cfg/agent.conf', { node_name: 'conf' });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg'], configFormat: 'json', overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(c.nodeName).toBe('conf');
  });

  it('CLI flags override files; node_meta from flags merges', async () => {
    write('cfg/a.json', { node_name: 'file', node_meta: { a: '1' }, ports: { http: 1 } });
    const c = await loadRuntimeConfig({
      flags: flags({ configPaths: ['cfg'], overrides: { node_name: 'flag', node_meta: { b: '2' }, ports: { http: 2 }, data_dir: 'd' } }),
      hostname: 'h',
    });
    expect(c.nodeName).toBe('flag');
    expect(c.nodeMeta).toEqual({ a: '1', b: '2' });
    expect(c.ports.http).toBe(2);
  });

  it('converts the user shape: durations to ms, domain to FQDN, client_addr list, lower-case datacenter, ui', async () => {
    write('cfg/a.json', {
      datacenter: 'East-1',
      domain: 'example',
      alt_domain: 'alt.test',
      client_addr: '127.0.0.1 ::1',
      default_query_time: '1m30s',
      max_query_time: '15.0s',
      session_ttl_min: '1.5s',
      raft_snapshot_interval: '0.001s',
      ui: true,
      log_level: 'ERR',
      node_id: 'ADF4238A-882B-9DDC-4A9D-5B6758E4159E',
      pid_file: '/tmp/x.pid',
      enable_local_script_checks: true,
    });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(c).toMatchObject({
      datacenter: 'east-1',
      domain: 'example.',
      altDomain: 'alt.test.',
      clientAddrs: ['127.0.0.1', '::1'],
      defaultQueryTimeMs: 90_000,
      maxQueryTimeMs: 15_000,
      sessionTtlMinMs: 1500,
      ui: true,
      logLevel: 'error',
      nodeId: 'adf4238a-882b-9ddc-4a9d-5b6758e4159e',
      pidFile: '/tmp/x.pid',
      enableLocalScriptChecks: true,
      enableScriptChecks: false,
    });
    expect(c.raft.snapshotIntervalMs).toBe(1);
  });

  it('passes dns_config, addresses and other plugin-facing subtrees through `extra`', async () => {
    write('cfg/a.json', { dns_config: { allow_stale: true, max_stale: '87600h' }, addresses: { http: '0.0.0.0' }, telemetry: { disable_hostname: true } });
    write('cfg/b.json', { dns_config: { node_ttl: '10s' } });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(c.extra.dns_config).toEqual({ allow_stale: true, max_stale: '87600h', node_ttl: '10s' });
    expect(c.extra.addresses).toEqual({ http: '0.0.0.0' });
    expect(c.extra.telemetry).toEqual({ disable_hostname: true });
    expect(c.extra).not.toHaveProperty('datacenter');
  });

  it('records which files set each plugin_config.<name>, in load order', async () => {
    write('cfg/a.json', { plugin_config: { one: { x: 1 } } });
    write('cfg/b.json', { plugin_config: { one: { y: 2 }, two: {} } });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(c.pluginConfig).toEqual({ one: { x: 1, y: 2 }, two: {} });
    expect(c.pluginConfigSources).toEqual({ one: [join('cfg', 'a.json'), join('cfg', 'b.json')], two: [join('cfg', 'b.json')] });
  });

  it('returns a deeply frozen config', async () => {
    write('cfg/a.json', { services: [{ name: 'web', tags: ['a'] }], plugin_config: { p: { list: [1] } } });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.ports)).toBe(true);
    expect(Object.isFrozen(c.services[0]!.tags)).toBe(true);
    expect(Object.isFrozen((c.pluginConfig.p as { list: number[] }).list)).toBe(true);
    expect(() => (c.services as unknown[]).push({})).toThrow(TypeError);
  });
});

describe('plugins, plugin_config, adapters', () => {
  it('resolves each plugin entry against the directory of the file naming it', async () => {
    write('cfg/a.json', { plugins: ['../plugins/counter', 'some-package'], plugin_config: { counter: { port: 0 } }, adapters: { log_store: 'sqlite' } });
    write('other/b.json', { plugins: ['./local.js'], plugin_config: { counter: { verbose: true } }, adapters: { transport: 'tcp' } });
    const c = await loadRuntimeConfig({ flags: flags({ configPaths: ['cfg', 'other/b.json'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(c.plugins).toEqual([
      { spec: '../plugins/counter', baseDir: resolve(sandbox.root(), 'cfg'), source: 'cfg/a.json' },
      { spec: 'some-package', baseDir: resolve(sandbox.root(), 'cfg'), source: 'cfg/a.json' },
      { spec: './local.js', baseDir: resolve(sandbox.root(), 'other'), source: 'other/b.json' },
    ]);
    expect(c.pluginConfig).toEqual({ counter: { port: 0, verbose: true } });
    expect(c.adapters).toEqual({ log_store: 'sqlite', transport: 'tcp' });
    expect(c.extra).not.toHaveProperty('plugins');
  });
});

describe('errors name the file and the JSON pointer', () => {
  it('unknown top-level and nested keys', async () => {
    write('config/web.json', { datacenter: 'dc1', datacentre: 'x', ports: { htp: 1 } });
    const e = await loadError({ configPaths: ['config'] });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message.split('\n')).toEqual([
      'config/web.json: /datacentre: unknown key (did you mean "datacenter"?)',
      'config/web.json: /ports/htp: unknown key (did you mean "http"?)',
    ]);
  });

  it('wrong types, ranges and enums', async () => {
    write('config/web.json', { ports: { http: '8500', dns: 70000 }, server: 'yes', services: [{ name: 'w', check: { status: 'ok' } }] });
    const e = await loadError({ configPaths: ['config'] });
    const lines = e.message.split('\n');
    expect(lines).toContain('config/web.json: /ports/http: must be integer');
    expect(lines).toContain('config/web.json: /ports/dns: must be <= 65535');
    expect(lines).toContain('config/web.json: /server: must be boolean');
    expect(lines).toContain('config/web.json: /services/0/check/status: must be one of "passing", "warning", "critical"');
    expect((e as unknown as { details: { problems: { pointer: string }[] } }).details.problems.map((p) => p.pointer)).toContain('/ports/http');
  });

  it('missing service name and bad durations, with Go duration texts', async () => {
    write('config/svc.json', { service: { port: 1, checks: [{ interval: '10' }] }, max_query_time: '1d' });
    const e = await loadError({ configPaths: ['config'] });
    expect(e.message.split('\n')).toEqual(
      expect.arrayContaining([
        'config/svc.json: /service/name: is required',
        'config/svc.json: /service/checks/0/interval: time: missing unit in duration "10"',
        'config/svc.json: /max_query_time: time: unknown unit "d" in duration "1d"',
      ]),
    );
  });

  it('JSON syntax errors give file:line:column', async () => {
    write('config/a.json', '{\n  "datacenter": "dc1"\n  "node_name": "x"\n}\n');
    const e = await loadError({ configPaths: ['config'] });
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.message).toBe('config/a.json:3:3: invalid JSON: expected \',\' or \'}\' after a value, found character "\\""');
    write('config/a.json', '{"a": [1, 2,]}');
    expect((await loadError({ configPaths: ['config'] })).message).toBe("config/a.json:1:13: invalid JSON: trailing comma before ']'");
    write('config/a.json', '{"a": 1');
    expect((await loadError({ configPaths: ['config'] })).message).toBe("config/a.json:1:8: invalid JSON: expected ',' or '}' after a value, found end of input");
    write('config/a.json', '');
    expect((await loadError({ configPaths: ['config'] })).message).toBe('config/a.json:1:1: invalid JSON: unexpected end of input (expected a value)');
  });

  it('a non-object document', async () => {
    write('config/a.json', '[1]');
    expect((await loadError({ configPaths: ['config'] })).message).toBe('config/a.json: (root): must be object');
  });

  it('reports the problems of every file at once', async () => {
    write('config/a.json', { bogus: 1 });
    write('config/b.json', '{');
    write('config/c.json', { log_level: 'loud' });
    const e = await loadError({ configPaths: ['config'] });
    expect(e.message.split('\n')).toEqual([
      'config/a.json: /bogus: unknown key',
      'config/b.json:1:2: invalid JSON: expected a double-quoted key, found end of input',
      'config/c.json: /log_level: Invalid log level: loud. Valid log levels are: [TRACE DEBUG INFO WARN ERR]',
    ]);
  });

  it('names a missing path', async () => {
    expect((await loadError({ configPaths: ['nowhere'] })).message).toBe('nowhere: cannot read: no such file or directory');
  });

  it('validates values coming from flags as the command line', async () => {
    const e = await loadError({ overrides: { data_dir: 'd', log_level: 'chatty' } });
    expect(e.message).toBe('command line: /log_level: Invalid log level: chatty. Valid log levels are: [TRACE DEBUG INFO WARN ERR]');
  });
});

describe('HCL is refused', () => {
  it('in a config dir, naming the file', async () => {
    write('config/a.json', { node_name: 'x' });
    write('config/agent.hcl', 'datacenter = "dc1"\n');
    const e = await loadError({ configPaths: ['config'] });
    expect(e.code).toBe('CONFIG_UNSUPPORTED_FORMAT');
    expect(e.message).toMatch(/^config\/agent\.hcl: HCL configuration is not supported: Sextant reads JSON only\. Convert it to JSON/);
  });
  it('as -config-file, and as -config-format=hcl', async () => {
    write('agent.hcl', 'datacenter = "dc1"\n');
    expect((await loadError({ configPaths: ['agent.hcl'] })).code).toBe('CONFIG_UNSUPPORTED_FORMAT');
    const e = await loadError({ configFormat: 'hcl' });
    expect(e.code).toBe('CONFIG_UNSUPPORTED_FORMAT');
    expect((await loadError({ configFormat: 'yaml' })).message).toBe("-config-format must be either 'hcl' or 'json'");
  });
  it('a -config-file without a known extension is an error', async () => {
    write('agent.conf', '{}');
    expect((await loadError({ configPaths: ['agent.conf'] })).message).toBe('agent.conf: Missing or invalid file extension for "agent.conf". Please use .json');
  });
});

describe('whole-config rules', () => {
  it.each([
    [{ bootstrap: true }, "'bootstrap = true' requires 'server = true'"],
    [{ bootstrap_expect: 3 }, "'bootstrap_expect > 0' requires 'server = true'"],
    [{ server: true, bootstrap_expect: -1 }, 'bootstrap_expect cannot be -1. Must be greater than or equal to zero'],
    [{ server: true, bootstrap: true, bootstrap_expect: 3 }, "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive"],
    [{ advertise_addr: '0.0.0.0' }, 'Advertise address cannot be 0.0.0.0, :: or [::]'],
    [{ bind_addr: 'eth0' }, 'bind_addr: "eth0" is not an IP address'],
    [{ datacenter: 'my dc' }, 'command line: /datacenter: datacenter cannot be "my dc". Please use only [a-z0-9-_].'],
  ])('%j → %s', async (over, msg) => {
    expect((await loadError({ overrides: { data_dir: 'd', ...over } })).message).toBe(msg);
  });

  it('bootstrap_expect with -dev is refused', async () => {
    expect((await loadError({ dev: true, overrides: { bootstrap: false, bootstrap_expect: 3 } })).message).toBe("'bootstrap_expect > 0' not allowed in dev mode");
  });

  it('does not warn about the UI (-ui), -bootstrap-expect, -join or -retry-join, which it acts on', async () => {
    write('cfg/cluster.json', { start_join: ['10.0.0.1'], retry_join: ['10.0.0.2'], bootstrap_expect: 3, server: true, ui_config: { enabled: true } });
    const { warnings } = await loadConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(warnings.filter((w) => /not implemented by Sextant yet|cannot find each other|\bui\b/i.test(w))).toEqual([]);
  });

  it('-dev turns the UI on at /ui/; ui_config.enabled = false turns it off; content_path gets its slashes', async () => {
    const dev = await loadConfig({ flags: flags({ dev: true }), hostname: 'h' });
    expect([dev.config.ui, dev.config.uiContentPath]).toEqual([true, '/ui/']);
    expect(dev.warnings.filter((w) => /\bui\b/i.test(w))).toEqual([]);
    expect((await loadConfig({ flags: flags({ dev: true, overrides: { ui_config: { enabled: false } } }), hostname: 'h' })).config.ui).toBe(false);
    write('cfg/ui.json', { ui_config: { enabled: true, content_path: 'consul/ui' } });
    const custom = await loadConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect([custom.config.ui, custom.config.uiContentPath]).toEqual([true, '/consul/ui/']);
  });

  it('refuses acl.enabled = true (nothing would be enforced) and warns about other settings it does not act on', async () => {
    write('cfg/acl.json', { acl: { enabled: true, default_policy: 'deny' } });
    expect((await loadError({ configPaths: ['cfg'], overrides: { data_dir: 'd' } })).message).toBe(
      'acl.enabled = true: ACLs are not implemented by Sextant, which would allow every request; remove acl.enabled or set it to false',
    );
    write('cfg/acl.json', { acl: { enabled: false }, encrypt: 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=', ports: { https: 8501 }, watches: [{ type: 'key', key: 'k', args: ['/bin/true'] }] });
    const { warnings } = await loadConfig({ flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' });
    expect(warnings).toEqual([
      'tls / ports.https: Sextant does not serve HTTPS or TLS; only plain HTTP is served',
    ]);
  });

  it('bootstrap_expect = 1 means bootstrap, with a warning; even counts warn', async () => {
    const a = await loadConfig({ flags: flags({ overrides: { data_dir: 'd', server: true, bootstrap_expect: 1 } }), hostname: 'h' });
    expect(a.config.bootstrap).toBe(true);
    expect(a.config.bootstrapExpect).toBe(0);
    expect(a.warnings).toContain('BootstrapExpect is set to 1; this is the same as Bootstrap mode.');
    const b = await loadConfig({ flags: flags({ overrides: { data_dir: 'd', server: true, bootstrap_expect: 4 } }), hostname: 'h' });
    expect(b.config.bootstrapExpect).toBe(4);
    expect(b.warnings.some((w) => w.startsWith('bootstrap_expect is even number'))).toBe(true);
  });

  it('bind 0.0.0.0 advertises the single private IPv4 address', async () => {
    const ifaces = (addrs: string[]) => () => ({
      lo: [{ address: '127.0.0.1', family: 'IPv4' as const, internal: true, netmask: '255.0.0.0', mac: '', cidr: null }],
      eth0: addrs.map((address) => ({ address, family: 'IPv4' as const, internal: false, netmask: '255.255.255.0', mac: '', cidr: null })),
    });
    const f = flags({ overrides: { data_dir: 'd', bind_addr: '0.0.0.0' } });
    const c = await loadRuntimeConfig({ flags: f, hostname: 'h', networkInterfaces: ifaces(['8.8.4.4', '10.1.2.3']) });
    expect(c.advertiseAddr).toBe('10.1.2.3');
    await expect(loadRuntimeConfig({ flags: f, hostname: 'h', networkInterfaces: ifaces(['10.1.2.3', '192.168.1.9']) })).rejects.toThrow(
      "Multiple private IPv4 addresses found. Please configure one with 'bind' and/or 'advertise'.",
    );
  });
});

describe('reload and validate', () => {
  it('same inputs give an equal config; a changed file gives the new config', async () => {
    write('cfg/a.json', { services: [{ name: 'web' }], log_level: 'info' });
    const input = { flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' };
    const first = await loadRuntimeConfig(input);
    const again = await loadRuntimeConfig(input);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    write('cfg/a.json', { services: [{ name: 'web' }, { name: 'api' }], log_level: 'debug' });
    const changed = await loadRuntimeConfig(input);
    expect(changed.services.map((s) => s.name)).toEqual(['web', 'api']);
    expect(changed.logLevel).toBe('debug');
    write('cfg/a.json', { log_level: 7 });
    await expect(loadRuntimeConfig(input)).rejects.toThrow('cfg/a.json: /log_level: must be string');
    expect(first.services.map((s) => s.name)).toEqual(['web']); // the old config is untouched
  });

  it('validateConfigDirs returns the config or every problem, never throwing for config errors', async () => {
    write('good/a.json', { data_dir: '/var/lib/sextant', server: true, bootstrap_expect: 3 });
    const ok = await validateConfigDirs(['good'], { hostname: 'h' });
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.config.bootstrapExpect).toBe(3);
    write('bad/a.json', { ports: { http: 'x' } });
    write('bad/b.hcl', '');
    const bad = await validateConfigDirs(['bad'], { hostname: 'h' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems.map((p) => `${p.source}${p.pointer ?? ''}`)).toEqual(['bad/a.json/ports/http', 'bad/b.hcl']);
    }
    mkdirSync(join(sandbox.root(), 'empty'));
    // validate checks fragments (service definitions and the like) that need not name a data_dir,
    // while an agent started from the same files refuses to run without one.
    expect((await validateConfigDirs(['empty'], { hostname: 'h' })).ok).toBe(true);
    await expect(loadConfig({ flags: { dev: false, configPaths: [join(sandbox.root(), 'empty')], configFormat: '', overrides: {} }, hostname: 'h' })).rejects.toThrow('data_dir cannot be empty');
    expect((await validateConfigDirs(['empty'], { hostname: 'h', dev: true })).ok).toBe(true);
  });
});

describe('nonReloadableChanges', () => {
  it('lists only the changed settings that need a restart', async () => {
    const { nonReloadableChanges } = await import('../../../src/config/reload-changes.js');
    write('cfg/a.json', { services: [{ name: 'web' }], log_level: 'info', ports: { http: 18500 } });
    const input = { flags: flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }), hostname: 'h' };
    const a = await loadRuntimeConfig(input);
    write('cfg/a.json', { services: [{ name: 'api' }], log_level: 'debug', ports: { http: 18500 }, dns_config: { node_ttl: '5s' } });
    expect(nonReloadableChanges(a, await loadRuntimeConfig(input))).toEqual([]);
    write('cfg/a.json', { ports: { http: 18501 }, datacenter: 'dc2', plugins: ['./p.js'] });
    expect(nonReloadableChanges(a, await loadRuntimeConfig(input))).toEqual(['datacenter', 'ports', 'plugins']);
    write('cfg/a.json', { services: [{ name: 'web' }], log_level: 'info', ports: { http: 18500 }, session_ttl_min: '1s' });
    expect(nonReloadableChanges(a, await loadRuntimeConfig(input))).toEqual(['session_ttl_min']);
    // The web UI is mounted at start, as Consul's (which does not reload ui_config.enabled or content_path either).
    write('cfg/a.json', { services: [{ name: 'web' }], log_level: 'info', ports: { http: 18500 }, ui_config: { enabled: true, content_path: '/console/' } });
    expect(nonReloadableChanges(a, await loadRuntimeConfig(input))).toEqual(['ui', 'ui_config.content_path']);
  });
});
