import { describe, expect, it } from 'vitest';
import { useConfigSandbox } from './config-sandbox.js';
import { loadFailure } from './load-failure.js';
import { loadRuntimeConfig } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';
import { parseAgentFlags } from '../../../src/cli/agent-flags.js';
import { nonReloadableChanges } from '../../../src/config/reload-changes.js';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import { runCommand } from '../../support/run-command.js';

const sandbox = useConfigSandbox('sextant-gossip-config-');
const write = sandbox.write;

function flags(f: Partial<ConfigFlags>): ConfigFlags {
  return { dev: false, configPaths: [], configFormat: '', overrides: {}, ...f };
}
const load = (f: Partial<ConfigFlags>) => loadRuntimeConfig({ flags: flags(f), hostname: 'host-a' });

const KEY32 = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const KEY16 = 'i0P+gFTkLPg0h53eNYjydg==';

describe('gossip pool settings: defaults', () => {
  it("a client: Consul's join, retry, encryption and gossip_lan defaults; leaves on SIGTERM and on SIGINT", async () => {
    const c = await load({ overrides: { data_dir: 'd' } });
    expect(c).toMatchObject({
      startJoin: [],
      retryJoin: [],
      retryIntervalMs: 30_000,
      retryMax: 0,
      rejoinAfterLeave: false,
      leaveOnTerminate: true,
      skipLeaveOnInterrupt: false,
      encrypt: '',
      encryptVerifyIncoming: true,
      encryptVerifyOutgoing: true,
      disableKeyringFile: false,
      serfLanBindAddr: '127.0.0.1',
      gossipLan: { gossipIntervalMs: 200, gossipNodes: 3, probeIntervalMs: 1000, probeTimeoutMs: 500, retransmitMult: 4, suspicionMult: 4 },
      reconnectTimeoutMs: 72 * 3600_000,
      disableCoordinates: false,
    });
  });

  it('a server (and -dev) does not leave on SIGTERM and skips the leave on SIGINT', async () => {
    expect(await load({ overrides: { data_dir: 'd', server: true } })).toMatchObject({ leaveOnTerminate: false, skipLeaveOnInterrupt: true });
    expect(await load({ dev: true })).toMatchObject({ leaveOnTerminate: false, skipLeaveOnInterrupt: true });
  });

  it('explicit leave settings win over the per-mode defaults', async () => {
    const s = await load({ overrides: { data_dir: 'd', server: true, leave_on_terminate: true, skip_leave_on_interrupt: false } });
    expect(s).toMatchObject({ leaveOnTerminate: true, skipLeaveOnInterrupt: false });
    const c = await load({ overrides: { data_dir: 'd', leave_on_terminate: false, skip_leave_on_interrupt: true } });
    expect(c).toMatchObject({ leaveOnTerminate: false, skipLeaveOnInterrupt: true });
  });

  it('serf_lan defaults to bind_addr and may be set apart from it', async () => {
    expect((await load({ overrides: { data_dir: 'd', bind_addr: '127.0.0.2' } })).serfLanBindAddr).toBe('127.0.0.2');
    expect((await load({ overrides: { data_dir: 'd', bind_addr: '127.0.0.2', serf_lan: '127.0.0.3' } })).serfLanBindAddr).toBe('127.0.0.3');
  });
});

describe('gossip pool settings: files and flags', () => {
  it('reads every key from a config file; start_join and retry_join append across files', async () => {
    write('cfg/a.json', {
      start_join: ['10.0.0.1'],
      retry_join: ['10.0.0.2'],
      retry_interval: '5s',
      retry_max: 3,
      rejoin_after_leave: true,
      encrypt: KEY32,
      encrypt_verify_incoming: false,
      encrypt_verify_outgoing: false,
      disable_keyring_file: true,
      gossip_lan: { gossip_interval: '100ms', gossip_nodes: 4, probe_interval: '2s', probe_timeout: '1s', retransmit_mult: 3, suspicion_mult: 5 },
      reconnect_timeout: '8h',
      disable_coordinates: true,
    });
    write('cfg/b.json', { start_join: ['10.0.0.3'], retry_join: ['10.0.0.4'] });
    const c = await load({ configPaths: ['cfg'], overrides: { data_dir: 'd' } });
    expect(c).toMatchObject({
      startJoin: ['10.0.0.1', '10.0.0.3'],
      retryJoin: ['10.0.0.2', '10.0.0.4'],
      retryIntervalMs: 5000,
      retryMax: 3,
      rejoinAfterLeave: true,
      encrypt: KEY32,
      encryptVerifyIncoming: false,
      encryptVerifyOutgoing: false,
      disableKeyringFile: true,
      gossipLan: { gossipIntervalMs: 100, gossipNodes: 4, probeIntervalMs: 2000, probeTimeoutMs: 1000, retransmitMult: 3, suspicionMult: 5 },
      reconnectTimeoutMs: 8 * 3600_000,
      disableCoordinates: true,
    });
    // The settings it acts on are no longer passed on as unknown extras.
    expect(Object.keys(c.extra)).not.toContain('gossip_lan');
    expect(Object.keys(c.extra)).not.toContain('encrypt');
  });

  it('agent flags: -join, -retry-join, -retry-interval, -retry-max, -rejoin, -encrypt, -disable-keyring-file, -serf-lan-bind', async () => {
    const f = parseAgentFlags([
      '-data-dir', 'd', '-join', '10.0.0.1', '-join', '10.0.0.2', '-retry-join', '10.0.0.3', '-retry-interval', '250ms', '-retry-max', '2',
      '-rejoin', '-encrypt', KEY16, '-disable-keyring-file', '-serf-lan-bind', '127.0.0.5',
    ]);
    const c = await loadRuntimeConfig({ flags: f, hostname: 'h' });
    expect(c).toMatchObject({
      startJoin: ['10.0.0.1', '10.0.0.2'],
      retryJoin: ['10.0.0.3'],
      retryIntervalMs: 250,
      retryMax: 2,
      rejoinAfterLeave: true,
      encrypt: KEY16,
      disableKeyringFile: true,
      serfLanBindAddr: '127.0.0.5',
    });
  });

  it('no "not implemented yet" warning for encrypt, start_join or retry_join any more', async () => {
    const { loadConfig } = await import('../../../src/config/load-config.js');
    const { warnings } = await loadConfig({ flags: flags({ overrides: { data_dir: 'd', encrypt: KEY32, start_join: ['a'], retry_join: ['b'] } }), hostname: 'h' });
    expect(warnings.filter((w) => /encrypt|start_join|retry_join/.test(w))).toEqual([]);
  });

  it('the gossip settings take effect only at a restart (a reload reports them)', async () => {
    const a = await load({ overrides: { data_dir: 'd' } });
    const b = await load({ overrides: { data_dir: 'd', encrypt: KEY32, reconnect_timeout: '9h', gossip_lan: { gossip_nodes: 5 }, serf_lan: '127.0.0.9' } });
    expect(nonReloadableChanges(a, b)).toEqual(expect.arrayContaining(['encrypt', 'serf_lan', 'gossip_lan', 'reconnect_timeout']));
  });
});

describe('gossip pool settings: validation with Consul texts', () => {
  it.each([
    [{ encrypt: 'this is not a valid key' }, 'encrypt has invalid key: illegal base64 data at input byte 4'],
    [{ encrypt: 'abc' }, 'encrypt has invalid key: illegal base64 data at input byte 0'],
    [{ encrypt: Buffer.alloc(20).toString('base64') }, 'encrypt has invalid key: key size must be 16, 24 or 32 bytes'],
    [{ reconnect_timeout: '4h' }, 'ReconnectTimeoutLan must be >= 8h0m0s'],
    [{ serf_lan: 'eth0' }, 'serf_lan: "eth0" is not an IP address'],
  ])('%j → %s', async (over, msg) => {
    expect((await loadFailure(flags({ overrides: { data_dir: 'd', ...over } }))).message).toBe(msg);
  });

  it('accepts keys of 16, 24 and 32 bytes', async () => {
    for (const n of [16, 24, 32]) {
      const key = Buffer.alloc(n, 7).toString('base64');
      expect((await load({ overrides: { data_dir: 'd', encrypt: key } })).encrypt).toBe(key);
    }
  });

  it('schema errors name the file and the pointer: retry_max, gossip_lan, disable_coordinates', async () => {
    write('cfg/bad.json', { retry_max: -1 });
    expect((await loadFailure(flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }))).message).toContain('/retry_max');
    write('cfg/bad.json', { gossip_lan: { gossip_nodes: 'three' } });
    expect((await loadFailure(flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }))).message).toContain('/gossip_lan/gossip_nodes');
    write('cfg/bad.json', { gossip_lan: { probe_interval: 'soon' } });
    expect((await loadFailure(flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }))).message).toContain('/gossip_lan/probe_interval');
    write('cfg/bad.json', { disable_coordinates: 'yes' });
    expect((await loadFailure(flags({ configPaths: ['cfg'], overrides: { data_dir: 'd' } }))).message).toContain('/disable_coordinates');
  });
});

describe('sextant validate', () => {
  it('accepts every gossip pool setting, and refuses a bad key with Consul\'s text', async () => {
    write('cfg/pool.json', {
      start_join: ['10.0.0.1'],
      retry_join: ['10.0.0.2'],
      retry_interval: '10s',
      retry_max: 3,
      rejoin_after_leave: true,
      leave_on_terminate: true,
      skip_leave_on_interrupt: false,
      encrypt: KEY32,
      encrypt_verify_incoming: true,
      encrypt_verify_outgoing: true,
      disable_keyring_file: true,
      serf_lan: '127.0.0.1',
      gossip_lan: { gossip_interval: '200ms', gossip_nodes: 3, probe_interval: '1s', probe_timeout: '500ms', retransmit_mult: 4, suspicion_mult: 4 },
      reconnect_timeout: '72h',
      disable_coordinates: false,
    });
    expect(await runCommand(validateCommand, ['cfg'], {})).toEqual({ code: 0, stdout: 'Configuration is valid!\n', stderr: '' });
    write('cfg/zz-key.json', { encrypt: 'this is not a valid key' });
    const bad = await runCommand(validateCommand, ['cfg'], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('encrypt has invalid key: illegal base64 data at input byte 4');
  });
});
