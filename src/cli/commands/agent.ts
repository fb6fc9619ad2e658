import type { Command, CommandIo } from '../command.js';
import { println } from '../command.js';
import { agentFlagSet, parseAgentFlags } from '../agent-flags.js';
import type { AgentFlags } from '../agent-flags.js';
import { loadConfig, loadRuntimeConfig } from '../../config/load-config.js';
import { Agent } from '../../kernel/agent.js';
import { isSextantError } from '../../../contracts/errors.js';

/**
 * `sextant agent`: loads the configuration, starts an agent, and runs it until SIGINT or
 * SIGTERM (clean shutdown, exit 0). SIGHUP reloads the configuration; a bad one is refused and
 * the running one kept. A second SIGINT/SIGTERM during shutdown exits at once with code 1.
 */
export const agentCommand: Command = {
  name: 'agent',
  synopsis: 'Runs a Sextant agent',
  help: () => `Usage: sextant agent [options]\n\n  Starts the Sextant agent and runs until an interrupt is received.\n\n${agentFlagSet().usage()}`,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    let flags: AgentFlags;
    try {
      flags = parseAgentFlags([...args]);
    } catch (e) {
      println(io.stderr, (e as Error).message);
      println(io.stderr, agentFlagSet().usage());
      return 1;
    }
    if (flags.help) {
      println(io.stdout, this.help());
      return 0;
    }
    let agent: Agent;
    try {
      const { config, warnings } = await loadConfig({ flags });
      for (const w of warnings) println(io.stderr, `==> WARNING: ${w}`);
      agent = await Agent.start({ config, reloadConfig: () => loadRuntimeConfig({ flags }) });
    } catch (e) {
      println(io.stderr, `==> ${isSextantError(e) ? e.message : ((e as Error).stack ?? String(e))}`);
      return 1;
    }
    return new Promise<number>((resolve) => {
      let shuttingDown = false;
      const onHup = (): void => {
        agent.logger.info('caught signal: hangup, reloading configuration');
        agent.reload().catch(() => undefined); // the agent logged why it refused
      };
      const onStop = (signal: NodeJS.Signals): void => {
        if (shuttingDown) {
          agent.logger.warn(`caught second signal ${signal}, exiting now`);
          resolve(1);
          return;
        }
        shuttingDown = true;
        agent.logger.info(`caught signal ${signal}, shutting down`);
        void agent.stop().then(
          () => {
            process.off('SIGHUP', onHup);
            process.off('SIGINT', onStop);
            process.off('SIGTERM', onStop);
            agent.logger.info('agent stopped');
            resolve(0);
          },
          () => resolve(1),
        );
      };
      process.on('SIGHUP', onHup);
      process.on('SIGINT', onStop);
      process.on('SIGTERM', onStop);
    });
  },
};
