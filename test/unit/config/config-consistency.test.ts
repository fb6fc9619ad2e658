import { describe, expect, it } from 'vitest';
import { useConfigSandbox } from './config-sandbox.js';
import { loadRuntimeConfig } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';

const sandbox = useConfigSandbox('sextant-consistency-');
const flags = (f: Partial<ConfigFlags> = {}): ConfigFlags => ({ dev: true, configPaths: ['conf'], configFormat: '', overrides: {}, ...f });
const load = () => loadRuntimeConfig({ flags: flags(), hostname: 'host-a' });

describe('consistency settings (performance.rpc_hold_timeout, discovery_max_stale)', () => {
  it("default to Consul's: a 7 s hold, discovery_max_stale off", async () => {
    sandbox.write('conf/a.json', {});
    const config = await load();
    expect(config.rpcHoldTimeoutMs).toBe(7_000);
    expect(config.discoveryMaxStaleMs).toBe(0);
  });

  it('read Go durations from the file', async () => {
    sandbox.write('conf/a.json', { performance: { rpc_hold_timeout: '3s' }, discovery_max_stale: '2m' });
    const config = await load();
    expect(config.rpcHoldTimeoutMs).toBe(3_000);
    expect(config.discoveryMaxStaleMs).toBe(120_000);
  });
});
