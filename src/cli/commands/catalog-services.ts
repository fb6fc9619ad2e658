import type { CatalogService } from '../../../contracts/model/catalog.js';
import type { Command } from '../command.js';
import { badNodeMeta, catalogGet, nodeMetaPairs } from './catalog-api.js';
import { defineHttpCommand } from './http-command.js';

/**
 * Consul's `catalog services -tags` layout (text/tabwriter, minwidth 0, padding 6): names padded
 * to the longest name plus six spaces, then the sorted tags joined with `,`; the whole block is
 * trimmed (strings.TrimSpace).
 */
export function servicesWithTags(services: Readonly<Record<string, readonly string[]>>): string {
  const names = Object.keys(services).sort();
  const width = Math.max(...names.map((n) => [...n].length)) + 6;
  return names
    .map((n) => n + ' '.repeat(width - [...n].length) + [...services[n]!].sort().join(','))
    .join('\n')
    .trim();
}

/** `sextant catalog services [-node n] [-node-meta k:v] [-tags]` — Consul's `catalog services`. */
export const catalogServicesCommand: Command = defineHttpCommand({
  name: 'catalog services',
  synopsis: 'Lists all registered services in a datacenter',
  usage: '[options]',
  description: `  Retrieves the list services registered in a given datacenter. By default, the
  datacenter of the local agent is queried.

  To retrieve the list of services:

      $ sextant catalog services

  To include the services' tags in the output:

      $ sextant catalog services -tags

  To list services which run on a particular node:

      $ sextant catalog services -node=web

  To filter services on node metadata:

      $ sextant catalog services -node-meta="foo:bar"`,
  flags: [
    { name: 'node', kind: 'string', usage: 'Node `id or name` for which to list services.' },
    { name: 'node-meta', kind: 'list', usage: 'Metadata to filter nodes with the given `key:value` pairs. If specified, only services running on nodes matching the given metadata will be returned. This flag may be specified multiple times to filter on multiple sources of metadata.' },
    { name: 'tags', kind: 'bool', usage: 'Display each service\'s tags as a comma-separated list beside each service entry.' },
  ],
  async run({ flags, args, client, out, err }) {
    if (args.length > 0) {
      err('Too many arguments (expected 0, got ' + args.length + ')');
      return 1;
    }
    const meta = flags.values['node-meta'] as readonly string[];
    const bad = badNodeMeta(meta);
    if (bad !== undefined) {
      err(`invalid value "${bad}" for -node-meta: Missing ':' in meta pair`);
      return 1;
    }
    const node = flags.values['node'] as string;
    let services: Record<string, string[]> = {};
    try {
      if (node) {
        const n = await catalogGet<{ Services: Record<string, CatalogService> } | null>(client, `/v1/catalog/node/${encodeURIComponent(node)}`, nodeMetaPairs(meta));
        if (n) {
          for (const s of Object.values(n.Services)) (services[s.Service] ??= []).push(...(s.Tags ?? []));
        }
      } else {
        services = await catalogGet<Record<string, string[]>>(client, '/v1/catalog/services', nodeMetaPairs(meta));
      }
    } catch (e) {
      err(`${node ? 'Error listing services for node' : 'Error listing services'}: ${(e as Error).message}`);
      return 1;
    }
    if (Object.keys(services).length === 0) {
      err('No services match the given query - try expanding your search.');
      return 0;
    }
    if (flags.values['tags'] === true) out(servicesWithTags(services));
    else for (const name of Object.keys(services).sort()) out(name);
    return 0;
  },
});
