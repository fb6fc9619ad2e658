import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import { useConfigSandbox } from './config-sandbox.js';
import { validateAgainstSchema, validateCheckFieldValues } from '../../../src/config/config-schema.js';
import { collectPluginEntries, loadConfig, validateConfigDirs } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';

// Plugins' check fields (PluginManifest.checkFields) in config validation: accepted wherever a
// check definition may appear, validated with their own schema; other unknown keys stay errors.

const checkFields = { file_exists: { type: 'string', pattern: '^/', description: 'a path' } } as const;

const sandbox = useConfigSandbox('sextant-check-fields-');
const write = sandbox.write;

function flags(f: Partial<ConfigFlags>): ConfigFlags {
  return { dev: true, configPaths: [], configFormat: '', overrides: {}, ...f };
}

async function loadMessage(f: Partial<ConfigFlags>, fields?: typeof checkFields): Promise<string> {
  try {
    await loadConfig({ flags: flags(f), hostname: 'h', ...(fields ? { checkFields: fields } : {}) });
  } catch (e) {
    expect(isSextantError(e, 'CONFIG_INVALID')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected the load to fail');
}

const withCheck = (check: Record<string, unknown>): unknown => ({
  plugins: ['./plugins/check-file-exists'],
  service: { name: 'app', check },
});

describe('config validation with plugin check fields', () => {
  it('accepts a plugin field in every place a check definition may appear', async () => {
    write('conf/agent.json', {
      ...(withCheck({ file_exists: '/tmp/x/ready', interval: '1s' }) as object),
      services: [{ name: 'b', checks: [{ file_exists: '/b', interval: '2s' }] }],
      check: { name: 'node-level', file_exists: '/n', interval: '3s' },
      checks: [{ name: 'node-2', file_exists: '/m', interval: '3s' }],
    });
    const { config } = await loadConfig({ flags: flags({ configPaths: ['conf'] }), hostname: 'h', checkFields });
    expect(config.services.map((s) => s['name']).sort()).toEqual(['app', 'b']);
    expect(config.services.find((s) => s['name'] === 'app')!['check']).toEqual({ file_exists: '/tmp/x/ready', interval: '1s' });
    expect(config.checks.map((c) => c['file_exists']).sort()).toEqual(['/m', '/n']);
  });

  it('without the plugin fields, the same file is refused (the schema stays closed)', async () => {
    write('conf/agent.json', withCheck({ file_exists: '/tmp/x/ready', interval: '1s' }));
    expect(await loadMessage({ configPaths: ['conf'] })).toBe('conf/agent.json: /service/check/file_exists: unknown key');
  });

  it('a typo of the plugin field is still an unknown key, naming file and pointer (with a hint)', async () => {
    write('conf/agent.json', withCheck({ file_exist: '/tmp/x/ready', interval: '1s' }));
    expect(await loadMessage({ configPaths: ['conf'] }, checkFields)).toBe(
      'conf/agent.json: /service/check/file_exist: unknown key (did you mean "file_exists"?)',
    );
  });

  it("a bad value for the plugin field is refused by the plugin's schema, naming file and pointer", async () => {
    write('conf/agent.json', withCheck({ file_exists: 'relative/ready', interval: '1s' }));
    expect(await loadMessage({ configPaths: ['conf'] }, checkFields)).toBe('conf/agent.json: /service/check/file_exists: must match pattern "^/"');
    write('conf/agent.json', { services: [{ name: 'x', checks: [{ interval: '1s' }, { file_exists: 7, interval: '1s' }] }] });
    expect(await loadMessage({ configPaths: ['conf'] }, checkFields)).toBe('conf/agent.json: /services/0/checks/1/file_exists: must be string');
  });

  it('core fields keep their rules in the variant', async () => {
    write('conf/agent.json', withCheck({ file_exists: '/x', interval: 'soon' }));
    const e = await loadConfig({ flags: flags({ configPaths: ['conf'] }), hostname: 'h', checkFields }).catch((x: unknown) => x as Error);
    expect(isSextantError(e, 'DURATION_INVALID')).toBe(true);
    expect((e as Error).message).toMatch(/^conf\/agent\.json: \/service\/check\/interval: /);
  });

  it('validateAgainstSchema: the check-definition and service-definition schemas take the fields too', () => {
    expect(validateAgainstSchema('check-definition', { file_exists: '/a', interval: '1s' }, 'c', { checkFields })).toEqual([]);
    expect(validateAgainstSchema('check-definition', { file_exists: '/a' }, 'c')).toEqual([
      { code: 'CONFIG_INVALID', source: 'c', pointer: '/file_exists', message: 'unknown key' },
    ]);
    expect(validateAgainstSchema('service-definition', { name: 's', checks: [{ file_exists: 'no' }] }, 's', { checkFields })).toEqual([
      { code: 'CONFIG_INVALID', source: 's', pointer: '/checks/0/file_exists', message: 'must match pattern "^/"' },
    ]);
    // Another field set compiles another variant; the earlier one is unaffected.
    const other = { redis_ping: { type: 'string' } };
    expect(validateAgainstSchema('check-definition', { redis_ping: 'a:1' }, 'c', { checkFields: other })).toEqual([]);
    expect(validateAgainstSchema('check-definition', { redis_ping: 'a:1' }, 'c', { checkFields })[0]?.message).toBe('unknown key');
  });

  it('validateCheckFieldValues looks only at the plugin fields', () => {
    expect(validateCheckFieldValues(checkFields, { file_exists: '/a', whatever: 1 }, 'api')).toEqual([]);
    expect(validateCheckFieldValues(checkFields, { file_exists: 'a' }, 'api')).toEqual([
      { code: 'CONFIG_INVALID', source: 'api', pointer: '/file_exists', message: 'must match pattern "^/"' },
    ]);
    expect(validateCheckFieldValues({}, { file_exists: 'a' }, 'api')).toEqual([]);
  });

  it('sextant validate (validateConfigDirs) takes the fields too', async () => {
    write('conf/agent.json', withCheck({ file_exists: '/tmp/x/ready', interval: '1s' }));
    expect((await validateConfigDirs(['conf'], { dev: true, checkFields })).ok).toBe(true);
    const bad = await validateConfigDirs(['conf'], { dev: true });
    expect(bad.ok).toBe(false);
  });
});

describe('collectPluginEntries (the pre-pass)', () => {
  it('returns the plugins entries in load order, with the baseDir and source the full load gives them', async () => {
    write('cfg/a.json', { plugins: ['../plugins/counter', 'some-package'], service: { name: 'x', check: { file_exists: '/x', interval: '1s' } } });
    write('cfg/b.json', { plugins: ['./local.js'] });
    write('other/c.json', { plugins: ['./p'] });
    const input = { flags: flags({ configPaths: ['cfg', 'other/c.json'] }) };
    const entries = await collectPluginEntries(input);
    expect(entries).toEqual([
      { spec: '../plugins/counter', baseDir: resolve(sandbox.root(), 'cfg'), source: 'cfg/a.json' },
      { spec: 'some-package', baseDir: resolve(sandbox.root(), 'cfg'), source: 'cfg/a.json' },
      { spec: './local.js', baseDir: resolve(sandbox.root(), 'cfg'), source: 'cfg/b.json' },
      { spec: './p', baseDir: resolve(sandbox.root(), 'other'), source: 'other/c.json' },
    ]);
    // The same entries the full load records (here it validates because the fields are known).
    const { config } = await loadConfig({ ...input, hostname: 'h', checkFields });
    expect(config.plugins).toEqual(entries);
  });

  it('returns what it can and never throws: broken, unreadable and HCL files are skipped', async () => {
    write('cfg/a.json', '{ "plugins": ["./one"], ');
    write('cfg/b.json', { plugins: ['./two', 3], datacenter: 7 });
    write('cfg/c.hcl', 'plugins = ["./three"]');
    write('cfg/d.json', { plugins: 'not-a-list' });
    const entries = await collectPluginEntries({ flags: flags({ configPaths: ['cfg', 'missing.json'] }) });
    expect(entries.map((e) => e.spec)).toEqual(['./two']);
    expect(await collectPluginEntries({ flags: flags({ configPaths: ['cfg'], configFormat: 'yaml' }) })).toEqual([]);
  });
});
