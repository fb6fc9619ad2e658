import type { CatalogNode, CatalogService, CatalogServiceNode, DeregisterRequest, RegisterRequest, ServiceEntry } from '../../contracts/model/catalog.js';
import type { DatacenterMap, NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import type { QueryResult } from '../../contracts/model/query.js';
import type { Session, SessionCreateRequest } from '../../contracts/model/session.js';
import type { SnapshotSaveReply } from '../../contracts/services/snapshot-service.js';
import type { AutopilotConfiguration, AutopilotSettings, AutopilotState, OperatorHealthReply, RaftConfigurationReply, RaftTransferLeaderReply } from '../../contracts/services/operator-service.js';
import type { CatalogFilter } from '../../contracts/services/catalog-service.js';
import type { KvOp } from '../../contracts/services/kv-service.js';
import type { TxnOp, TxnOutcome } from '../../contracts/services/txn-service.js';
import type { UiNodeInfo, UiServiceSummary } from '../../contracts/model/ui-dump.js';

/**
 * Every server RPC method, under Consul's names (agent/consul/*_endpoint.go), with its
 * arguments and reply. Arguments and replies are plain data (msgpack-encodable: strings,
 * numbers, booleans, byte arrays, arrays and records) so a method can be called in-process or
 * over the transport alike. Append-only: a name is never reused with another shape.
 */
export interface RpcSchema {
  'KVS.Apply': { args: { op: KvOp }; reply: boolean };
  'KVS.Get': { args: { key: string }; reply: QueryResult<KvEntry | null> };
  'KVS.List': { args: { prefix: string }; reply: QueryResult<KvEntry[]> };
  'KVS.ListKeys': { args: { prefix: string; separator: string }; reply: QueryResult<string[]> };
  'Catalog.Register': { args: { req: RegisterRequest }; reply: null };
  'Catalog.Deregister': { args: { req: DeregisterRequest }; reply: null };
  'Catalog.ListDatacenters': { args: Record<string, never>; reply: string[] };
  'Catalog.ListNodes': { args: { f: CatalogFilter }; reply: QueryResult<CatalogNode[]> };
  'Catalog.ListServices': { args: { f: CatalogFilter }; reply: QueryResult<Record<string, string[]>> };
  'Catalog.ServiceNodes': { args: { service: string; tags: string[]; f: CatalogFilter }; reply: QueryResult<CatalogServiceNode[]> };
  'Catalog.NodeServices': { args: { node: string; f: CatalogFilter }; reply: QueryResult<{ Node: CatalogNode; Services: CatalogService[] } | null> };
  'Health.NodeChecks': { args: { node: string; f: CatalogFilter }; reply: QueryResult<HealthCheck[]> };
  'Health.ServiceChecks': { args: { service: string; f: CatalogFilter }; reply: QueryResult<HealthCheck[]> };
  'Health.ServiceNodes': { args: { service: string; tags: string[]; passingOnly: boolean; f: CatalogFilter }; reply: QueryResult<ServiceEntry[]> };
  'Health.ChecksInState': { args: { state: string; f: CatalogFilter }; reply: QueryResult<HealthCheck[]> };
  'Session.Apply': { args: { op: 'create'; req: SessionCreateRequest } | { op: 'destroy'; id: string }; reply: string | boolean };
  'Session.Renew': { args: { id: string }; reply: Session | null };
  'Session.Get': { args: { id: string }; reply: QueryResult<Session[]> };
  'Session.NodeSessions': { args: { node: string }; reply: QueryResult<Session[]> };
  'Session.List': { args: Record<string, never>; reply: QueryResult<Session[]> };
  'Txn.Apply': { args: { ops: TxnOp[] }; reply: TxnOutcome };
  'Txn.Read': { args: { ops: TxnOp[] }; reply: TxnOutcome };
  'Status.Leader': { args: Record<string, never>; reply: string };
  'Status.Peers': { args: Record<string, never>; reply: string[] };
  'Internal.EventFire': { args: { name: string; payload: Uint8Array }; reply: null };
  'Operator.RaftGetConfiguration': { args: Record<string, never>; reply: RaftConfigurationReply };
  'Operator.RaftRemovePeerByID': { args: { id: string }; reply: null };
  'Operator.RaftRemovePeerByAddress': { args: { address: string }; reply: null };
  'Operator.RaftLeaderTransfer': { args: { id: string }; reply: RaftTransferLeaderReply };
  'Operator.AutopilotGetConfiguration': { args: Record<string, never>; reply: AutopilotConfiguration };
  'Operator.AutopilotSetConfiguration': { args: { config: AutopilotSettings; cas?: number }; reply: boolean };
  'Operator.ServerHealth': { args: Record<string, never>; reply: OperatorHealthReply };
  'Operator.AutopilotState': { args: Record<string, never>; reply: AutopilotState };
  'Coordinate.Update': { args: { req: NodeCoordinate }; reply: null };
  'Coordinate.ListDatacenters': { args: Record<string, never>; reply: DatacenterMap[] };
  'Coordinate.ListNodes': { args: Record<string, never>; reply: QueryResult<NodeCoordinate[]> };
  'Coordinate.Node': { args: { node: string }; reply: QueryResult<NodeCoordinate[]> };
  'Snapshot.Save': { args: Record<string, never>; reply: SnapshotSaveReply };
  'Snapshot.Restore': { args: { archive: Uint8Array }; reply: null };
  'Internal.ServiceDump': { args: { f: CatalogFilter }; reply: QueryResult<UiServiceSummary[]> };
  'Internal.NodeDump': { args: { f: CatalogFilter }; reply: QueryResult<UiNodeInfo[]> };
}

/** A method's name. */
export type RpcName = keyof RpcSchema;

/**
 * Whether a method only reads (Consul's RPCInfo.IsRead()). A client agent resends only these
 * to another server after a transport failure (Consul's canRetry): a method that changes
 * state may have been applied before the connection broke, and resending it would apply it
 * twice (a resent `?cas` then answers false for a write that happened). Every write-kind
 * method of the server's table is false here (test/unit/rpc/rpc-schema.test.ts checks it).
 */
export const RPC_IS_READ: { readonly [N in RpcName]: boolean } = {
  'KVS.Apply': false,
  'KVS.Get': true,
  'KVS.List': true,
  'KVS.ListKeys': true,
  'Catalog.Register': false,
  'Catalog.Deregister': false,
  'Catalog.ListDatacenters': true,
  'Catalog.ListNodes': true,
  'Catalog.ListServices': true,
  'Catalog.ServiceNodes': true,
  'Catalog.NodeServices': true,
  'Health.NodeChecks': true,
  'Health.ServiceChecks': true,
  'Health.ServiceNodes': true,
  'Health.ChecksInState': true,
  'Session.Apply': false,
  'Session.Renew': false,
  'Session.Get': true,
  'Session.NodeSessions': true,
  'Session.List': true,
  'Txn.Apply': false,
  'Txn.Read': true,
  'Status.Leader': true,
  'Status.Peers': true,
  'Internal.EventFire': false,
  'Operator.RaftGetConfiguration': true,
  'Operator.RaftRemovePeerByID': false,
  'Operator.RaftRemovePeerByAddress': false,
  'Operator.RaftLeaderTransfer': false,
  'Operator.AutopilotGetConfiguration': true,
  'Operator.AutopilotSetConfiguration': false,
  'Operator.ServerHealth': true,
  'Operator.AutopilotState': true,
  'Coordinate.Update': false,
  'Coordinate.ListDatacenters': true,
  'Coordinate.ListNodes': true,
  'Coordinate.Node': true,
  'Snapshot.Save': true,
  'Snapshot.Restore': false,
  'Internal.ServiceDump': true,
  'Internal.NodeDump': true,
};
/** A method's arguments. */
export type RpcArgs<N extends RpcName> = RpcSchema[N]['args'];
/** A method's reply. */
export type RpcReply<N extends RpcName> = RpcSchema[N]['reply'];

/**
 * How the forward step routes a method (Consul's forward()):
 * - `write`: on the leader (a follower forwards it there);
 * - `read`: on the leader in the default and consistent modes, on any server when stale;
 * - `any`: on whichever server receives it (Status.*, Catalog.ListDatacenters, Coordinate.ListDatacenters, Internal.EventFire).
 * On a client agent every kind goes to a server.
 */
export type RpcKind = 'write' | 'read' | 'any';
