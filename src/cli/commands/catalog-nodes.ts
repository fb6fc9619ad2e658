import type { CatalogNode, CatalogServiceNode } from '../../../contracts/model/catalog.js';
import type { Command } from '../command.js';
import { badNodeMeta, catalogGet, mapToKv, nodeMetaPairs, type QueryPair } from './catalog-api.js';
import { columnize } from './columnize.js';
import { defineHttpCommand } from './http-command.js';

type NodeRow = Pick<CatalogNode, 'ID' | 'Node' | 'Address' | 'Datacenter' | 'TaggedAddresses' | 'Meta'>;

/** Consul's `catalog nodes` table: Node ID Address DC (ID cut at its first `-`), or with -detailed Node ID Address DC TaggedAddresses Meta. */
export function nodesTable(nodes: readonly NodeRow[], detailed: boolean): string {
  const lines = [detailed ? 'Node\x1fID\x1fAddress\x1fDC\x1fTaggedAddresses\x1fMeta' : 'Node\x1fID\x1fAddress\x1fDC'];
  for (const n of nodes) {
    if (detailed) {
      lines.push([n.Node, n.ID, n.Address, n.Datacenter, mapToKv(n.TaggedAddresses, ', '), mapToKv(n.Meta, ', ')].join('\x1f'));
    } else {
      const cut = n.ID.indexOf('-');
      lines.push([n.Node, cut > 0 ? n.ID.slice(0, cut) : n.ID, n.Address, n.Datacenter].join('\x1f'));
    }
  }
  return columnize(lines);
}

/** `sextant catalog nodes [-service s] [-node-meta k:v] [-near n] [-filter e] [-detailed]` — Consul's `catalog nodes`. */
export const catalogNodesCommand: Command = defineHttpCommand({
  name: 'catalog nodes',
  synopsis: 'Lists all nodes in the given datacenter',
  usage: '[options]',
  description: `  Retrieves the list nodes registered in a given datacenter. By default, the
  datacenter of the local agent is queried.

  To retrieve the list of nodes:

      $ sextant catalog nodes

  To print detailed information including full node IDs, tagged addresses, and
  metadata information:

      $ sextant catalog nodes -detailed

  To list nodes which are running a particular service:

      $ sextant catalog nodes -service=web

  To filter by node metadata:

      $ sextant catalog nodes -node-meta="foo:bar"`,
  flags: [
    { name: 'detailed', kind: 'bool', usage: 'Output detailed information about the nodes including their addresses and metadata.' },
    { name: 'filter', kind: 'string', usage: 'Filter to use with the request' },
    { name: 'near', kind: 'string', usage: 'Node name to sort the node list in ascending order based on estimated round-trip time from that node. Passing "_agent" will use this agent\'s node for sorting.' },
    { name: 'node-meta', kind: 'list', usage: 'Metadata to filter nodes with the given `key:value` pairs. This flag may be specified multiple times to filter on multiple sources of metadata.' },
    { name: 'service', kind: 'string', usage: 'Service `id or name` to filter nodes. Only nodes which are providing the given service will be returned.' },
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
    const pairs: QueryPair[] = nodeMetaPairs(meta);
    const near = flags.values['near'] as string;
    const filter = flags.values['filter'] as string;
    if (near) pairs.push(['near', near]);
    if (filter) pairs.push(['filter', filter]);
    const service = flags.values['service'] as string;
    let nodes: NodeRow[];
    try {
      if (service) {
        const svc = await catalogGet<CatalogServiceNode[]>(client, `/v1/catalog/service/${encodeURIComponent(service)}`, pairs);
        nodes = svc.map((s) => ({ ID: s.ID, Node: s.Node, Address: s.Address, Datacenter: s.Datacenter, TaggedAddresses: s.TaggedAddresses, Meta: s.NodeMeta }));
      } else {
        nodes = await catalogGet<CatalogNode[]>(client, '/v1/catalog/nodes', pairs);
      }
    } catch (e) {
      err(`Error listing nodes: ${(e as Error).message}`);
      return 1;
    }
    if (nodes.length === 0) {
      err('No nodes match the given query - try expanding your search.');
      return 0;
    }
    out(nodesTable(nodes, flags.values['detailed'] === true));
    return 0;
  },
});
