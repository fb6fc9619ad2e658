import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** `sextant leave` — Consul's `leave`: the agent leaves the pool gracefully and shuts down. */
export const leaveCommand: Command = defineHttpCommand({
  name: 'leave',
  synopsis: 'Gracefully leaves the Sextant cluster and shuts down',
  usage: '[options]',
  description: `  Causes the agent to gracefully leave the Sextant cluster and shutdown.`,
  flags: [],
  async run({ args, client, out, err }) {
    if (args.length > 0) {
      err(`Error found unexpected args: [${args.join(' ')}]`);
      out(leaveCommand.help().trimEnd());
      return 1;
    }
    try {
      requireOk(await client.request('PUT', '/v1/agent/leave'));
    } catch (e) {
      err(`Error leaving: ${(e as Error).message}`);
      return 1;
    }
    out('Graceful leave complete');
    return 0;
  },
});
