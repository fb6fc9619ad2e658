import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { loadPlugins } from '../../../src/kernel/plugin-loader.js';
import type { PluginRef } from '../../../src/kernel/plugin-loader.js';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a plugin module (plain JS, as a third party would ship) and returns a ref to it. */
function plugin(name: string, body: string, source = join(dir, 'conf.d', 'agent.json')): PluginRef {
  const folder = join(dir, 'conf.d', 'plugins', name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'index.js'), body);
  return { spec: `./plugins/${name}`, baseDir: join(dir, 'conf.d'), source };
}

const manifest = (name: string, extra = ''): string =>
  `export default { name: '${name}', version: '1.0.0', kernel: '^1.0.0', ${extra} register() {} };\n`;

async function loadError(refs: PluginRef[], cfg: Record<string, unknown> = {}, cfgSources: Record<string, string[]> = {}): Promise<SextantError> {
  try {
    await loadPlugins(refs, cfg, cfgSources);
  } catch (e) {
    expect(e).toBeInstanceOf(SextantError);
    return e as SextantError;
  }
  throw new Error('expected loadPlugins to fail');
}

/** Writes an npm-style package under <dir>/node_modules (ES modules) and returns its folder. */
function npmPackage(name: string, pkg: Record<string, unknown>, files: Record<string, string>): string {
  const folder = join(dir, 'node_modules', name);
  for (const [f, body] of Object.entries(files)) {
    mkdirSync(join(folder, f, '..'), { recursive: true });
    writeFileSync(join(folder, f), body);
  }
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', ...pkg }));
  return folder;
}

describe('plugin loader', () => {
  it('resolves a plugin folder relative to the config file that names it', async () => {
    const loaded = await loadPlugins([plugin('alpha', manifest('alpha'))], {});
    expect(loaded.map((p) => p.manifest.name)).toEqual(['alpha']);
    expect(loaded[0]!.file).toBe(join(dir, 'conf.d', 'plugins', 'alpha', 'index.js'));
  });

  it('resolves package names upwards from the config file, as an ES import would (exports, import condition, main)', async () => {
    const importOnly = npmPackage('@acme/esm-plugin', { exports: { '.': { import: './dist/index.js', require: './missing.cjs' }, './extra/*': { import: './dist/extra/*.js' } } }, {
      'dist/index.js': manifest('esm-plugin'),
      'dist/extra/more.js': manifest('esm-more'),
    });
    const legacy = npmPackage('legacy-plugin', { main: 'lib/main' }, { 'lib/main.js': manifest('legacy-plugin') });
    const source = join(dir, 'conf.d', 'agent.json');
    const ref = (spec: string): PluginRef => ({ spec, baseDir: join(dir, 'conf.d'), source });
    const loaded = await loadPlugins([ref('@acme/esm-plugin'), ref('@acme/esm-plugin/extra/more'), ref('legacy-plugin')], {});
    expect(loaded.map((p) => [p.manifest.name, p.file])).toEqual([
      ['esm-plugin', join(importOnly, 'dist', 'index.js')],
      ['esm-more', join(importOnly, 'dist', 'extra', 'more.js')],
      ['legacy-plugin', join(legacy, 'lib', 'main.js')],
    ]);
    const hidden = await loadError([ref('@acme/esm-plugin/dist/index.js')]);
    expect(hidden.code).toBe(ErrorCode.PluginNotFound);
    expect(hidden.message).toContain(`${source}: plugin @acme/esm-plugin/dist/index.js: package ${importOnly} does not export "./dist/index.js"`);
    const ghost = await loadError([ref('ghost-plugin')]);
    expect(ghost.message).toBe(`${source}: plugin ghost-plugin: cannot find package "ghost-plugin" from ${join(dir, 'conf.d')}`);
  });

  it('orders plugins after their dependencies', async () => {
    const b = plugin('dep-b', manifest('dep-b', "dependencies: ['dep-a'],"));
    const a = plugin('dep-a', manifest('dep-a'));
    const loaded = await loadPlugins([b, a], {});
    expect(loaded.map((p) => p.manifest.name)).toEqual(['dep-a', 'dep-b']);
  });

  it('fails with a coded error naming file, plugin and reason for a missing module', async () => {
    const e = await loadError([{ spec: './plugins/nope', baseDir: join(dir, 'conf.d'), source: 'conf.d/agent.json' }]);
    expect(e.code).toBe(ErrorCode.PluginNotFound);
    expect(e.message).toContain('conf.d/agent.json');
    expect(e.message).toContain('./plugins/nope');
  });

  it('rejects a manifest without register', async () => {
    const e = await loadError([plugin('bad-shape', "export default { name: 'bad-shape', version: '1.0.0', kernel: '^1.0.0' };")]);
    expect(e.code).toBe(ErrorCode.PluginManifestInvalid);
    expect(e.message).toMatch(/plugin bad-shape: manifest.register must be a function/);
  });

  it('checks the manifest against contracts/schemas/plugin-manifest.schema.json', async () => {
    const e = await loadError([plugin('dup-deps', manifest('dup-deps', "dependencies: ['dep-a', 'dep-a'], description: 7,"))]);
    expect(e.code).toBe(ErrorCode.PluginManifestInvalid);
    expect(e.message).toContain('plugin dup-deps: ');
    expect(e.message).toContain('manifest.dependencies: must NOT have duplicate items');
    expect(e.message).toContain('manifest.description: must be string');
  });

  it('rejects a plugin built for another kernel API', async () => {
    const e = await loadError([plugin('future', "export default { name: 'future', version: '1.0.0', kernel: '^2.0.0', register() {} };")]);
    expect(e.code).toBe(ErrorCode.PluginKernelMismatch);
    expect(e.message).toContain('needs kernel API ^2.0.0');
  });

  it('rejects a missing dependency and a dependency cycle', async () => {
    const lonely = await loadError([plugin('lonely', manifest('lonely', "dependencies: ['ghost'],"))]);
    expect(lonely.code).toBe(ErrorCode.PluginDependencyMissing);
    expect(lonely.message).toContain('"ghost"');
    const x = plugin('cyc-x', manifest('cyc-x', "dependencies: ['cyc-y'],"));
    const y = plugin('cyc-y', manifest('cyc-y', "dependencies: ['cyc-x'],"));
    const cycle = await loadError([x, y]);
    expect(cycle.code).toBe(ErrorCode.PluginDependencyCycle);
    expect(cycle.message).toContain('cyc-x -> cyc-y -> cyc-x');
  });

  it('validates plugin_config against the plugin schema and applies defaults', async () => {
    const ref = plugin(
      'configured',
      manifest('configured', "configSchema: { type: 'object', properties: { port: { type: 'integer', default: 7 } }, additionalProperties: false },"),
    );
    const [ok] = await loadPlugins([ref], {});
    expect(ok!.pluginConfig).toEqual({ port: 7 });
    const e = await loadError([ref], { configured: { port: 'x' } });
    expect(e.code).toBe(ErrorCode.PluginConfigInvalid);
    expect(e.message).toContain('plugin_config.configured.port: must be integer');
  });

  it('names the files that set plugin_config.<name> when they are known', async () => {
    const ref = plugin('sourced', manifest('sourced', "configSchema: { type: 'object', properties: { port: { type: 'integer' } } },"));
    const e = await loadError([ref], { sourced: { port: 'x' } }, { sourced: ['conf.d/10-a.json', 'conf.d/20-b.json'] });
    expect(e.message).toBe('conf.d/10-a.json, conf.d/20-b.json: plugin sourced: plugin_config.sourced.port: must be integer');
    const stray = await loadError([ref], { typo: {} }, { typo: ['conf.d/30-c.json'] });
    expect(stray.message).toBe('conf.d/30-c.json: plugin_config.typo: no plugin named "typo" is loaded');
  });

  it('refuses plugin_config for a plugin that is not loaded', async () => {
    const e = await loadError([plugin('quiet', manifest('quiet'))], { typo: {} });
    expect(e.code).toBe(ErrorCode.PluginConfigInvalid);
    expect(e.message).toContain('plugin_config.typo');
  });
});
