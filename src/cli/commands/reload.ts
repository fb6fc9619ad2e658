import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** `sextant reload` — Consul's `reload`: asks the agent to re-read its configuration. */
export const reloadCommand: Command = defineHttpCommand({
  name: 'reload',
  synopsis: 'Triggers the agent to reload configuration files',
  usage: '[options]',
  description: `  Causes the agent to reload configurations. This can be used instead
  of sending the SIGHUP signal to the agent.`,
  flags: [],
  async run({ client, out, err }) {
    try {
      requireOk(await client.request('PUT', '/v1/agent/reload'));
    } catch (e) {
      err(`Error reloading: ${(e as Error).message}`);
      return 1;
    }
    out('Configuration reload triggered');
    return 0;
  },
});
