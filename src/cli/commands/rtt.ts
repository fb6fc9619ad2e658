import type { DatacenterMap, NetworkCoordinate, NodeCoordinate } from '../../../contracts/model/coordinate.js';
import { Coordinate } from '../../gossip/coordinate/coordinate.js';
import { intersect } from '../../rpc/near-sort.js';
import { goQuote } from '../../state/go-quote.js';
import type { Command } from '../command.js';
import { type HttpClient, requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

const DESCRIPTION = `  Estimates the round trip time between two nodes using Sextant's network
  coordinate model of the cluster.

  At least one node name is required. If the second node name isn't given, it
  is set to the agent's node name. Note that these are node names as known to
  Sextant as "sextant members" would show, not IP addresses.

  By default, the two nodes are assumed to be nodes in the local datacenter
  and the LAN coordinates are used. If the -wan option is given, then the WAN
  coordinates are used, and the node names must be suffixed by a period and
  the datacenter (eg. "myserver.dc1").

  It is not possible to measure between LAN coordinates and WAN coordinates
  because they are maintained by independent Serf gossip areas, so they are
  not compatible.`;

/** Consul's `%.3f ms` of the estimated RTT between two coordinates (DistanceTo in seconds × 1000). */
export function formatRtt(a: NetworkCoordinate, b: NetworkCoordinate): string {
  return `${(Coordinate.fromJSON(a).distanceTo(Coordinate.fromJSON(b)) * 1000).toFixed(3)} ms`;
}

/** GET a JSON answer; non-2xx throws Consul's `Unexpected response code: …`. */
async function getJson<T>(client: HttpClient, path: string): Promise<T> {
  const res = requireOk(await client.request('GET', path));
  return JSON.parse(res.body.toString('utf8')) as T;
}

/** `sextant rtt [-wan] NODE1 [NODE2]` — Consul's `rtt`: the estimated round trip time between two nodes from their network coordinates. */
export const rttCommand: Command = defineHttpCommand({
  name: 'rtt',
  synopsis: 'Estimates network round trip time between nodes',
  usage: '[options] node1 [node2]',
  description: DESCRIPTION,
  flags: [{ name: 'wan', kind: 'bool', usage: 'Use WAN coordinates instead of LAN coordinates.' }],
  async run({ flags, args, client, out, err, io }) {
    const help = (): string => rttCommand.help();
    const nodes = [...args];
    if (nodes.length < 1 || nodes.length > 2) {
      err('One or two node names must be specified');
      err('');
      io.stderr.write(help());
      return 1;
    }
    const wan = flags.values['wan'] === true;
    let coord1: NetworkCoordinate | undefined;
    let coord2: NetworkCoordinate | undefined;
    if (wan) {
      if (nodes.length < 2) {
        try {
          const self = await getJson<{ Config: { NodeName: string; Datacenter: string } }>(client, '/v1/agent/self');
          nodes.push(`${self.Config.NodeName}.${self.Config.Datacenter}`);
        } catch (e) {
          err(`Unable to look up agent info: ${(e as Error).message}`);
          return 1;
        }
      }
      const parts1 = nodes[0]!.split('.');
      const parts2 = nodes[1]!.split('.');
      if (parts1.length !== 2 || parts2.length !== 2) {
        err('Node names must be specified as <node name>.<datacenter> with -wan');
        return 1;
      }
      const [node1, dc1] = parts1 as [string, string];
      const [node2, dc2] = parts2 as [string, string];
      let dcs: DatacenterMap[];
      try {
        dcs = await getJson<DatacenterMap[]>(client, '/v1/coordinate/datacenters');
      } catch (e) {
        err(`Error getting coordinates: ${(e as Error).message}`);
        return 1;
      }
      // Only coordinates of one area compare; nothing found means neither is shown.
      let area1: string | undefined;
      let area2: string | undefined;
      let found = false;
      search: for (const dc of dcs) {
        for (const entry of dc.Coordinates ?? []) {
          if (dc.Datacenter === dc1 && entry.Node.toLowerCase() === node1.toLowerCase()) {
            area1 = dc.AreaID;
            coord1 = entry.Coord;
          }
          if (dc.Datacenter === dc2 && entry.Node.toLowerCase() === node2.toLowerCase()) {
            area2 = dc.AreaID;
            coord2 = entry.Coord;
          }
          if (area1 === area2 && coord1 && coord2) {
            found = true;
            break search;
          }
        }
      }
      if (!found) coord1 = coord2 = undefined;
    } else {
      if (nodes.length < 2) {
        try {
          const self = await getJson<{ Config: { NodeName: string } }>(client, '/v1/agent/self');
          nodes.push(self.Config.NodeName);
        } catch (e) {
          err(`Unable to look up agent info: ${(e as Error).message}`);
          return 1;
        }
      }
      let entries: NodeCoordinate[];
      try {
        entries = await getJson<NodeCoordinate[]>(client, '/v1/coordinate/nodes');
      } catch (e) {
        err(`Error getting coordinates: ${(e as Error).message}`);
        return 1;
      }
      const cs1 = new Map<string, NetworkCoordinate>();
      const cs2 = new Map<string, NetworkCoordinate>();
      for (const entry of entries) {
        if (entry.Node.toLowerCase() === nodes[0]!.toLowerCase()) cs1.set(entry.Segment, entry.Coord);
        if (entry.Node.toLowerCase() === nodes[1]!.toLowerCase()) cs2.set(entry.Segment, entry.Coord);
      }
      [coord1, coord2] = intersect(cs1, cs2);
    }
    if (!coord1) {
      err(`Could not find a coordinate for node ${goQuote(nodes[0]!)}`);
      return 1;
    }
    if (!coord2) {
      err(`Could not find a coordinate for node ${goQuote(nodes[1]!)}`);
      return 1;
    }
    out(`Estimated ${nodes[0]} <-> ${nodes[1]} rtt: ${formatRtt(coord1, coord2)} (using ${wan ? 'WAN' : 'LAN'} coordinates)`);
    return 0;
  },
});
