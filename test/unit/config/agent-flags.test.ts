import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import { agentFlagSet, parseAgentFlags } from '../../../src/cli/agent-flags.js';
import { loadRuntimeConfig } from '../../../src/config/load-config.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sextant-flags-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function thrown(fn: () => unknown): Error & { code: string } {
  try {
    fn();
  } catch (e) {
    expect(isSextantError(e)).toBe(true);
    return e as Error & { code: string };
  }
  throw new Error('expected a throw');
}

describe('parseAgentFlags', () => {
  it('maps flags onto the snake_case config fragment', () => {
    const f = parseAgentFlags([
      '-server', '-bootstrap-expect=3', '-node', 'n1', '-node-id', 'adf4238a-882b-9ddc-4a9d-5b6758e4159e',
      '-datacenter', 'east', '-bind', '10.0.0.1', '-advertise=10.0.0.2', '-client', '127.0.0.1 ::1',
      '-data-dir', '/var/lib/s', '-pid-file', 'p.pid', '-http-port', '18500', '-dns-port=18600',
      '-server-port', '18300', '-serf-lan-port', '18301', '-serf-wan-port=18302', '-log-level', 'warn', '-log-json', '-ui',
      '-enable-script-checks', '-enable-local-script-checks', '-domain', 'example', '-alt-domain', 'alt',
      '-recursor', '8.8.8.8', '-recursor=1.1.1.1', '-retry-join', 'a', '-retry-join', 'b',
      '-node-meta', 'rack:r1', '-node-meta=url:http://x:1', '-default-query-time', '90s', '-max-query-time=10m',
    ]);
    expect(f.dev).toBe(false);
    expect(f.help).toBe(false);
    expect(f.overrides).toEqual({
      server: true,
      bootstrap_expect: 3,
      node_name: 'n1',
      node_id: 'adf4238a-882b-9ddc-4a9d-5b6758e4159e',
      datacenter: 'east',
      bind_addr: '10.0.0.1',
      advertise_addr: '10.0.0.2',
      client_addr: '127.0.0.1 ::1',
      data_dir: '/var/lib/s',
      pid_file: 'p.pid',
      ports: { http: 18500, dns: 18600, server: 18300, serf_lan: 18301, serf_wan: 18302 },
      log_level: 'warn',
      log_json: true,
      ui_config: { enabled: true },
      enable_script_checks: true,
      enable_local_script_checks: true,
      domain: 'example',
      alt_domain: 'alt',
      recursors: ['8.8.8.8', '1.1.1.1'],
      retry_join: ['a', 'b'],
      node_meta: { rack: 'r1', url: 'http://x:1' },
      default_query_time: '1m30s',
      max_query_time: '10m0s',
    });
  });

  it('sets nothing for absent flags, so files are not overridden', () => {
    const f = parseAgentFlags(['-dev']);
    expect(f).toEqual({ dev: true, configPaths: [], configFormat: '', overrides: {}, help: false, args: [] });
  });

  it('keeps -config-file and -config-dir interleaved in command-line order', () => {
    const f = parseAgentFlags(['-config-dir', 'd1', '-config-file=f.json', '-config-dir=d2', '-config-format', 'json']);
    expect(f.configPaths).toEqual(['d1', 'f.json', 'd2']);
    expect(f.configFormat).toBe('json');
  });

  it('refuses -hcl clearly', () => {
    const e = thrown(() => parseAgentFlags(['-hcl', 'datacenter = "x"']));
    expect(e.code).toBe('CONFIG_UNSUPPORTED_FORMAT');
    expect(e.message).toMatch(/^-hcl is not supported: Sextant reads JSON configuration only/);
  });

  it("gives Go's flag errors", () => {
    expect(thrown(() => parseAgentFlags(['-http-port', 'abc'])).message).toBe('invalid value "abc" for flag -http-port: parse error');
    // -join is Consul's and accepted now (with a warning until gossip lands); a flag Consul never had is Go's error.
    expect(parseAgentFlags(['-join', '10.0.0.1', '-encrypt', 'k']).overrides).toMatchObject({ start_join: ['10.0.0.1'], encrypt: 'k' });
    expect(thrown(() => parseAgentFlags(['-joinx', 'x'])).message).toBe('flag provided but not defined: -joinx');
    expect(thrown(() => parseAgentFlags(['-max-query-time', '10'])).message).toBe('invalid value "10" for flag -max-query-time: parse error');
    expect(thrown(() => parseAgentFlags(['-node-meta', 'nocolon'])).code).toBe('FLAG_INVALID');
  });

  it('reports help and renders usage listing every flag', () => {
    expect(parseAgentFlags(['-help']).help).toBe(true);
    const usage = agentFlagSet().usage();
    expect(usage.startsWith('Usage of agent:\n')).toBe(true);
    for (const name of ['dev', 'config-dir', 'config-file', 'http-port', 'node-meta', 'retry-join', 'max-query-time']) {
      expect(usage).toContain(`  -${name}`);
    }
    expect(usage).toContain('  -node-meta key:value\n');
  });
});

describe('flags → loadRuntimeConfig', () => {
  it('-ui-content-path moves the UI (slashes added, as Consul does); a file’s ui_config.enabled still applies', async () => {
    mkdirSync(join(root, 'cfg'));
    writeFileSync(join(root, 'cfg', 'a.json'), JSON.stringify({ ui_config: { enabled: false } }));
    const moved = await loadRuntimeConfig({ flags: parseAgentFlags(['-dev', '-ui-content-path', 'consul/ui']), hostname: 'h' });
    expect([moved.ui, moved.uiContentPath]).toEqual([true, '/consul/ui/']);
    const off = await loadRuntimeConfig({ flags: parseAgentFlags(['-dev', '-config-dir', join(root, 'cfg'), '-ui-content-path', '/x/']), hostname: 'h' });
    expect([off.ui, off.uiContentPath]).toEqual([false, '/x/']);
  });

  it('-dev gives dev defaults; flags beat files', async () => {
    mkdirSync(join(root, 'cfg'));
    writeFileSync(join(root, 'cfg', 'a.json'), JSON.stringify({ node_name: 'file', ports: { http: 1111, dns: 2222 }, ui_config: { enabled: false } }));
    const flags = parseAgentFlags(['-dev', '-config-dir', join(root, 'cfg'), '-http-port', '18500', '-ui']);
    const c = await loadRuntimeConfig({ flags, hostname: 'h' });
    expect(c).toMatchObject({ dev: true, server: true, bootstrap: true, logLevel: 'debug', nodeName: 'file', ui: true });
    expect(c.ports).toMatchObject({ http: 18500, dns: 2222 });
    expect(c.raft.multiplier).toBe(1);
  });

  it("without -dev and -data-dir: Consul's data_dir error", async () => {
    await expect(loadRuntimeConfig({ flags: parseAgentFlags(['-server']), hostname: 'h' })).rejects.toThrow(/^data_dir cannot be empty$/);
  });

  it('-bootstrap without -server is refused', async () => {
    await expect(loadRuntimeConfig({ flags: parseAgentFlags(['-bootstrap', '-data-dir', root]), hostname: 'h' })).rejects.toThrow(
      "'bootstrap = true' requires 'server = true'",
    );
  });
});
