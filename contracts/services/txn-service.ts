import type { CatalogNode, CatalogService, ServiceAddress } from '../model/catalog.js';
import type { HealthCheck } from '../model/health.js';
import type { KvEntry } from '../model/kv.js';
import type { Consistency, QueryMeta, RequestContext } from '../model/query.js';

/**
 * Transactions (Consul's PUT /v1/txn, agent/txn_endpoint.go + agent/consul/txn_endpoint.go):
 * up to 64 KV, node, service and check operations applied all-or-nothing at one Raft index, or
 * — when every operation only reads — served from the local state without Raft.
 *
 * Operations arrive as a surface decoded them (Consul's api.TxnOp, field names canonical, KV
 * Value already base64-decoded). Verbs are kept as sent: an unknown verb is an operation error
 * (409), as in Consul, not a request error.
 */

/** A KV operation (api.KVTxnOp). */
export interface TxnKvOp {
  /** set, cas, lock, unlock, get, get-or-empty, get-tree, check-index, check-session, check-not-exists, delete, delete-tree, delete-cas. */
  Verb: string;
  Key: string;
  /** The decoded value (empty when the op carried none). */
  Value: Uint8Array;
  /** uint64 as a canonical decimal string. */
  Flags: string;
  /** The ModifyIndex compared by cas, check-index and delete-cas. */
  Index: number;
  Session: string;
}

/** A node operation (api.NodeTxnOp). */
export interface TxnNodeOp {
  /** set, cas, get, delete, delete-cas. */
  Verb: string;
  Node: {
    ID: string;
    Node: string;
    Address: string;
    /** '' = this agent's datacenter. */
    Datacenter: string;
    TaggedAddresses: Record<string, string>;
    Meta: Record<string, string>;
    ModifyIndex: number;
  };
}

/** A service operation (api.ServiceTxnOp): `Service` on node `Node`. */
export interface TxnServiceOp {
  /** set, cas, get, delete, delete-cas. */
  Verb: string;
  Node: string;
  Service: {
    ID: string;
    Service: string;
    Tags: string[];
    Address: string;
    TaggedAddresses?: Record<string, ServiceAddress>;
    Meta: Record<string, string>;
    Port: number;
    /** As sent; Consul stores {0, 0} when a transaction gives none. */
    Weights: { Passing: number; Warning: number };
    EnableTagOverride: boolean;
    Kind: string;
    ModifyIndex: number;
  };
}

/** A check operation (api.CheckTxnOp). */
export interface TxnCheckOp {
  /** set, cas, get, delete, delete-cas. */
  Verb: string;
  Check: {
    Node: string;
    CheckID: string;
    Name: string;
    /** '' = critical. */
    Status: string;
    Notes: string;
    Output: string;
    ServiceID: string;
    Type: string;
    /** The check definition as sent (HTTP, TCP, Interval, …), or absent. */
    Definition?: Record<string, unknown>;
    ModifyIndex: number;
  };
}

/** One operation: exactly one member is set. */
export type TxnOp = { KV: TxnKvOp } | { Node: TxnNodeOp } | { Service: TxnServiceOp } | { Check: TxnCheckOp };

/**
 * One result (api.TxnResult). KV entries of write and check verbs carry an empty value (Consul
 * blanks it: `"Value": null`); get, get-or-empty and get-tree carry the stored value. Services
 * and checks are in their wire views (Proxy/Connect, Definition filled as Consul shows them).
 */
export type TxnResult = { KV: KvEntry } | { Node: CatalogNode } | { Service: CatalogService } | { Check: HealthCheck };

/** Why the transaction was rolled back: the failing operation's position and Consul's text. */
export interface TxnError {
  OpIndex: number;
  What: string;
}

/** What a transaction answered. Exactly one of results / errors is non-null. */
export interface TxnOutcome {
  /** In operation order (get-tree adds one per entry; deletes and checks of absence add none). */
  results: TxnResult[] | null;
  errors: TxnError[] | null;
  /** Read meta, for a transaction that only read (served without Raft); absent for writes. */
  readMeta?: QueryMeta;
}

export interface TxnApi {
  /**
   * Runs `ops` as one transaction. Writes go through Raft as one command; read-only
   * transactions are served from the local state in `consistency` (no blocking). Operation
   * failures (stale index, missing key, invalid session, lock-delay, unknown verb, missing
   * node…) resolve with `errors` and change nothing. Rejects (nothing applied) with NO_LEADER,
   * NOT_LEADER, SHUTDOWN, TOO_LARGE (more than 64 operations); LEADERSHIP_LOST / TIMEOUT leave
   * the outcome unknown.
   */
  apply(ops: readonly TxnOp[], consistency: Consistency, ctx?: RequestContext): Promise<TxnOutcome>;
}

/** The KV verbs that write (Consul's isWrite); any other KV verb, unknown ones included, only reads. */
export const TXN_KV_WRITE_VERBS: ReadonlySet<string> = new Set(['set', 'cas', 'lock', 'unlock', 'delete', 'delete-tree', 'delete-cas']);

/**
 * True when every operation only reads (Consul's Txn endpoint: no KV write verb, and every
 * node, service and check verb is `get`): such a transaction is a read (Txn.Read), served in the
 * requested consistency without Raft; any other is a write (Txn.Apply).
 */
export function isReadOnlyTxn(ops: readonly TxnOp[]): boolean {
  return ops.every((op) => ('KV' in op ? !TXN_KV_WRITE_VERBS.has(op.KV.Verb) : ('Node' in op ? op.Node.Verb : 'Service' in op ? op.Service.Verb : op.Check.Verb) === 'get'));
}
