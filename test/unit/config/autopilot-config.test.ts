import { describe, expect, it } from 'vitest';
import { useConfigSandbox } from './config-sandbox.js';
import { loadFailure } from './load-failure.js';
import { loadRuntimeConfig } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';

const sandbox = useConfigSandbox('sextant-autopilot-config-');

function flags(f: Partial<ConfigFlags>): ConfigFlags {
  return { dev: false, configPaths: [], configFormat: '', overrides: {}, ...f };
}
const load = (f: Partial<ConfigFlags>) => loadRuntimeConfig({ flags: flags(f), hostname: 'host-a' });

describe('autopilot { … } (Consul\'s names and defaults)', () => {
  it('defaults: cleanup_dead_servers on, 200ms, 250, 0, 10s', async () => {
    const c = await load({ overrides: { data_dir: 'd', server: true } });
    expect(c.autopilot).toEqual({ cleanupDeadServers: true, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 0, serverStabilizationTimeMs: 10_000 });
  });

  it('reads every key from a file (Enterprise-only keys accepted) and no longer passes the block on as an extra', async () => {
    sandbox.write('cfg/a.json', {
      autopilot: {
        cleanup_dead_servers: false, last_contact_threshold: '1s', max_trailing_logs: 10, min_quorum: 3, server_stabilization_time: '30s',
        redundancy_zone_tag: 'zone', disable_upgrade_migration: true, upgrade_version_tag: 'v',
      },
    });
    const c = await load({ configPaths: ['cfg'], overrides: { data_dir: 'd' } });
    expect(c.autopilot).toEqual({ cleanupDeadServers: false, lastContactThresholdMs: 1000, maxTrailingLogs: 10, minQuorum: 3, serverStabilizationTimeMs: 30_000 });
    expect(Object.keys(c.extra)).not.toContain('autopilot');
  });

  it('refuses wrong types, negative counts, bad durations and unknown keys, naming the key', async () => {
    for (const [autopilot, where] of [
      [{ cleanup_dead_servers: 'yes' }, '/autopilot/cleanup_dead_servers'],
      [{ max_trailing_logs: -1 }, '/autopilot/max_trailing_logs'],
      [{ min_quorum: 1.5 }, '/autopilot/min_quorum'],
      [{ last_contact_threshold: 'soon' }, '/autopilot/last_contact_threshold'],
      [{ server_stabilization_time: '-1s' }, '/autopilot/server_stabilization_time'],
      [{ cleanup: true }, 'cleanup'],
    ] as const) {
      sandbox.write('bad/a.json', { autopilot });
      expect((await loadFailure(flags({ configPaths: ['bad'], overrides: { data_dir: 'd' } }))).message).toContain(where);
    }
  });
});
