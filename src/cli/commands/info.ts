import type { AgentSelf } from '../../../contracts/services/agent-service.js';
import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** Consul's `info` text: each Stats section sorted, `section:` then a tab-indented `key = value` line per key, sorted. */
export function formatInfo(stats: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
  const lines: string[] = [];
  for (const section of Object.keys(stats).sort()) {
    lines.push(`${section}:`);
    const values = stats[section] ?? {};
    for (const key of Object.keys(values).sort()) lines.push(`\t${key} = ${values[key]}`);
  }
  return lines.join('\n');
}

/** `sextant info` — Consul's `info`: the agent's /v1/agent/self Stats for operators. */
export const infoCommand: Command = defineHttpCommand({
  name: 'info',
  synopsis: 'Provides debugging information for operators.',
  usage: '[options]',
  description: `  Provides debugging information for operators`,
  flags: [],
  async run({ client, out, err }) {
    let self: AgentSelf;
    try {
      self = JSON.parse(requireOk(await client.request('GET', '/v1/agent/self')).body.toString('utf8')) as AgentSelf;
    } catch (e) {
      err(`Error querying agent: ${(e as Error).message}`);
      return 1;
    }
    out(formatInfo(self.Stats ?? {}));
    return 0;
  },
});
