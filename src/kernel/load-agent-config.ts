import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { CheckFieldSchemas } from '../config/config-schema.js';
import { collectPluginEntries, loadConfig } from '../config/load-config.js';
import type { ConfigFlags, LoadConfigInput, LoadedConfig } from '../config/load-config.js';
import { agentPluginRefs, pluginCheckFields } from './plugin-check-fields.js';
import { loadPlugins } from './plugin-loader.js';

/**
 * The check-definition fields of every plugin the configuration `flags` name would load
 * (first-party ones included): the pre-pass that lets config files use a plugin's check kind.
 * Throws the plugin loader's coded errors for a plugin that cannot be found or is invalid.
 */
export async function configCheckFields(flags: ConfigFlags): Promise<CheckFieldSchemas> {
  return pluginCheckFields(agentPluginRefs(await collectPluginEntries({ flags })));
}

/**
 * Checks the plugin side of a loaded configuration exactly as agent start will, without
 * registering anything: every plugin found and its manifest valid, its kernel range met, its
 * dependencies present and acyclic, and `plugin_config.<name>` valid against the plugin's schema
 * (and naming a loaded plugin). Throws the plugin loader's coded errors.
 */
export async function checkPluginConfig(config: RuntimeConfig): Promise<void> {
  await loadPlugins(agentPluginRefs(config.plugins), config.pluginConfig, config.pluginConfigSources);
}

/**
 * Loads the agent configuration as `sextant agent` does (at start and on every reload): learns
 * the plugins' check fields (configCheckFields), then loadConfig with them, then
 * checkPluginConfig, so a bad plugin_config is refused by a reload instead of surfacing at the
 * next start. Same errors as loadConfig, plus the plugin loader's.
 */
export async function loadAgentConfig(input: Omit<LoadConfigInput, 'checkFields'>): Promise<LoadedConfig> {
  const checkFields = await configCheckFields(input.flags);
  const loaded = await loadConfig({ ...input, checkFields });
  await checkPluginConfig(loaded.config);
  return loaded;
}
