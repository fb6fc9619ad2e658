import { deleteKv, getKv, putKv } from './kv-handlers.js';
import { getLeader, getPeers } from './status-handlers.js';
import { getSnapshot, putSnapshot } from './snapshot-handlers.js';
import { deleteRaftPeer, postRaftTransferLeader, getRaftConfiguration } from './operator-handlers.js';
import { getAutopilotConfiguration, getAutopilotHealth, getAutopilotState, putAutopilotConfiguration } from './operator-autopilot-handlers.js';
import { getMembers, getSelf, putForceLeave, putJoin, putLeave, putReload } from './agent-handlers.js';
import { deleteKeyring, getKeyring, postKeyring, putKeyring } from './operator-keyring-handlers.js';
import { getMetrics, getMonitor } from './telemetry-handlers.js';
import {
  getAgentHealthById,
  getAgentHealthByName,
  getAgentService,
  getAgentServices,
  putAgentMaintenance,
  putAgentServiceDeregister,
  putAgentServiceMaintenance,
  putAgentServiceRegister,
} from './agent-service-handlers.js';
import {
  getAgentChecks,
  putAgentCheckDeregister,
  putAgentCheckFail,
  putAgentCheckPass,
  putAgentCheckRegister,
  putAgentCheckUpdate,
  putAgentCheckWarn,
} from './agent-check-handlers.js';
import type { Handler } from './request-scope.js';
import {
  getCatalogDatacenters,
  getCatalogNode,
  getCatalogNodeServices,
  getCatalogNodes,
  getCatalogService,
  getCatalogServices,
  putCatalogDeregister,
  putCatalogRegister,
} from './catalog-handlers.js';
import { getHealthChecks, getHealthNode, getHealthService, getHealthState } from './health-handlers.js';
import { getUiNodes, getUiServices } from './internal-ui-handlers.js';
import { getSessionInfo, getSessionList, getSessionNode, putSessionCreate, putSessionDestroy, putSessionRenew } from './session-handlers.js';
import { putTxn } from './txn-handlers.js';
import { getEventList, putEventFire } from './event-handlers.js';
import { getCoordinateDatacenters, getCoordinateNode, getCoordinateNodes, putCoordinateUpdate } from './coordinate-handlers.js';

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
  { path: '/v1/operator/raft/configuration', methods: { GET: getRaftConfiguration } },
  { path: '/v1/operator/raft/peer', methods: { DELETE: deleteRaftPeer } },
  { path: '/v1/snapshot', methods: { GET: getSnapshot, PUT: putSnapshot } },
  { path: '/v1/operator/raft/transfer-leader', methods: { POST: postRaftTransferLeader } },
  { path: '/v1/operator/autopilot/configuration', methods: { GET: getAutopilotConfiguration, PUT: putAutopilotConfiguration } },
  { path: '/v1/operator/autopilot/health', methods: { GET: getAutopilotHealth } },
  { path: '/v1/operator/autopilot/state', methods: { GET: getAutopilotState } },
  { path: '/v1/agent/self', methods: { GET: getSelf } },
  { path: '/v1/agent/members', methods: { GET: getMembers } },
  { path: '/v1/agent/reload', methods: { PUT: putReload } },
  { path: '/v1/agent/join/:address', methods: { PUT: putJoin } },
  { path: '/v1/agent/leave', methods: { PUT: putLeave } },
  { path: '/v1/agent/force-leave/:node', methods: { PUT: putForceLeave } },
  { path: '/v1/operator/keyring', methods: { GET: getKeyring, POST: postKeyring, PUT: putKeyring, DELETE: deleteKeyring } },
  { path: '/v1/agent/monitor', methods: { GET: getMonitor } },
  { path: '/v1/agent/metrics', methods: { GET: getMetrics } },
  { path: '/v1/agent/services', methods: { GET: getAgentServices } },
  { path: '/v1/agent/service/register', methods: { PUT: putAgentServiceRegister } },
  { path: '/v1/agent/service/deregister/:id', methods: { PUT: putAgentServiceDeregister } },
  { path: '/v1/agent/service/maintenance/:id', methods: { PUT: putAgentServiceMaintenance } },
  { path: '/v1/agent/service/:id', methods: { GET: getAgentService } },
  { path: '/v1/agent/maintenance', methods: { PUT: putAgentMaintenance } },
  { path: '/v1/agent/health/service/id/:id', methods: { GET: getAgentHealthById } },
  { path: '/v1/agent/health/service/name/:name', methods: { GET: getAgentHealthByName } },
  { path: '/v1/agent/checks', methods: { GET: getAgentChecks } },
  { path: '/v1/agent/check/register', methods: { PUT: putAgentCheckRegister } },
  { path: '/v1/agent/check/deregister/:id', methods: { PUT: putAgentCheckDeregister } },
  { path: '/v1/agent/check/pass/:id', methods: { PUT: putAgentCheckPass } },
  { path: '/v1/agent/check/warn/:id', methods: { PUT: putAgentCheckWarn } },
  { path: '/v1/agent/check/fail/:id', methods: { PUT: putAgentCheckFail } },
  { path: '/v1/agent/check/update/:id', methods: { PUT: putAgentCheckUpdate } },
  { path: '/v1/catalog/register', methods: { PUT: putCatalogRegister } },
  { path: '/v1/catalog/deregister', methods: { PUT: putCatalogDeregister } },
  { path: '/v1/catalog/datacenters', methods: { GET: getCatalogDatacenters } },
  { path: '/v1/catalog/nodes', methods: { GET: getCatalogNodes } },
  { path: '/v1/catalog/services', methods: { GET: getCatalogServices } },
  { path: '/v1/catalog/service/', methods: { GET: getCatalogService } }, // empty name: 400 Missing …, as Consul
  { path: '/v1/catalog/service/:service', methods: { GET: getCatalogService } },
  { path: '/v1/catalog/node/', methods: { GET: getCatalogNode } }, // empty name: 400 Missing …, as Consul
  { path: '/v1/catalog/node/:node', methods: { GET: getCatalogNode } },
  { path: '/v1/catalog/node-services/', methods: { GET: getCatalogNodeServices } }, // empty name: 400 Missing …, as Consul
  { path: '/v1/catalog/node-services/:node', methods: { GET: getCatalogNodeServices } },
  { path: '/v1/health/node/', methods: { GET: getHealthNode } }, // empty name: 400 Missing …, as Consul
  { path: '/v1/health/node/:node', methods: { GET: getHealthNode } },
  { path: '/v1/health/checks/', methods: { GET: getHealthChecks } }, // empty name: 400 Missing …, as Consul
  { path: '/v1/health/checks/:service', methods: { GET: getHealthChecks } },
  { path: '/v1/health/service/', methods: { GET: getHealthService } }, // empty name: 400 Missing …, as Consul
  { path: '/v1/health/service/:service', methods: { GET: getHealthService } },
  { path: '/v1/health/state/', methods: { GET: getHealthState } }, // empty name: 400 Missing …, as Consul
  { path: '/v1/health/state/:state', methods: { GET: getHealthState } },
  { path: '/v1/internal/ui/services', methods: { GET: getUiServices } },
  { path: '/v1/internal/ui/nodes', methods: { GET: getUiNodes } },
  { path: '/v1/session/create', methods: { PUT: putSessionCreate } },
  { path: '/v1/session/destroy/', methods: { PUT: putSessionDestroy } },
  { path: '/v1/session/destroy/:id', methods: { PUT: putSessionDestroy } },
  { path: '/v1/session/renew/', methods: { PUT: putSessionRenew } },
  { path: '/v1/session/renew/:id', methods: { PUT: putSessionRenew } },
  { path: '/v1/session/info/', methods: { GET: getSessionInfo } },
  { path: '/v1/session/info/:id', methods: { GET: getSessionInfo } },
  { path: '/v1/session/node/', methods: { GET: getSessionNode } },
  { path: '/v1/session/node/:node', methods: { GET: getSessionNode } },
  { path: '/v1/session/list', methods: { GET: getSessionList } },
  { path: '/v1/txn', methods: { PUT: putTxn } },
  { path: '/v1/event/fire/', methods: { PUT: putEventFire } }, // empty name: 400 Missing name, as Consul
  { path: '/v1/event/fire/:name', methods: { PUT: putEventFire } },
  { path: '/v1/event/list', methods: { GET: getEventList } },
  { path: '/v1/coordinate/datacenters', methods: { GET: getCoordinateDatacenters } },
  { path: '/v1/coordinate/nodes', methods: { GET: getCoordinateNodes } },
  { path: '/v1/coordinate/node/', methods: { GET: getCoordinateNode } }, // empty name: 404, as Consul
  { path: '/v1/coordinate/node/:node', methods: { GET: getCoordinateNode } },
  { path: '/v1/coordinate/update', methods: { PUT: putCoordinateUpdate } },
];
