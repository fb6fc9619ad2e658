import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** `sextant join [-wan] ADDRESS…` — Consul's `join`: asks the agent to join the pool through each address. */
export const joinCommand: Command = defineHttpCommand({
  name: 'join',
  synopsis: 'Tell Sextant agent to join cluster',
  usage: '[options] address ...',
  description: `  Tells a running Sextant agent (with "sextant agent") to join the cluster
  by specifying at least one existing member.`,
  flags: [{ name: 'wan', kind: 'bool', usage: 'Joins a server to another server in the WAN pool.' }],
  async run({ flags, args, client, out, err }) {
    if (args.length === 0) {
      err('At least one address to join must be specified.');
      err('');
      err(joinCommand.help().trimEnd());
      return 1;
    }
    const wan = flags.values['wan'] === true;
    let joins = 0;
    for (const addr of args) {
      try {
        requireOk(await client.request('PUT', `/v1/agent/join/${encodeURIComponent(addr)}`, { query: { wan: wan ? 1 : undefined } }));
        joins++;
      } catch (e) {
        err(`Error joining address '${addr}': ${(e as Error).message}`);
      }
    }
    if (joins === 0) {
      err('Failed to join any nodes.');
      return 1;
    }
    out(`Successfully joined cluster by contacting ${joins} nodes.`);
    return 0;
  },
});
