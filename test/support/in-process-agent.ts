import { parseAgentFlags } from '../../src/cli/agent-flags.js';
import { Agent } from '../../src/kernel/agent.js';
import { loadAgentConfig } from '../../src/kernel/load-agent-config.js';

/**
 * Starts an agent in this process from `sextant agent` flags, exactly as the CLI does (config
 * loaded from the flags with the plugins' check fields, reload re-reads the same sources), on ephemeral ports. Log lines are
 * collected in `logs`.
 */
export async function startInProcessAgent(args: string[]): Promise<{ agent: Agent; logs: string[]; http: string }> {
  const flags = parseAgentFlags(['-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-serf-lan-port', '0', ...args]);
  const { config } = await loadAgentConfig({ flags });
  const logs: string[] = [];
  const agent = await Agent.start({ config, logSink: (l) => logs.push(l), reloadConfig: async () => (await loadAgentConfig({ flags })).config });
  return { agent, logs, http: `http://${agent.httpAddress()}` };
}
