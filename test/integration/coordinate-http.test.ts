import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { Agent } from '../../src/kernel/agent.js';
import { startInProcessAgent } from '../support/in-process-agent.js';

/**
 * /v1/coordinate/* and `?near` on a real in-process dev agent over HTTP: coordinates written with
 * PUT /v1/coordinate/update reach the catalog in the leader's next batch (5 s), then order the
 * catalog and health answers by estimated RTT.
 */

let agent: Agent;
let base: string;

beforeAll(async () => {
  const started = await startInProcessAgent(['-dev', '-node', 'coord-agent', '-log-level', 'error']);
  agent = started.agent;
  base = started.http;
});
afterAll(async () => {
  await agent?.stop();
});

const vec = (x: number): number[] => [x, 0, 0, 0, 0, 0, 0, 0];
const coord = (x: number) => ({ Vec: vec(x), Error: 0.2, Adjustment: 0, Height: 0.0001 });
const put = (p: string, body: unknown): Promise<Response> => fetch(base + p, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });
async function get<T = unknown>(p: string): Promise<{ status: number; index: number; text: string; body: T }> {
  const r = await fetch(base + p);
  const text = await r.text();
  return { status: r.status, index: Number(r.headers.get('x-consul-index')), text, body: (r.status === 200 && text !== '' ? JSON.parse(text) : undefined) as T };
}
const names = <T>(list: T[], of: (t: T) => string): string[] => list.map(of);

describe('coordinate HTTP endpoints and ?near', () => {
  it('answers Consul shapes and status codes before any coordinate exists', async () => {
    // This datacenter, with its one server and the coordinate its pool computes.
    const dcs = await get<{ Datacenter: string; AreaID: string; Coordinates: NodeCoordinate[] }[]>('/v1/coordinate/datacenters');
    expect(dcs.status).toBe(200);
    expect(dcs.body.map((d) => [d.Datacenter, d.AreaID, d.Coordinates.map((c) => [c.Node, c.Segment, c.Coord.Vec.length])])).toEqual([['dc1', 'WAN', [['coord-agent', '', 8]]]]);
    const missing = await get('/v1/coordinate/node/nobody');
    expect([missing.status, missing.text]).toEqual([404, '']);
    expect(missing.index).toBeGreaterThan(0);
    expect((await get('/v1/coordinate/node/')).status).toBe(404);
    const bad = await put('/v1/coordinate/update', { Node: 7 });
    expect([bad.status, await bad.text()]).toEqual([400, 'Request decode failed: json: cannot unmarshal number into Go struct field CoordinateUpdateRequest.Node of type string']);
    const badVec = await put('/v1/coordinate/update', { Node: 'x', Coord: { Vec: ['a'] } });
    expect([badVec.status, await badVec.text()]).toEqual([400, 'Request decode failed: json: cannot unmarshal string into Go struct field CoordinateUpdateRequest.Coord.Vec of type float64']);
    const dims = await put('/v1/coordinate/update', { Node: 'x', Coord: { Vec: [0, 0], Error: 1, Adjustment: 0, Height: 0 } });
    expect([dims.status, await dims.text()]).toEqual([500, 'incompatible coordinate']);
    expect((await fetch(base + '/v1/coordinate/update')).status).toBe(405);
  });

  it('stores updates in the next batch; ?near=<node>|_agent sorts catalog and health answers by RTT, nodes without a coordinate last', async () => {
    // The agent registers itself (serfHealth) once its leader reconciles; wait for it.
    for (let i = 0; i < 100 && (await get<{ Node: string }[]>('/v1/catalog/nodes')).body.every((n) => n.Node !== 'coord-agent'); i++) await new Promise((r) => setTimeout(r, 50));
    for (const [node, addr] of [['n-far', '10.0.0.3'], ['n-near', '10.0.0.1'], ['n-none', '10.0.0.2']] as const) {
      const r = await put('/v1/catalog/register', { Node: node, Address: addr, Service: { Service: 'web', ID: `web-${node}` }, Check: { CheckID: `chk-${node}`, ServiceID: `web-${node}`, Status: 'passing' } });
      expect(r.status).toBe(200);
    }
    const before = await get<NodeCoordinate[]>('/v1/coordinate/nodes');
    expect(before.body).toEqual([]);
    for (const [node, x] of [['coord-agent', 0], ['n-near', 0.002], ['n-far', 0.04]] as const) {
      const r = await put('/v1/coordinate/update', { node, segment: '', coord: coord(x) }); // field names are case-insensitive, as Go's decoder
      expect([r.status, await r.text()]).toEqual([200, '']);
    }
    // A blocking read wakes when the leader's batch lands (within coordinate_update_period).
    const after = await get<NodeCoordinate[]>(`/v1/coordinate/nodes?index=${before.index}&wait=20s`);
    expect(after.index).toBeGreaterThan(before.index);
    expect(after.body.map((c) => c.Node)).toEqual(['coord-agent', 'n-far', 'n-near']);
    expect(after.body[2]).toEqual({ Node: 'n-near', Segment: '', Coord: coord(0.002) });

    const one = await get<NodeCoordinate[]>('/v1/coordinate/node/n-near');
    expect([one.status, one.body]).toEqual([200, [{ Node: 'n-near', Segment: '', Coord: coord(0.002) }]]);
    expect((await get('/v1/coordinate/node/n-near?segment=alpha')).status).toBe(404);
    expect((await get<NodeCoordinate[]>('/v1/coordinate/nodes?segment=')).body).toHaveLength(3);
    expect((await get<NodeCoordinate[]>('/v1/coordinate/nodes?segment=alpha')).body).toEqual([]);

    const byName = ['coord-agent', 'n-far', 'n-near', 'n-none'];
    const fromAgent = ['coord-agent', 'n-near', 'n-far', 'n-none'];
    expect(names((await get<{ Node: string }[]>('/v1/catalog/nodes')).body, (n) => n.Node)).toEqual(byName);
    expect(names((await get<{ Node: string }[]>('/v1/catalog/nodes?near=_agent')).body, (n) => n.Node)).toEqual(fromAgent);
    expect(names((await get<{ Node: string }[]>('/v1/catalog/nodes?near=n-far')).body, (n) => n.Node)).toEqual(['n-far', 'n-near', 'coord-agent', 'n-none']);
    expect(names((await get<{ Node: string }[]>('/v1/catalog/service/web?near=n-far')).body, (n) => n.Node)).toEqual(['n-far', 'n-near', 'n-none']);
    expect(names((await get<{ Node: { Node: string } }[]>('/v1/health/service/web?near=n-far')).body, (e) => e.Node.Node)).toEqual(['n-far', 'n-near', 'n-none']);
    expect(names((await get<{ Node: string }[]>('/v1/health/checks/web?near=n-far')).body, (c) => c.Node)).toEqual(['n-far', 'n-near', 'n-none']);
    const state = names((await get<{ Node: string }[]>('/v1/health/state/passing?near=_agent')).body, (c) => c.Node);
    expect(state.filter((n, i) => state.indexOf(n) === i)).toEqual(fromAgent);
    // An unknown node, or one without a coordinate: no sorting (Consul's sortNodesByDistanceFrom).
    expect(names((await get<{ Node: string }[]>('/v1/catalog/nodes?near=ghost')).body, (n) => n.Node)).toEqual(byName);
    expect(names((await get<{ Node: string }[]>('/v1/catalog/nodes?near=n-none')).body, (n) => n.Node)).toEqual(byName);

    // Deregistering a node deletes its coordinate.
    expect((await put('/v1/catalog/deregister', { Node: 'n-far' })).status).toBe(200);
    expect((await get('/v1/coordinate/node/n-far')).status).toBe(404);
  }, 30_000);
});
