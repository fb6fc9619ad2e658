import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatacenterMap, NodeCoordinate } from '../../../contracts/model/coordinate.js';
import { rttCommand } from '../../../src/cli/commands/rtt.js';
import { main } from '../../../src/cli/main.js';
import { runCommand } from '../../support/run-command.js';

/** A fake agent answering /v1/agent/self, /v1/coordinate/nodes and /v1/coordinate/datacenters. */
let server: Server;
let env: Record<string, string>;
let nodes: NodeCoordinate[] = [];
let dcs: DatacenterMap[] = [];
let failCoordinates = false;

const c = (x: number) => ({ Vec: [x, 0, 0, 0, 0, 0, 0, 0], Error: 0.5, Adjustment: 0, Height: 0 });

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/v1/agent/self') return res.end(JSON.stringify({ Config: { NodeName: 'agent-node', Datacenter: 'dc1' } }));
    if (failCoordinates) {
      res.statusCode = 500;
      return res.end('boom');
    }
    if (path === '/v1/coordinate/nodes') return res.end(JSON.stringify(nodes));
    if (path === '/v1/coordinate/datacenters') return res.end(JSON.stringify(dcs));
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  env = { CONSUL_HTTP_ADDR: `127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('sextant rtt', () => {
  it('prints the estimated LAN RTT between two nodes (names case-insensitive), the second defaulting to the agent', async () => {
    failCoordinates = false;
    nodes = [
      { Node: 'agent-node', Segment: '', Coord: c(0) },
      { Node: 'web-1', Segment: '', Coord: c(0.001234) },
      { Node: 'web-2', Segment: '', Coord: c(0.0005) },
    ];
    const two = await runCommand(rttCommand, ['WEB-1', 'web-2'], env);
    expect(two).toEqual({ code: 0, stdout: 'Estimated WEB-1 <-> web-2 rtt: 0.734 ms (using LAN coordinates)\n', stderr: '' });
    const one = await runCommand(rttCommand, ['web-1'], env);
    expect(one.stdout).toBe('Estimated web-1 <-> agent-node rtt: 1.234 ms (using LAN coordinates)\n');
    // Through the dispatcher: rtt is a command now, not "not implemented yet".
    const out: string[] = [];
    const code = await main(['rtt', 'web-2', 'web-1'], { stdout: { write: (t: string) => out.push(t) }, stderr: { write: () => true }, stdin: (async function* () {})(), env });
    expect([code, out.join('')]).toEqual([0, 'Estimated web-2 <-> web-1 rtt: 0.734 ms (using LAN coordinates)\n']);
  });

  it("says which node has no coordinate, as Consul", async () => {
    failCoordinates = false;
    nodes = [{ Node: 'web-1', Segment: '', Coord: c(0.001) }];
    expect(await runCommand(rttCommand, ['ghost', 'web-1'], env)).toEqual({ code: 1, stdout: '', stderr: 'Could not find a coordinate for node "ghost"\n' });
    expect(await runCommand(rttCommand, ['web-1', 'ghost'], env)).toEqual({ code: 1, stdout: '', stderr: 'Could not find a coordinate for node "ghost"\n' });
    expect((await runCommand(rttCommand, ['web-1'], env)).stderr).toBe('Could not find a coordinate for node "agent-node"\n');
  });

  it('needs one or two node names; reports an agent that fails', async () => {
    const none = await runCommand(rttCommand, [], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^One or two node names must be specified\n\nUsage: sextant rtt \[options\] node1 \[node2\]/);
    expect((await runCommand(rttCommand, ['a', 'b', 'c'], env)).code).toBe(1);
    failCoordinates = true;
    expect(await runCommand(rttCommand, ['a', 'b'], env)).toEqual({ code: 1, stdout: '', stderr: 'Error getting coordinates: Unexpected response code: 500 (boom)\n' });
    failCoordinates = false;
  });

  it('-wan compares the servers of the datacenters in one area; names must be <node>.<dc>', async () => {
    failCoordinates = false;
    dcs = [
      { Datacenter: 'dc1', AreaID: 'WAN', Coordinates: [{ Node: 'agent-node', Segment: '', Coord: c(0) }, { Node: 's1', Segment: '', Coord: c(0.002) }] },
      { Datacenter: 'dc2', AreaID: 'WAN', Coordinates: [{ Node: 's9', Segment: '', Coord: c(0.01) }] },
    ];
    expect((await runCommand(rttCommand, ['-wan', 's1.dc1', 's9.dc2'], env)).stdout).toBe('Estimated s1.dc1 <-> s9.dc2 rtt: 8.000 ms (using WAN coordinates)\n');
    expect((await runCommand(rttCommand, ['-wan', 's9.dc2'], env)).stdout).toBe('Estimated s9.dc2 <-> agent-node.dc1 rtt: 10.000 ms (using WAN coordinates)\n');
    expect(await runCommand(rttCommand, ['-wan', 's1', 's9.dc2'], env)).toEqual({ code: 1, stdout: '', stderr: 'Node names must be specified as <node name>.<datacenter> with -wan\n' });
    expect((await runCommand(rttCommand, ['-wan', 's1.dc1', 'x.dc2'], env)).stderr).toBe('Could not find a coordinate for node "s1.dc1"\n');
  });
});
