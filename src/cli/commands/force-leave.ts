import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** `sextant force-leave [-prune] [-wan] NODE` — Consul's `force-leave`: forces a member into the `left` state. */
export const forceLeaveCommand: Command = defineHttpCommand({
  name: 'force-leave',
  synopsis: 'Forces a member of the cluster to enter the "left" state',
  usage: '[options] name',
  description: `  Forces a member of a Sextant cluster to enter the "left" state. Note
  that if the member is still actually alive, it will eventually rejoin
  the cluster. This command is most useful for cleaning out "failed" nodes
  that are never coming back. If you do not force leave a failed node,
  Sextant will attempt to reconnect to those failed nodes for some period of
  time before eventually reaping them.`,
  flags: [
    { name: 'prune', kind: 'bool', usage: 'Remove agent completely from list of members' },
    { name: 'wan', kind: 'bool', usage: 'Exclusively leave the agent from the WAN serf pool.' },
  ],
  async run({ flags, args, client, err }) {
    if (args.length !== 1) {
      err('A single node name must be specified to force leave.');
      err('');
      err(forceLeaveCommand.help().trimEnd());
      return 1;
    }
    const v = flags.values;
    try {
      requireOk(
        await client.request('PUT', `/v1/agent/force-leave/${encodeURIComponent(args[0]!)}`, {
          query: { prune: v['prune'] === true ? 1 : undefined, wan: v['wan'] === true ? 1 : undefined },
        }),
      );
    } catch (e) {
      err(`Error force leaving: ${(e as Error).message}`);
      return 1;
    }
    return 0;
  },
});
