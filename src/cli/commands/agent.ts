import type { Command, CommandIo } from '../command.js';
import { println } from '../command.js';
import { agentFlagSet, parseAgentFlags } from '../agent-flags.js';
import type { AgentFlags } from '../agent-flags.js';
import { Agent } from '../../kernel/agent.js';
import { loadAgentConfig } from '../../kernel/load-agent-config.js';
import { isSextantError } from '../../../contracts/errors.js';
import { SystemClock } from '../../platform/system-clock.js';
import { watchNpmParent } from '../npm-parent-watch.js';

/** Consul's gracefulTimeout: how long a graceful leave on a signal may take before the agent gives up on it. */
const GRACEFUL_LEAVE_TIMEOUT_MS = 15_000;

/**
 * `sextant agent`: loads the configuration, starts an agent, and runs it until SIGINT or
 * SIGTERM (clean shutdown, exit 0). As Consul's agent, SIGINT first leaves the pool gracefully
 * unless skip_leave_on_interrupt (servers' default), SIGTERM only with leave_on_terminate
 * (clients' default); a leave that takes over 15 s is given up. SIGHUP reloads the
 * configuration; a bad one is refused and the running one kept. A second SIGINT/SIGTERM during
 * shutdown exits at once with code 1. The agent also ends when it stops on its own (`sextant
 * leave`, PUT /v1/agent/leave: exit 0; retry join exhausted: exit 1). Started by an npm script,
 * it also shuts down when npm goes away (see watchNpmParent).
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
    // Go's flag parsing stops at the first non-flag, so `agent -dev extra -http-port 1` would
    // silently drop every later flag (and bind default ports): refuse it, as Consul does.
    if (flags.args.length > 0) {
      println(io.stderr, `==> Unexpected extra arguments: [${flags.args.join(' ')}]`);
      return 1;
    }
    // Signal handlers go in before the agent starts, so a signal that arrives while it is
    // starting (or right after the banner) is handled, never the default "terminate" action.
    let agent: Agent | undefined;
    let stopRequested: NodeJS.Signals | undefined;
    let finish: (code: number) => void = () => {};
    const done = new Promise<number>((resolve) => (finish = resolve));
    const shutdown = (signal: NodeJS.Signals): void => {
      if (!agent) return;
      const a = agent;
      a.logger.info(`caught signal ${signal}, shutting down`);
      void gracefulLeave(a, signal).then(() => a.stop()).then(
        () => {
          a.logger.info('agent stopped');
          finish(0);
        },
        () => finish(1),
      );
    };
    const onHup = (): void => {
      if (!agent) return; // still starting: the config being loaded is already the newest
      agent.logger.info('caught signal: hangup, reloading configuration');
      agent.reload().catch(() => undefined); // the agent logged why it refused
    };
    const onStop = (signal: NodeJS.Signals): void => {
      if (stopRequested) {
        agent?.logger.warn(`caught second signal ${signal}, exiting now`);
        finish(1);
        return;
      }
      stopRequested = signal;
      shutdown(signal);
    };
    process.on('SIGHUP', onHup);
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    const unwatch = watchNpmParent(new SystemClock(), () => {
      agent?.logger.warn('the npm process that started this agent exited; shutting down (to reload, run `sextant reload` or signal the agent: see -pid-file)');
      onStop('SIGTERM');
    });
    try {
      try {
        const { config, warnings } = await loadAgentConfig({ flags });
        for (const w of warnings) println(io.stderr, `==> WARNING: ${w}`);
        agent = await Agent.start({ config, reloadConfig: async () => (await loadAgentConfig({ flags })).config });
      } catch (e) {
        println(io.stderr, `==> ${isSextantError(e) ? e.message : ((e as Error).stack ?? String(e))}`);
        return 1;
      }
      if (stopRequested) shutdown(stopRequested);
      const started = agent;
      void started.terminated().then((code) => {
        if (stopRequested) return; // the signal path finishes
        started.logger.info('agent stopped');
        finish(code);
      });
      return await done;
    } finally {
      unwatch();
      process.off('SIGHUP', onHup);
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
    }
  },
};

/**
 * Consul's choice on SIGINT/SIGTERM: leave the pool gracefully first when the signal asks for it
 * (SIGINT unless skip_leave_on_interrupt, SIGTERM with leave_on_terminate), logging as Consul
 * does. A failed or slow (over 15 s) leave is logged and the shutdown goes on.
 */
async function gracefulLeave(agent: Agent, signal: NodeJS.Signals): Promise<void> {
  const c = agent.config;
  const graceful = (signal === 'SIGINT' && !c.skipLeaveOnInterrupt) || (signal === 'SIGTERM' && c.leaveOnTerminate);
  if (!graceful) {
    agent.logger.info('Graceful shutdown disabled. Exiting');
    return;
  }
  agent.logger.info('Gracefully shutting down agent...');
  const clock = new SystemClock();
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = clock.setTimeout(() => resolve('timeout'), GRACEFUL_LEAVE_TIMEOUT_MS)));
  try {
    const outcome = await Promise.race([agent.leave().then(() => 'left' as const), timeout]);
    agent.logger.info(outcome === 'left' ? 'Graceful exit completed' : 'Timeout on graceful leave. Exiting');
  } catch (e) {
    agent.logger.error('Error on leave', { error: e });
  } finally {
    timer?.cancel();
  }
}
