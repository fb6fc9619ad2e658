import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { agentPluginRefs, pluginCheckFields } from '../../../src/kernel/plugin-check-fields.js';
import { configCheckFields } from '../../../src/kernel/load-agent-config.js';
import type { PluginRef } from '../../../src/kernel/plugin-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-check-fields-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a plugin module (plain JS) under <dir>/conf.d/plugins/<folder> and returns a ref to it. */
function plugin(folder: string, name: string, extra: string, source = 'conf.d/agent.json', register = 'register() {}'): PluginRef {
  const p = join(dir, 'conf.d', 'plugins', folder);
  mkdirSync(p, { recursive: true });
  writeFileSync(join(p, 'index.js'), `export default { name: '${name}', version: '1.0.0', kernel: '^1.0.0', ${extra} ${register} };\n`);
  return { spec: `./plugins/${folder}`, baseDir: join(dir, 'conf.d'), source };
}

async function failure(refs: PluginRef[]): Promise<SextantError> {
  try {
    await pluginCheckFields(refs);
  } catch (e) {
    expect(e).toBeInstanceOf(SextantError);
    return e as SextantError;
  }
  throw new Error('expected pluginCheckFields to fail');
}

describe('pluginCheckFields', () => {
  it('merges the check fields plugins declare, without registering them', async () => {
    const a = plugin('fields-a', 'fields-a', "checkFields: { redis_ping: { type: 'string' } },", 'conf.d/agent.json', "register() { throw new Error('registered!'); }");
    const b = plugin('fields-b', 'fields-b', "checkFields: { file_present: { type: 'string', pattern: '^/' }, file_min_bytes: { type: 'integer' } },");
    const none = plugin('fields-none', 'fields-none', '');
    expect(await pluginCheckFields([a, none, b])).toEqual({
      redis_ping: { type: 'string' },
      file_present: { type: 'string', pattern: '^/' },
      file_min_bytes: { type: 'integer' },
    });
  });

  it('the example file_exists plugin declares its field', async () => {
    const ref = { spec: './plugins/check-file-exists', baseDir: resolve('examples'), source: 'examples/agent.json' };
    const fields = await pluginCheckFields([ref]);
    expect(Object.keys(fields)).toEqual(['file_exists']);
    expect(fields['file_exists']).toMatchObject({ type: 'string', pattern: '^/' });
  });

  it('two plugins declaring the same field: a coded error naming both plugins and their config files', async () => {
    const one = plugin('clash-one', 'clash-one', "checkFields: { probe_target: { type: 'string' } },", 'conf.d/one.json');
    const two = plugin('clash-two', 'clash-two', "checkFields: { probe_target: { type: 'string' } },", 'conf.d/two.json');
    const e = await failure([one, two]);
    expect(e.code).toBe(ErrorCode.PluginManifestInvalid);
    expect(e.message).toBe('conf.d/two.json: plugin clash-two: check field "probe_target" is already declared by plugin clash-one (conf.d/one.json)');
  });

  it('the same plugin named twice is taken once (loading reports the duplicate)', async () => {
    const one = plugin('twice', 'twice', "checkFields: { twice_field: { type: 'string' } },");
    expect(await pluginCheckFields([one, one])).toEqual({ twice_field: { type: 'string' } });
  });

  it('refuses bad checkFields in the manifest: not snake_case, a core field, not a schema, a schema that does not compile', async () => {
    const cases: [string, RegExp][] = [
      ["checkFields: { FileExists: { type: 'string' } },", /manifest\.checkFields: "FileExists" is not a snake_case field name/],
      ["checkFields: { http: { type: 'string' } },", /manifest\.checkFields: "http" is a core check-definition field/],
      ["checkFields: { interval: { type: 'string' } },", /"interval" is a core check-definition field/],
      ["checkFields: { my_field: 'string' },", /manifest\.checkFields\.my_field: must be object/],
      ["checkFields: ['my_field'],", /manifest\.checkFields: must be object/],
      ["checkFields: { my_field: { type: 'strin' } },", /plugin bad-\d: checkFields\.my_field does not compile/],
    ];
    let i = 0;
    for (const [extra, re] of cases) {
      const e = await failure([plugin(`bad-${i}`, `bad-${i}`, extra)]);
      i++;
      expect(e.code).toBe(ErrorCode.PluginManifestInvalid);
      expect(e.message).toMatch(/^conf\.d\/agent\.json: plugin bad-\d: /);
      expect(e.message).toMatch(re);
    }
  });

  it('a plugin that cannot be found is the loader error', async () => {
    const e = await failure([{ spec: './plugins/nope', baseDir: join(dir, 'conf.d'), source: 'conf.d/agent.json' }]);
    expect(e.code).toBe(ErrorCode.PluginNotFound);
    expect(e.message).toMatch(/^conf\.d\/agent\.json: plugin \.\/plugins\/nope: no such file or directory/);
  });

  it('configCheckFields: first-party plugins plus the ones the config files name', async () => {
    const conf = join(dir, 'cfg-dir');
    mkdirSync(join(conf, 'plugins'), { recursive: true });
    writeFileSync(join(conf, 'plugins', 'fx.js'), "export default { name: 'fx', version: '1.0.0', kernel: '^1.0.0', checkFields: { fx_target: { type: 'string' } }, register() {} };\n");
    writeFileSync(join(conf, 'agent.json'), JSON.stringify({ plugins: ['./plugins/fx.js'] }));
    expect(await configCheckFields({ dev: true, configPaths: [conf], configFormat: '', overrides: {} })).toEqual({ fx_target: { type: 'string' } });
    expect(agentPluginRefs([]).every((r) => r.source === 'first-party')).toBe(true);
  });
});
