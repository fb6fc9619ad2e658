import type { CheckFieldSchemas } from '../config/config-schema.js';
import { collectPluginEntries, loadConfig } from '../config/load-config.js';
import type { ConfigFlags, LoadConfigInput, LoadedConfig } from '../config/load-config.js';
import { agentPluginRefs, pluginCheckFields } from './plugin-check-fields.js';

/**
 * The check-definition fields of every plugin the configuration `flags` name would load
 * (first-party ones included): the pre-pass that lets config files use a plugin's check kind.
 * Throws the plugin loader's coded errors for a plugin that cannot be found or is invalid.
 */
export async function configCheckFields(flags: ConfigFlags): Promise<CheckFieldSchemas> {
  return pluginCheckFields(agentPluginRefs(await collectPluginEntries({ flags })));
}

/**
 * Loads the agent configuration as `sextant agent` does: learns the plugins' check fields
 * (configCheckFields), then loadConfig with them. Same errors as loadConfig, plus the plugin
 * loader's for a plugin that cannot be imported.
 */
export async function loadAgentConfig(input: Omit<LoadConfigInput, 'checkFields'>): Promise<LoadedConfig> {
  const checkFields = await configCheckFields(input.flags);
  return loadConfig({ ...input, checkFields });
}
