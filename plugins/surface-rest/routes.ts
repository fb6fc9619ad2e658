import { deleteKv, getKv, putKv } from './kv-handlers.js';
import { getLeader, getPeers } from './status-handlers.js';
import { getMembers, getSelf, putReload } from './agent-handlers.js';
import type { Handler } from './request-scope.js';

/** The HTTP methods a route may answer. */
export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** One path and the handler for each method it answers; any other method gets 405 with `Allow`. */
export interface RouteDef {
  /** An @koa/router 15 path (`*name` is a wildcard that may span `/`). */
  readonly path: string;
  readonly methods: Readonly<Partial<Record<HttpMethod, Handler>>>;
}

/** Every route of the REST surface. */
export const ROUTES: readonly RouteDef[] = [
  { path: '/v1/kv/', methods: { GET: getKv, PUT: putKv, DELETE: deleteKv } },
  { path: '/v1/kv/*key', methods: { GET: getKv, PUT: putKv, DELETE: deleteKv } },
  { path: '/v1/status/leader', methods: { GET: getLeader } },
  { path: '/v1/status/peers', methods: { GET: getPeers } },
  { path: '/v1/agent/self', methods: { GET: getSelf } },
  { path: '/v1/agent/members', methods: { GET: getMembers } },
  { path: '/v1/agent/reload', methods: { PUT: putReload } },
];
