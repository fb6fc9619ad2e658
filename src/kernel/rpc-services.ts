import { CatalogRpcClient } from '../rpc/clients/catalog-rpc-client.js';
import { CoordinateRpcClient } from '../rpc/clients/coordinate-rpc-client.js';
import { InternalRpcClient } from '../rpc/clients/internal-rpc-client.js';
import { InternalUiRpcClient } from '../rpc/clients/internal-ui-rpc-client.js';
import { HealthRpcClient } from '../rpc/clients/health-rpc-client.js';
import { KvRpcClient } from '../rpc/clients/kv-rpc-client.js';
import type { RpcCaller } from '../rpc/clients/rpc-caller.js';
import { OperatorRpcClient } from '../rpc/clients/operator-rpc-client.js';
import { SnapshotRpcClient } from '../rpc/clients/snapshot-rpc-client.js';
import { SessionRpcClient } from '../rpc/clients/session-rpc-client.js';
import { StatusRpcClient } from '../rpc/clients/status-rpc-client.js';
import { TxnRpcClient } from '../rpc/clients/txn-rpc-client.js';
import type { CoreServices } from './agent-core.js';

/** The service contracts over the RPC layer: the same objects on a server (its own router) and a client (its router to the servers). */
export function rpcServices(rpc: RpcCaller, nodeName: () => string): Omit<CoreServices, 'resolver'> {
  return {
    kv: new KvRpcClient(rpc),
    catalog: new CatalogRpcClient(rpc),
    health: new HealthRpcClient(rpc),
    session: new SessionRpcClient(rpc, nodeName),
    txn: new TxnRpcClient(rpc),
    status: new StatusRpcClient(rpc),
    internal: new InternalRpcClient(rpc),
    internalUi: new InternalUiRpcClient(rpc),
    operator: new OperatorRpcClient(rpc),
    coordinate: new CoordinateRpcClient(rpc),
    snapshot: new SnapshotRpcClient(rpc),
  };
}
