import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { CheckFieldSchemas } from '../config/config-schema.js';
import { collectPluginEntries, loadConfig } from '../config/load-config.js';
import type { ConfigFlags, LoadConfigInput, LoadedConfig } from '../config/load-config.js';
import { agentPluginRefs, pluginCheckFields } from './plugin-check-fields.js';
import { loadPlugins } from './plugin-loader.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { configDefinitionProblems } from './config-definition-check.js';
import { configProblemsError } from '../config/config-problem.js';
import type { ConfigProblem } from '../config/config-problem.js';

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
 * (and naming a loaded plugin). Returns the loaded plugins; throws the plugin loader's coded errors.
 */
export async function checkPluginConfig(config: RuntimeConfig): Promise<LoadedPlugin[]> {
  return loadPlugins(agentPluginRefs(config.plugins), config.pluginConfig, config.pluginConfigSources);
}

/**
 * What only the loaded plugins can tell about a loaded configuration: the plugin side
 * (checkPluginConfig), then the service and check definitions as the agent will take them
 * (configDefinitionProblems: check kinds, intervals, script checks allowed, service_id
 * references). Returns the definitions' problems (file + JSON pointer each, empty when valid);
 * throws the plugin loader's and plugin registration's coded errors.
 */
export async function checkAgentConfig(config: RuntimeConfig): Promise<readonly ConfigProblem[]> {
  return configDefinitionProblems(config, await checkPluginConfig(config));
}

/**
 * Loads the agent configuration as `sextant agent` does (at start, before anything is started,
 * and on every reload): learns the plugins' check fields (configCheckFields), then loadConfig
 * with them, then checkAgentConfig, so a bad plugin_config or a service/check definition the
 * agent would refuse is refused here, by the same rules and with the same messages as `sextant
 * validate`. Same errors as loadConfig (a bad definition is CONFIG_INVALID listing each problem
 * as `file: /pointer: message`), plus the plugin loader's.
 */
export async function loadAgentConfig(input: Omit<LoadConfigInput, 'checkFields'>): Promise<LoadedConfig> {
  const checkFields = await configCheckFields(input.flags);
  const loaded = await loadConfig({ ...input, checkFields });
  const problems = await checkAgentConfig(loaded.config);
  if (problems.length > 0) throw configProblemsError(problems);
  return loaded;
}
