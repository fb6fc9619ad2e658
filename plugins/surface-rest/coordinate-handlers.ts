import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { CoordinateApi } from '../../contracts/services/coordinate-service.js';
import { coordinatesDisabled } from 'sextant/plugin-sdk';
import { decodeJsonBody } from './json-body.js';
import { readBody } from './read-body.js';
import { requestContext, writeContext } from './request-context.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendEmpty, sendJson, sendText, setQueryMeta } from './respond.js';

/**
 * /v1/coordinate/* — Consul's agent/coordinate_endpoint.go: the WAN coordinates of each
 * datacenter's servers, the LAN coordinates of the nodes (blocking, `?segment`), one node's
 * (404 when it has none) and the update an agent sends. With `disable_coordinates` every route
 * answers 401 `Coordinate support disabled`, as Consul does.
 */

/** Largest update body accepted (a coordinate is a few hundred bytes). */
const MAX_UPDATE_BODY = 64 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;
/** The fields of Consul's CoordinateUpdateRequest (and its Coord), matched case-insensitively as Go's decoder does. */
const UPDATE_FIELDS = ['Datacenter', 'Node', 'Segment', 'Coord', 'Vec', 'Error', 'Adjustment', 'Height', 'Token'];

/** Consul's checkCoordinateDisabled, then the surface's CoordinateApi (NOT_IMPLEMENTED when the agent has none). */
function coordinateOf(scope: RequestScope): CoordinateApi | undefined {
  if (coordinatesDisabled(scope.deps.config)) {
    sendText(scope.ctx, 401, 'Coordinate support disabled');
    return undefined;
  }
  const c = scope.deps.coordinate;
  if (!c) throw new SextantError(ErrorCode.NotImplemented, 'coordinates are not available on this agent');
  return c;
}

/** Consul's filterCoordinates: with `?segment` (even empty) only that segment's coordinates. */
function bySegment(scope: RequestScope, coords: readonly NodeCoordinate[]): NodeCoordinate[] {
  if (!scope.query.has('segment')) return [...coords];
  const segment = scope.query.get('segment') ?? '';
  return coords.filter((c) => c.Segment === segment);
}

/** GET /v1/coordinate/datacenters — `[{Datacenter, AreaID, Coordinates}]`. */
export const getCoordinateDatacenters: Handler = async (scope) => {
  const api = coordinateOf(scope);
  if (!api) return;
  const maps = await api.datacenters(writeContext(scope));
  sendJson(scope, maps.map((m) => ({ ...m, Coordinates: m.Coordinates ?? [] })));
};

/** GET /v1/coordinate/nodes — every node's LAN coordinates (blocking; `?segment`). */
export const getCoordinateNodes: Handler = async (scope) => {
  const api = coordinateOf(scope);
  if (!api) return;
  const opts = requestContext(scope);
  const res = await api.nodes(opts);
  setQueryMeta(scope.ctx, res.meta, opts.consistency);
  sendJson(scope, bySegment(scope, res.value));
};

/** GET /v1/coordinate/node/:node — that node's coordinates (blocking; `?segment`); 404 with an empty body when none. */
export const getCoordinateNode: Handler = async (scope) => {
  const api = coordinateOf(scope);
  if (!api) return;
  const opts = requestContext(scope);
  const res = await api.node(scope.params['node'] ?? '', opts);
  setQueryMeta(scope.ctx, res.meta, opts.consistency);
  const out = bySegment(scope, res.value);
  if (out.length === 0) return sendEmpty(scope.ctx, 404);
  sendJson(scope, out);
};

/** PUT /v1/coordinate/update — `{Node, Segment, Coord}`: queued for the servers' next batch; 200 with an empty body. */
export const putCoordinateUpdate: Handler = async (scope) => {
  const api = coordinateOf(scope);
  if (!api) return;
  const body = decodeJsonBody(await readBody(scope.ctx.req, MAX_UPDATE_BODY, tooLarge), UPDATE_FIELDS) ?? {};
  const { req, datacenter } = updateRequest(body);
  const ctx = writeContext(scope);
  // Consul's parseDC: the query's ?dc, else the body's Datacenter.
  await api.update(req, ctx.datacenter ? ctx : { ...ctx, datacenter });
  sendEmpty(scope.ctx, 200);
};

/**
 * The update request (and the body's Datacenter) from a decoded body, with Go's decode errors for mistyped fields
 * (`Request decode failed: json: cannot unmarshal …`, 400). A missing or null Coord is sent on
 * as an empty one, which the server refuses as `incompatible coordinate` (Consul's shape).
 */
function updateRequest(body: unknown): { req: NodeCoordinate; datacenter: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw decodeError(goType(body), 'CoordinateUpdateRequest', '', 'structs.CoordinateUpdateRequest');
  const b = body as Record<string, unknown>;
  const str = (k: string): string => {
    const v = b[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw decodeError(goType(v), 'CoordinateUpdateRequest', k, 'string');
    return v;
  };
  const node = str('Node');
  const segment = str('Segment');
  const datacenter = str('Datacenter');
  const raw = b['Coord'];
  const coord = { Vec: [] as number[], Error: 0, Adjustment: 0, Height: 0 };
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) throw decodeError(goType(raw), 'CoordinateUpdateRequest', 'Coord', 'coordinate.Coordinate');
    const c = raw as Record<string, unknown>;
    const vec = c['Vec'];
    if (vec !== undefined && vec !== null) {
      if (!Array.isArray(vec)) throw decodeError(goType(vec), 'CoordinateUpdateRequest', 'Coord.Vec', '[]float64');
      for (const x of vec) if (typeof x !== 'number') throw decodeError(goType(x), 'CoordinateUpdateRequest', 'Coord.Vec', 'float64');
      coord.Vec = vec as number[];
    }
    for (const k of ['Error', 'Adjustment', 'Height'] as const) {
      const v = c[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number') throw decodeError(goType(v), 'CoordinateUpdateRequest', `Coord.${k}`, 'float64');
      coord[k] = v;
    }
  }
  return { req: { Node: node, Segment: segment, Coord: coord }, datacenter };
}

/** Go's JSON type name of a decoded value, as its UnmarshalTypeError says it. */
function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number
}

function decodeError(value: string, struct: string, field: string, type: string): SextantError {
  const where = field === '' ? `value of type ${type}` : `Go struct field ${struct}.${field} of type ${type}`;
  return new SextantError(ErrorCode.BadRequest, `Request decode failed: json: cannot unmarshal ${value} into ${where}`);
}
