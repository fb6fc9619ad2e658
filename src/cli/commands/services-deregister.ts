import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';
import { serviceIdOf, servicesFromFiles } from './service-files.js';

/** `sextant services deregister [options] [FILE...]` — Consul's `services deregister`. */
export const servicesDeregisterCommand: Command = defineHttpCommand({
  name: 'services deregister',
  synopsis: 'Deregister services with the local agent',
  usage: '[options] [FILE...]',
  description: `  Deregister one or more services that were previously registered with
  the local agent.

      $ sextant services deregister web.json

  The -id flag may be used to deregister a single service by ID:

      $ sextant services deregister -id=web

  Services are deregistered from the local agent catalog. This command must
  be run against the same agent where the service was registered.`,
  flags: [{ name: 'id', kind: 'string', usage: 'ID to delete. This must not be set if arguments are given.' }],
  async run({ flags, args, client, out, err }) {
    const flagId = String(flags.values['id'] ?? '');
    if (args.length === 0 && flagId === '') {
      err('Service deregistration requires at least one argument or -id.');
      return 1;
    }
    if (args.length > 0 && flagId !== '') {
      err('Service deregistration requires arguments or -id, not both.');
      return 1;
    }
    let ids: string[];
    if (flagId !== '') ids = [flagId];
    else {
      try {
        ids = (await servicesFromFiles(args)).map(serviceIdOf);
      } catch (e) {
        err((e as Error).message);
        return 1;
      }
    }
    for (const id of ids) {
      try {
        requireOk(await client.request('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`));
      } catch (e) {
        err(`Error deregistering service ${JSON.stringify(id)}: ${(e as Error).message}`);
        return 1;
      }
      out(`Deregistered service: ${id}`);
    }
    return 0;
  },
});
