import { describe, expect, it } from 'vitest';
import type { KvChange, PluginHooks } from '../../../contracts/hooks.js';
import { definePlugin, type PluginContext } from '../../../contracts/plugin.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { pluginHooks } from '../../../src/kernel/plugin-hooks.js';
import type { LoadedPlugin } from '../../../src/kernel/plugin-loader.js';
import { registerPlugins } from '../../../src/kernel/register-plugins.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

// Plugins get the agent's hooks to tap, not to call: the kernel alone fires them.

const SYNC_HOOKS = ['leadership', 'kvChanged', 'catalogChanged', 'checkStatusChanged', 'memberJoined', 'memberFailed', 'memberLeft'] as const;
const ASYNC_HOOKS = ['starting', 'started', 'stopping', 'reload'] as const;

describe('pluginHooks (the tap-only facade)', () => {
  it('lets a plugin tap every hook and hear the kernel call it', async () => {
    const hooks = createHooks();
    const facade = pluginHooks(hooks);
    const seen: string[] = [];
    facade.kvChanged.tap('p', (change) => seen.push(`kv ${change.index} ${change.keys.join(',')}`));
    facade.leadership.tap('p', (leader) => seen.push(`leader ${leader}`));
    facade.started.tap('p', () => seen.push('started (sync tap)'));
    facade.reload.tapPromise('p', async (next) => {
      seen.push(`reload ${next.nodeName}`);
    });
    facade.stopping.tapAsync('p', (done) => {
      seen.push('stopping (callback tap)');
      done();
    });

    hooks.kvChanged.call({ index: 7, keys: ['a', 'b'] });
    hooks.leadership.call(true);
    await hooks.started.promise();
    await hooks.reload.promise({ nodeName: 'n2' } as RuntimeConfig, { nodeName: 'n1' } as RuntimeConfig);
    await hooks.stopping.promise();

    expect(seen).toEqual(['kv 7 a,b', 'leader true', 'started (sync tap)', 'reload n2', 'stopping (callback tap)']);
    expect(hooks.kvChanged.taps.map((t) => t.name)).toEqual(['p']);
  });

  it('offers only tap methods: calling a hook is a type error and impossible at runtime', () => {
    const hooks = createHooks();
    const facade = pluginHooks(hooks);
    for (const name of SYNC_HOOKS) expect(Object.keys(facade[name]), name).toEqual(['tap']);
    for (const name of ASYNC_HOOKS) expect(Object.keys(facade[name]), name).toEqual(['tap', 'tapAsync', 'tapPromise']);
    expect(Object.keys(facade).sort()).toEqual([...SYNC_HOOKS, ...ASYNC_HOOKS].sort());

    const heard: KvChange[] = [];
    facade.kvChanged.tap('p', (c) => heard.push(c));
    // @ts-expect-error a plugin cannot fire a hook
    expect(() => facade.kvChanged.call({ index: 1, keys: ['x'] })).toThrow(TypeError);
    // @ts-expect-error nor run the async ones
    expect(() => facade.started.promise()).toThrow(TypeError);
    // @ts-expect-error nor intercept them
    expect(() => facade.reload.intercept({})).toThrow(TypeError);
    expect(heard).toEqual([]);
  });

  it('is frozen, so a plugin cannot swap a hook or a tap method for its own', () => {
    const facade = pluginHooks(createHooks());
    expect(Object.isFrozen(facade)).toBe(true);
    expect(() => {
      (facade as { -readonly [K in keyof PluginHooks]: unknown }).kvChanged = {};
    }).toThrow(TypeError);
    expect(() => {
      (facade.kvChanged as { tap: unknown }).tap = () => {};
    }).toThrow(TypeError);
  });

  it('is one object per agent: the same facade for the same hooks, and a facade maps to itself', () => {
    const hooks = createHooks();
    const facade = pluginHooks(hooks);
    expect(pluginHooks(hooks)).toBe(facade);
    expect(pluginHooks(facade)).toBe(facade);
    expect(pluginHooks(createHooks())).not.toBe(facade);
  });
});

describe('registerPlugins', () => {
  it("hands every plugin's register the same tap-only facade, never the kernel's hooks", async () => {
    const hooks = createHooks();
    const contexts: PluginContext[] = [];
    const plugin = (name: string): LoadedPlugin => ({
      manifest: definePlugin({ name, version: '1.0.0', kernel: '^1.0.0', register: (ctx) => void contexts.push(ctx) }),
      file: `/plugins/${name}/index.js`,
      source: `/conf/agent.json`,
      pluginConfig: {},
    });
    await registerPlugins([plugin('a'), plugin('b')], { config: {} as RuntimeConfig, hooks, logger: new SilentLogger() });
    expect(contexts.map((c) => c.hooks)).toEqual([pluginHooks(hooks), pluginHooks(hooks)]);
    expect(contexts[0]!.hooks).toBe(pluginHooks(hooks));
    expect(contexts[0]!.hooks).not.toBe(hooks);
    expect('call' in contexts[0]!.hooks.kvChanged).toBe(false);
  });
});
