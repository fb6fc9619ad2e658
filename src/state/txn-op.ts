import type { CatalogNode, CatalogService } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import type { CatalogRegisterCommand } from './catalog-command.js';

/**
 * The operations of a transaction as the state machine sees them (wire tag 96, TxnApply): fully
 * normalized by the endpoint (defaults filled, Consul's pre-apply checks done), verbs kept as
 * sent so an unknown verb is reported by the state layer as Consul's does.
 */

/** A KV operation. `value`/`flags`/`index`/`session` are ignored by verbs that do not use them. */
export interface TxnKvStateOp {
  kind: 'kv';
  verb: string;
  key: string;
  value: Uint8Array;
  /** Canonical uint64 decimal string. */
  flags: string;
  index: number;
  session: string;
}

/**
 * A node, service or check operation. Its fields travel as the registration that `set`/`cas`
 * would apply (node fields; or a stub node with `skipNodeUpdate`, plus the service or the one
 * check), so they share the catalog's validated payload codec; `get`/`delete*` read the node
 * name, service ID or check ID from it. `index` is the ModifyIndex `cas`/`delete-cas` compare.
 */
export interface TxnCatalogStateOp {
  kind: 'node' | 'service' | 'check';
  verb: string;
  index: number;
  register: CatalogRegisterCommand;
}

export type TxnStateOp = TxnKvStateOp | TxnCatalogStateOp;

/** Applies `ops` atomically at one index; `now` is the proposing leader's clock (lock-delays, session invalidation). */
export interface TxnCommand {
  type: 'txn';
  ops: TxnStateOp[];
  now: number;
}

/** One result, with the stored records (KV values blanked where Consul blanks them). */
export type TxnStateResult =
  | { kind: 'kv'; entry: KvEntry }
  | { kind: 'node'; node: CatalogNode }
  | { kind: 'service'; service: CatalogService }
  | { kind: 'check'; check: HealthCheck };

/** A failed operation: its position in the transaction and Consul's text. */
export interface TxnStateError {
  opIndex: number;
  what: string;
}

/** What applying (or reading) a transaction answers: domain failures are values, never throws. */
export type TxnStateOutcome = { ok: true; results: TxnStateResult[] } | { ok: false; errors: TxnStateError[] };

/** The KV verbs that write (Consul's isWrite); any other KV verb — unknown ones included — only reads. */
export const KV_WRITE_VERBS: ReadonlySet<string> = new Set(['set', 'cas', 'lock', 'unlock', 'delete', 'delete-tree', 'delete-cas']);

/** True when `op` writes: a KV write verb, or any node/service/check verb but `get` (Consul's convertOps). */
export function isWriteOp(op: TxnStateOp): boolean {
  return op.kind === 'kv' ? KV_WRITE_VERBS.has(op.verb) : op.verb !== 'get';
}
