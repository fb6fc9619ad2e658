import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { KernelServices } from '../../contracts/plugin.js';
import type { CheckRunner } from '../../contracts/ports/check-runner.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { normalizeConfigDefinitions } from '../agent/config-definitions.js';
import type { ConfigProblem } from '../config/config-problem.js';
import { SystemClock } from '../platform/system-clock.js';
import { SystemRandom } from '../platform/system-random.js';
import { TextLogger } from '../platform/text-logger.js';
import { closeCheckRunners, createCheckRunners } from './check-runners.js';
import { createHooks } from './hooks.js';
import { mergeCheckFields } from './plugin-check-fields.js';
import { pluginHooks } from './plugin-hooks.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { registerPlugins } from './register-plugins.js';

/**
 * The config loading step's check of the config directory's services and checks: the plugins
 * are registered against throwaway hooks, their check runners built from `config` (so
 * enable_script_checks and plugin_config apply as at start), and every definition normalized
 * exactly as the agent's local state will (normalizeConfigDefinitions). Nothing is started or
 * bound; the runners are closed again.
 */

/** The kernel services a check runner factory may not touch while only the configuration is checked. */
const RUNTIME_ONLY = ['kv', 'status', 'agent', 'catalog', 'health', 'localAgent', 'session', 'txn', 'resolver'] as const;

function validationServices(config: RuntimeConfig, runners: ReadonlyMap<string, CheckRunner>): KernelServices {
  const clock = new SystemClock();
  const services: Record<string, unknown> = {
    config,
    // Runner construction logs nothing a user needs while validating.
    logger: TextLogger.create({ level: 'error', clock, sink: () => {} }),
    clock,
    random: new SystemRandom(),
    hooks: pluginHooks(createHooks()),
    checkRunners: runners,
  };
  for (const name of RUNTIME_ONLY) {
    Object.defineProperty(services, name, {
      enumerable: true,
      get: () => {
        throw new SextantError(ErrorCode.PluginRegisterFailed, `the ${name} service is not available to a check runner factory while the configuration is being validated (use it in probe, not in the factory)`);
      },
    });
  }
  return services as unknown as KernelServices;
}

/**
 * Every problem with the configuration's service and check definitions (file + JSON pointer),
 * empty when the agent will take them all. `plugins` are the configuration's loaded plugins
 * (loadPlugins over agentPluginRefs(config.plugins)). Throws the plugin registration's and the
 * runner factories' coded errors, as agent start would.
 */
export async function configDefinitionProblems(config: RuntimeConfig, plugins: readonly LoadedPlugin[]): Promise<readonly ConfigProblem[]> {
  const runners = new Map<string, CheckRunner>();
  const services = validationServices(config, runners);
  const registry = await registerPlugins(plugins, { config, hooks: services.hooks, logger: services.logger });
  try {
    await createCheckRunners(registry, services, runners);
    return normalizeConfigDefinitions(config, { runners, origin: 'config', checkFields: mergeCheckFields(plugins) }).problems;
  } finally {
    await closeCheckRunners(runners);
  }
}
