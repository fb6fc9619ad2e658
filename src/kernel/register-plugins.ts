import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { AgentHooks, PluginHooks } from '../../contracts/hooks.js';
import type { Logger } from '../../contracts/platform.js';
import type { PluginContext } from '../../contracts/plugin.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { pluginHooks } from './plugin-hooks.js';
import { ProviderRegistry } from './provider-registry.js';

/** The ports an agent takes from plugins (the kernel builds the state machine and the resolver itself). */
export const PLUGGABLE_PORTS = ['transport', 'packetTransport', 'connectionTransport', 'logStore', 'checkRunner', 'apiSurface'] as const;

/** What every plugin's `register` is handed besides its own name and config. */
export interface RegisterEnv {
  readonly config: RuntimeConfig;
  /** The agent's hooks; plugins get their tap-only facade (pluginHooks), never the hooks themselves. */
  readonly hooks: AgentHooks | PluginHooks;
  readonly logger: Logger;
}

/**
 * Calls `register` of each loaded plugin (in dependency order) with its PluginContext and
 * returns the providers they offered. Throws PLUGIN_REGISTER_FAILED naming the plugin's file for
 * a register that throws, and the registry's coded errors (prefixed with that file) for a bad
 * `provide`. Used by agent start and by the config loading step (which registers the plugins
 * against throwaway hooks to learn their check kinds).
 */
export async function registerPlugins(plugins: readonly LoadedPlugin[], env: RegisterEnv): Promise<ProviderRegistry> {
  const registry = new ProviderRegistry([...PLUGGABLE_PORTS]);
  const hooks = pluginHooks(env.hooks);
  for (const p of plugins) {
    const ctx: PluginContext = {
      name: p.manifest.name,
      pluginConfig: p.pluginConfig,
      config: env.config,
      hooks,
      logger: env.logger.child(p.manifest.name),
      provide: (port, id, factory) => {
        try {
          registry.add({ port, id, plugin: p.manifest.name, factory });
        } catch (e) {
          if (!isSextantError(e)) throw e;
          throw new SextantError(e.code, `${p.source}: ${e.message}`, e.details, { cause: e });
        }
      },
    };
    try {
      await p.manifest.register(ctx);
    } catch (e) {
      if (isSextantError(e)) throw e;
      throw new SextantError(ErrorCode.PluginRegisterFailed, `${p.source}: plugin ${p.manifest.name}: register failed: ${(e as Error).message}`, undefined, { cause: e });
    }
    env.logger.debug('plugin loaded', { plugin: p.manifest.name, version: p.manifest.version, file: p.file });
  }
  return registry;
}
