import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import type { CoordinateApi } from '../../contracts/services/coordinate-service.js';
import type { KvService } from '../../contracts/services/kv-service.js';
import type { SessionApi } from '../../contracts/services/session-service.js';
import type { OperatorService } from '../../contracts/services/operator-service.js';
import type { SnapshotService } from '../../contracts/services/snapshot-service.js';
import type { StatusService } from '../../contracts/services/status-service.js';
import type { TxnApi } from '../../contracts/services/txn-service.js';
import type { InternalUiApi } from '../../contracts/services/internal-ui-service.js';
import type { InternalEndpoint } from './internal-endpoint.js';
import { MethodTable } from './method-table.js';

/** The server's endpoints, as the method table registers them. */
export interface ServerEndpoints {
  kv: KvService;
  catalog: CatalogApi;
  health: HealthApi;
  session: SessionApi;
  txn: TxnApi;
  status: StatusService;
  operator: OperatorService;
  internal: InternalEndpoint;
  /** The UI's catalog dumps (Internal.ServiceDump, Internal.NodeDump). */
  internalUi: InternalUiApi;
  coordinate: CoordinateApi;
  snapshot: SnapshotService;
}

/**
 * Builds the server's method table: every endpoint method registered once under its Consul RPC
 * name (agent/consul/{kvs,catalog,health,session,txn,status,internal,coordinate}_endpoint.go) with its routing kind.
 */
export function serverMethods(e: ServerEndpoints): MethodTable {
  const t = new MethodTable();
  t.register('KVS.Apply', 'write', (a, ctx) => e.kv.apply(a.op, ctx));
  t.register('KVS.Get', 'read', (a, ctx) => e.kv.get(a.key, ctx));
  t.register('KVS.List', 'read', (a, ctx) => e.kv.list(a.prefix, ctx));
  t.register('KVS.ListKeys', 'read', (a, ctx) => e.kv.keys(a.prefix, a.separator, ctx));

  t.register('Catalog.Register', 'write', async (a, ctx) => (await e.catalog.register(a.req, ctx), null));
  t.register('Catalog.Deregister', 'write', async (a, ctx) => (await e.catalog.deregister(a.req, ctx), null));
  t.register('Catalog.ListDatacenters', 'any', (_a, ctx) => e.catalog.datacenters(ctx));
  t.register('Catalog.ListNodes', 'read', (a, ctx) => e.catalog.nodes(a.f, ctx));
  t.register('Catalog.ListServices', 'read', (a, ctx) => e.catalog.services(a.f, ctx));
  t.register('Catalog.ServiceNodes', 'read', (a, ctx) => e.catalog.serviceNodes(a.service, a.tags, a.f, ctx));
  t.register('Catalog.NodeServices', 'read', (a, ctx) => e.catalog.nodeServices(a.node, a.f, ctx));

  t.register('Health.NodeChecks', 'read', (a, ctx) => e.health.nodeChecks(a.node, a.f, ctx));
  t.register('Health.ServiceChecks', 'read', (a, ctx) => e.health.serviceChecks(a.service, a.f, ctx));
  t.register('Health.ServiceNodes', 'read', (a, ctx) => e.health.serviceHealth(a.service, { tags: a.tags, passingOnly: a.passingOnly }, a.f, ctx));
  t.register('Health.ChecksInState', 'read', (a, ctx) => e.health.checksInState(a.state, a.f, ctx));

  t.register('Session.Apply', 'write', (a, ctx) => (a.op === 'create' ? e.session.create(a.req, ctx) : e.session.destroy(a.id, ctx)));
  t.register('Session.Renew', 'write', (a, ctx) => e.session.renew(a.id, ctx));
  t.register('Session.Get', 'read', (a, ctx) => e.session.info(a.id, ctx));
  t.register('Session.NodeSessions', 'read', (a, ctx) => e.session.node(a.node, ctx));
  t.register('Session.List', 'read', (_a, ctx) => e.session.list(ctx));

  t.register('Txn.Apply', 'write', (a, ctx) => e.txn.apply(a.ops, 'default', ctx));
  t.register('Txn.Read', 'read', (a, ctx) => e.txn.apply(a.ops, ctx.consistency, ctx));

  t.register('Status.Leader', 'any', (_a, ctx) => e.status.leader(ctx));
  t.register('Status.Peers', 'any', (_a, ctx) => e.status.peers(ctx));

  t.register('Snapshot.Save', 'read', (_a, ctx) => e.snapshot.save(ctx));
  t.register('Snapshot.Restore', 'write', async (a, ctx) => (await e.snapshot.restore(a.archive, ctx), null));
  t.register('Operator.RaftGetConfiguration', 'read', (_a, ctx) => e.operator.raftConfiguration(ctx));
  t.register('Operator.RaftRemovePeerByID', 'write', async (a, ctx) => (await e.operator.raftRemovePeer({ id: a.id }, ctx), null));
  t.register('Operator.RaftRemovePeerByAddress', 'write', async (a, ctx) => (await e.operator.raftRemovePeer({ address: a.address }, ctx), null));
  t.register('Operator.RaftLeaderTransfer', 'write', (a, ctx) => e.operator.raftTransferLeader(a.id, ctx));
  t.register('Operator.AutopilotGetConfiguration', 'read', (_a, ctx) => e.operator.autopilotGetConfiguration(ctx));
  t.register('Operator.AutopilotSetConfiguration', 'write', (a, ctx) => e.operator.autopilotSetConfiguration(a.config, a.cas, ctx));
  t.register('Operator.ServerHealth', 'read', (_a, ctx) => e.operator.autopilotServerHealth(ctx));
  t.register('Operator.AutopilotState', 'read', (_a, ctx) => e.operator.autopilotState(ctx));

  t.register('Internal.EventFire', 'any', async (a) => (await e.internal.eventFire(a.name, a.payload), null));
  t.register('Internal.ServiceDump', 'read', (a, ctx) => e.internalUi.serviceSummaries(a.f, ctx));
  t.register('Internal.NodeDump', 'read', (a, ctx) => e.internalUi.nodeDump(a.f, ctx));

  t.register('Coordinate.Update', 'write', async (a, ctx) => (await e.coordinate.update(a.req, ctx), null));
  t.register('Coordinate.ListDatacenters', 'any', (_a, ctx) => e.coordinate.datacenters(ctx));
  t.register('Coordinate.ListNodes', 'read', (_a, ctx) => e.coordinate.nodes(ctx));
  t.register('Coordinate.Node', 'read', (a, ctx) => e.coordinate.node(a.node, ctx));
  return t;
}
