import type { Command, CommandIo } from '../command.js';
import { println } from '../command.js';
import { FlagSet } from '../flag-parser.js';
import { validateConfigDirs, validateFlags } from '../../config/load-config.js';
import { checkAgentConfig, configCheckFields } from '../../kernel/load-agent-config.js';
import { isSextantError } from '../../../contracts/errors.js';
import { formatConfigProblem } from '../../config/config-problem.js';

const flagSet = (): FlagSet =>
  new FlagSet('validate', [
    { name: 'quiet', kind: 'bool', usage: 'When given, a successful run produces no output.' },
    { name: 'config-format', kind: 'string', usage: 'Config files are in this format irrespective of their extension. Must be "json".' },
  ]);

/**
 * `sextant validate <path>…`: checks config files and directories without starting anything:
 * the schema, then what the agent would refuse at start (plugin_config, and the service and
 * check definitions normalized with the plugins' check runners, which are built and closed
 * again without running a check).
 */
export const validateCommand: Command = {
  name: 'validate',
  synopsis: 'Validate config files/directories',
  help: () => `Usage: sextant validate [options] FILE_OR_DIRECTORY...\n\n  Performs a thorough sanity test on Sextant configuration files.\n\n${flagSet().usage()}`,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    let parsed;
    try {
      parsed = flagSet().parse([...args]);
    } catch (e) {
      println(io.stderr, (e as Error).message);
      return 1;
    }
    if (parsed.help) {
      println(io.stdout, this.help());
      return 0;
    }
    if (parsed.args.length === 0) {
      println(io.stderr, 'Must specify at least one config file or directory');
      return 1;
    }
    const configFormat = String(parsed.values['config-format'] ?? '');
    // The plugins the files name may add check fields (their check kinds): learn them first.
    let checkFields;
    try {
      checkFields = await configCheckFields(validateFlags(parsed.args, { configFormat }));
    } catch (e) {
      if (!isSextantError(e)) throw e;
      println(io.stderr, 'Config validation failed:');
      println(io.stderr, e.message);
      return 1;
    }
    const result = await validateConfigDirs(parsed.args, { configFormat, checkFields });
    for (const w of result.warnings) println(io.stderr, `WARNING: ${w}`);
    if (!result.ok) {
      println(io.stderr, 'Config validation failed:');
      for (const p of result.problems) println(io.stderr, formatConfigProblem(p));
      return 1;
    }
    // What the agent would refuse at start: plugin_config against each plugin's schema, and the
    // service and check definitions as the agent takes them (check kinds, intervals, script
    // checks allowed, service_id references), by the same code as agent start and reload.
    let problems;
    try {
      problems = await checkAgentConfig(result.config);
    } catch (e) {
      if (!isSextantError(e)) throw e;
      println(io.stderr, 'Config validation failed:');
      println(io.stderr, e.message);
      return 1;
    }
    if (problems.length > 0) {
      println(io.stderr, 'Config validation failed:');
      for (const p of problems) println(io.stderr, formatConfigProblem(p));
      return 1;
    }
    if (!parsed.values['quiet']) println(io.stdout, 'Configuration is valid!');
    return 0;
  },
};
