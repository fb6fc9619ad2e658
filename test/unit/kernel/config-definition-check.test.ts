import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import { normalizeConfigDefinitions } from '../../../src/agent/config-definitions.js';
import type { ConfigProblem } from '../../../src/config/config-problem.js';
import { validateConfigDirs } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';
import { checkAgentConfig, configCheckFields, loadAgentConfig } from '../../../src/kernel/load-agent-config.js';
import { fakeRunners } from '../agent/fakes.js';

// The config loading step (agent start, reload, `sextant validate`) normalizes the config
// directory's services and checks with the real check runners of the loaded plugins, built
// from the loaded config, exactly as the agent's local state will.

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sextant-defs-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(rel: string, content: unknown): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const flags = (paths: string[] = [join(root, 'conf')]): ConfigFlags => ({ dev: true, configPaths: paths, configFormat: '', overrides: {} });

async function loadProblems(f: ConfigFlags = flags()): Promise<readonly ConfigProblem[]> {
  try {
    await loadAgentConfig({ flags: f, hostname: 'host-a' });
  } catch (e) {
    if (!isSextantError(e, 'CONFIG_INVALID')) throw e;
    return (e.details?.['problems'] as ConfigProblem[] | undefined) ?? [];
  }
  return [];
}

describe('loadAgentConfig refuses the definitions the agent refuses, naming file and pointer', () => {
  it('every bad definition at once, each at its own file and pointer', async () => {
    const a = write('conf/a.json', { service: { name: 'api', check: { http: 'http://localhost:9000/health' } } });
    const b = write('conf/b.json', { services: [{ name: 'web', checks: [{ ttl: '10s' }, { args: ['true'], interval: '10s' }] }] });
    const c = write('conf/c.json', { checks: [{ name: 'orphan', ttl: '10s', service_id: 'ghost' }, { name: 'kindless', interval: '1s' }] });
    const d = write('conf/d.json', { check: { name: 'both', ttl: '10s', interval: '10s', tcp: 'localhost:1' } });
    const e = write('conf/e.json', { service: { name: 'api', port: 1 } });
    const got = (await loadProblems()).map((p) => [p.source, p.pointer, p.message]);
    expect(got).toEqual([
      [a, '/service/check', 'Invalid check: interval is required for http checks (and must be > 0)'],
      [b, '/services/0/checks/1', "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true"],
      [e, '/service', 'duplicate service id "api"'],
      [c, '/checks/0/service_id', 'service_id "ghost" does not name a registered service (a check in the config files must name a service defined in them)'],
      [c, '/checks/1', expect.stringMatching(/^Invalid check: the check has no kind/)],
      [d, '/check', 'Invalid check: interval and ttl cannot both be specified'],
    ]);
  });

  it('the message lists each problem as `file: /pointer: message`', async () => {
    const a = write('conf/a.json', { service: { name: 'api', check: { tcp: 'localhost:1' } } });
    await expect(loadAgentConfig({ flags: flags(), hostname: 'host-a' })).rejects.toThrow(`${a}: /service/check: Invalid check: interval is required for tcp checks (and must be > 0)`);
  });

  it('points at the keys as the file spells them (Consul matches keys case-insensitively)', async () => {
    const a = write('conf/a.json', { Service: { Name: 'api', Checks: [{ TTL: '5s' }, { HTTP: 'http://x/' }] }, Check: { Name: 'o', TTL: '5s', ServiceID: 'nope' } });
    expect((await loadProblems()).map((p) => `${p.source}: ${p.pointer}`)).toEqual([`${a}: /Service/Checks/1`, `${a}: /Check/ServiceID`]);
  });

  it('script checks follow enable_script_checks / enable_local_script_checks of the loaded config', async () => {
    write('conf/a.json', { service: { name: 'web', check: { args: ['true'], interval: '10s' } } });
    expect(await loadProblems()).toHaveLength(1);
    write('conf/b.json', { enable_local_script_checks: true });
    expect(await loadProblems()).toEqual([]);
  });

  it("a plugin's check kind validates with the plugin's runner, built with its plugin_config", async () => {
    const plugin = join(process.cwd(), 'examples', 'plugins', 'check-file-exists');
    write('conf/a.json', {
      plugins: [plugin],
      plugin_config: { 'check-file-exists': { allowed_roots: [root] } },
      service: { name: 'app', check: { file_exists: join(root, 'ready'), interval: '5s' } },
    });
    expect(await loadProblems()).toEqual([]);
    write('conf/b.json', { check: { name: 'etc', file_exists: '/etc/hostname', interval: '5s' } });
    expect((await loadProblems()).map((p) => `${p.source}: ${p.pointer}: ${p.message}`)).toEqual([
      `${join(root, 'conf', 'b.json')}: /check: file_exists: "/etc/hostname" is outside the allowed roots (${root})`,
    ]);
  });

  it('checkAgentConfig gives `sextant validate` the same problems, and closes the runners it built', async () => {
    const marker = join(root, 'closed');
    write(
      'plugin/index.mjs',
      `import { writeFileSync } from 'node:fs';
export default { name: 'check-marker', version: '1.0.0', kernel: '^1.0.0',
  checkFields: { marker: { type: 'string' } },
  register(ctx) { ctx.provide('checkRunner', 'marker', () => ({ kind: 'marker', accepts: (d) => d.marker !== undefined,
    validate: (d) => (d.marker === 'bad' ? 'marker: bad' : undefined), probe: async () => ({ status: 'passing', output: '' }),
    close: async () => writeFileSync(${JSON.stringify(marker)}, 'closed') })); } };`,
    );
    const a = write('conf/a.json', { data_dir: join(root, 'data'), plugins: ['../plugin/index.mjs'], check: { name: 'm', marker: 'bad', interval: '1s' } });
    const paths = [join(root, 'conf')];
    const result = await validateConfigDirs(paths, { checkFields: await configCheckFields(flags(paths)) });
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
    expect(await checkAgentConfig(result.config)).toEqual([{ code: 'CONFIG_INVALID', source: a, pointer: '/check', message: 'marker: bad' }]);
    expect(existsSync(marker)).toBe(true);
  });

  it('a check runner factory that needs a running agent service fails with a clear error', async () => {
    write(
      'plugin/index.mjs',
      `export default { name: 'check-greedy', version: '1.0.0', kernel: '^1.0.0',
  register(ctx) { ctx.provide('checkRunner', 'greedy', (s) => { void s.kv; return { kind: 'greedy', accepts: () => false, validate: () => undefined, probe: async () => ({ status: 'passing', output: '' }), close: async () => {} }; }); } };`,
    );
    write('conf/a.json', { plugins: ['../plugin/index.mjs'] });
    await expect(loadAgentConfig({ flags: flags(), hostname: 'host-a' })).rejects.toThrow(/the kv service is not available to a check runner factory while the configuration is being validated/);
  });
});

describe('normalizeConfigDefinitions', () => {
  const ctx = { runners: fakeRunners().map, origin: 'config' as const };

  it('without origins (a config not loaded from files) names the entry in the message', () => {
    const out = normalizeConfigDefinitions({ services: [{ name: 'web', check: { http: 'http://x/' } }], checks: [] }, ctx);
    expect(out.problems).toEqual([{ code: 'CONFIG_INVALID', message: 'services[0] ("web"): Invalid check: interval is required for http checks (and must be > 0)' }]);
    expect(out.services).toEqual([]);
  });

  it('returns the normalized definitions when all are valid', () => {
    const out = normalizeConfigDefinitions({ services: [{ name: 'web', check: { ttl: '10s' } }], checks: [{ name: 'c', ttl: '5s', service_id: 'web' }] }, ctx);
    expect(out.problems).toEqual([]);
    expect(out.services.map((s) => s.service.id)).toEqual(['web']);
    expect(out.checks.map((c) => [c.id, c.serviceId])).toEqual([['c', 'web']]);
  });

  it('a check of a service that itself failed is not reported a second time', () => {
    const out = normalizeConfigDefinitions({ services: [{ name: 'web', port: 'x' }], checks: [{ name: 'c', ttl: '5s', service_id: 'web' }] }, ctx);
    expect(out.problems.map((p) => p.message)).toEqual(['services[0] ("web"): Invalid service: port must be an integer between 0 and 65535']);
  });
});
