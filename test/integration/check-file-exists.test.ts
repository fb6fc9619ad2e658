import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadPlugins, type LoadedPlugin } from '../../src/kernel/plugin-loader.js';
import type { KernelServices, PluginContext, PortName, ProviderFactory } from '../../contracts/plugin.js';
import type { CheckDefinition, CheckRunner } from '../../contracts/ports/check-runner.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';

// The example lives at examples/plugins/check-file-exists; a config dir at examples/ names it
// as "./plugins/check-file-exists", the way an operator's config would.
const ref = { spec: './plugins/check-file-exists', baseDir: resolve('examples'), source: 'examples/agent.json' };
let dir: string;
const never = new AbortController().signal;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-file-exists-'));
  mkdirSync(join(dir, 'run'));
  writeFileSync(join(dir, 'run', 'ready'), 'yes\n');
  writeFileSync(join(dir, 'run', 'empty'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runnerFrom(pluginConfig: Record<string, unknown>): Promise<{ runner: CheckRunner; loaded: LoadedPlugin; id: string }> {
  const [loaded] = await loadPlugins([ref], { 'check-file-exists': pluginConfig });
  const provided: { port: PortName; id: string; factory: ProviderFactory<PortName> }[] = [];
  await loaded!.manifest.register({
    name: loaded!.manifest.name,
    pluginConfig: loaded!.pluginConfig,
    logger: new SilentLogger(),
    provide: (port: PortName, id: string, factory: ProviderFactory<PortName>) => provided.push({ port, id, factory }),
  } as unknown as PluginContext);
  expect(provided.map((p) => p.port)).toEqual(['checkRunner']);
  const runner = (await provided[0]!.factory({} as KernelServices)) as CheckRunner;
  return { runner, loaded: loaded!, id: provided[0]!.id };
}

const def = (fields: Record<string, unknown>): CheckDefinition => ({ id: 'ready', name: 'ready', ...fields });

describe('example third-party check kind: file_exists', () => {
  it('loads through the plugin loader with its schema defaults', async () => {
    const { runner, loaded, id } = await runnerFrom({});
    expect(loaded.manifest.name).toBe('check-file-exists');
    expect(loaded.pluginConfig).toEqual({ allowed_roots: ['/'], empty_is_warning: false });
    expect(id).toBe('file_exists');
    expect(runner.kind).toBe('file_exists');
  });

  it('its own schema rejects bad plugin_config, naming the field', async () => {
    await expect(loadPlugins([ref], { 'check-file-exists': { allowed_roots: ['relative/dir'] } })).rejects.toThrow(
      /plugin_config\.check-file-exists\.allowed_roots\.0/,
    );
    await expect(loadPlugins([ref], { 'check-file-exists': { colour: 'red' } })).rejects.toThrow(/must NOT have additional properties/);
  });

  it('probes: existing file passing, missing file critical, empty file warning when configured', async () => {
    const { runner } = await runnerFrom({ empty_is_warning: true });
    expect(await runner.probe(def({ file_exists: join(dir, 'run', 'ready') }), never)).toEqual({
      status: 'passing',
      output: `File ${join(dir, 'run', 'ready')} exists (4 bytes)`,
    });
    expect(await runner.probe(def({ file_exists: join(dir, 'run', 'gone') }), never)).toEqual({
      status: 'critical',
      output: `File ${join(dir, 'run', 'gone')} does not exist`,
    });
    expect((await runner.probe(def({ file_exists: join(dir, 'run', 'empty') }), never)).status).toBe('warning');
    expect((await runner.probe(def({ file_exists: join(dir, 'run') }), never)).status).toBe('passing');
  });

  it('accepts only its own field and validates it against allowed_roots', async () => {
    const { runner } = await runnerFrom({ allowed_roots: [join(dir, 'run')] });
    expect(runner.accepts(def({ file_exists: '/x' }))).toBe(true);
    expect(runner.accepts(def({ http: 'http://x' }))).toBe(false);
    expect(runner.validate(def({ file_exists: join(dir, 'run', 'ready') }), 'api')).toBeUndefined();
    expect(runner.validate(def({ file_exists: 'relative' }), 'api')).toBe('file_exists: "relative" is not an absolute path');
    expect(runner.validate(def({ file_exists: join(dir, 'run', '..', 'other') }), 'api')).toMatch(/is outside the allowed roots/);
    expect(runner.validate(def({ file_exists: `${join(dir, 'run')}-evil/x` }), 'api')).toMatch(/is outside the allowed roots/);
  });
});
