import type { Command } from '../command.js';
import { catalogGet } from './catalog-api.js';
import { defineHttpCommand } from './http-command.js';

/** `sextant catalog datacenters` — Consul's `catalog datacenters`: one name per line. */
export const catalogDatacentersCommand: Command = defineHttpCommand({
  name: 'catalog datacenters',
  synopsis: 'Lists all known datacenters',
  usage: '[options]',
  description: `  Retrieves the list of all known datacenters. This datacenters are sorted in
  ascending order based on the estimated median round trip time from the servers
  in this datacenter to the servers in other datacenters.

  List all datacenters:

      $ sextant catalog datacenters`,
  flags: [],
  async run({ args, client, out, err }) {
    if (args.length > 0) {
      err('Too many arguments (expected 0, got ' + args.length + ')');
      return 1;
    }
    let dcs: string[];
    try {
      dcs = await catalogGet<string[]>(client, '/v1/catalog/datacenters', []);
    } catch (e) {
      err(`Error listing datacenters: ${(e as Error).message}`);
      return 1;
    }
    if (dcs.length === 0) {
      err('No datacenters found');
      return 1;
    }
    for (const dc of dcs) out(dc);
    return 0;
  },
});
