import type { CatalogNode } from '../../contracts/model/catalog.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import type { CatalogTable } from './catalog-table.js';
import { goQuote } from './go-quote.js';
import type { KvTable } from './kv-table.js';
import type { SessionReader } from './session-reader.js';
import type { TxnCatalogStateOp, TxnCommand, TxnKvStateOp, TxnStateError, TxnStateOp, TxnStateOutcome, TxnStateResult } from './txn-op.js';
import { TxnView, type TxnReaders } from './txn-view.js';

/** What applying a transaction needs from the StateStore: the writable tables and its catalog-write follow-up. */
export interface TxnTables {
  readonly kv: KvTable;
  readonly catalog: CatalogTable;
  readonly sessions: SessionReader;
  /** StateStore.afterCatalogWrite: invalidates the sessions bound to what the last catalog write took away, lock-delays from `now`. */
  catalogWritten(idx: number, now: number): void;
}

const EMPTY = new Uint8Array(0);

/**
 * Applies a transaction at `idx`, all or nothing (Consul's TxnRW): first the lock-delay checks
 * Consul's leader makes before committing (against `cmd.now`), then a dry run of every
 * operation on a private overlay (TxnView); only when nothing fails are the operations applied
 * to the tables, in order, at `idx`. A failed transaction therefore changes nothing: no index
 * moves, no watcher wakes, no hook fires. Results are read from the tables right after each
 * operation, so a later operation's result sees the earlier ones.
 */
export function applyTxn(idx: number, cmd: TxnCommand, t: TxnTables): TxnStateOutcome {
  const delayed: TxnStateError[] = [];
  cmd.ops.forEach((op, opIndex) => {
    if (op.kind === 'kv' && op.verb === 'lock' && op.key !== '' && t.kv.lockDelayUntil(op.key) > cmd.now) {
      delayed.push({ opIndex, what: `failed to lock key ${goQuote(op.key)} due to lock delay` });
    }
  });
  if (delayed.length > 0) return { ok: false, errors: delayed };
  const errors = new TxnView(t, idx, cmd.now).run(cmd.ops);
  if (errors.length > 0) return { ok: false, errors };
  const results: TxnStateResult[] = [];
  for (const op of cmd.ops) {
    if (op.kind === 'kv') applyKv(idx, op, cmd.now, t.kv);
    else applyCatalog(idx, op, cmd.now, t);
    results.push(...resultsOf(op, t));
  }
  return { ok: true, results };
}

/**
 * Runs a transaction that only reads (Consul's TxnRO) against the current state: the same
 * checks as a write transaction's dry run, then the results. Never changes anything.
 */
export function readTxn(ops: readonly TxnStateOp[], readers: TxnReaders): TxnStateOutcome {
  const errors = new TxnView(readers, 0, 0).run(ops);
  if (errors.length > 0) return { ok: false, errors };
  const results: TxnStateResult[] = [];
  for (const op of ops) results.push(...resultsOf(op, readers));
  return { ok: true, results };
}

/** One KV op on the table; the dry run proved it succeeds. */
function applyKv(idx: number, op: TxnKvStateOp, now: number, kv: KvTable): void {
  switch (op.verb) {
    case 'set':
      kv.set(idx, op.key, op.value, op.flags);
      return;
    case 'cas':
      kv.cas(idx, op.key, op.value, op.flags, op.index);
      return;
    case 'lock':
      kv.lock(idx, op.key, op.value, op.flags, op.session, now);
      return;
    case 'unlock':
      kv.unlock(idx, op.key, op.value, op.flags, op.session);
      return;
    case 'delete':
      kv.delete(idx, op.key);
      return;
    case 'delete-cas':
      kv.deleteCas(idx, op.key, op.index);
      return;
    case 'delete-tree':
      kv.deleteTree(idx, op.key);
      return;
    default:
      return; // reads
  }
}

/** One node/service/check op on the catalog (then the sessions it invalidates); the dry run proved it succeeds. */
function applyCatalog(idx: number, op: TxnCatalogStateOp, now: number, t: TxnTables): void {
  const reg = op.register;
  const node = reg.node.Node;
  switch (op.verb) {
    case 'set':
    case 'cas':
      t.catalog.register(idx, { ...reg, now });
      break;
    case 'delete':
    case 'delete-cas': {
      // A service or check op naming no ID is a no-op (it must never widen into a node removal).
      const serviceId = op.kind === 'service' ? reg.service!.ID : '';
      const checkId = op.kind === 'check' ? reg.checks[0]!.CheckID : '';
      if ((op.kind === 'service' && serviceId === '') || (op.kind === 'check' && checkId === '')) return;
      t.catalog.deregister(idx, { type: 'catalog.deregister', node, serviceId, checkId, now });
      break;
    }
    default:
      return; // get
  }
  t.catalogWritten(idx, now);
}

/** The results one op contributes, read from `r` (Consul's txnKVS / txnNode / txnService / txnCheck). */
function resultsOf(op: TxnStateOp, r: TxnReaders): TxnStateResult[] {
  if (op.kind === 'kv') {
    switch (op.verb) {
      case 'get':
        return kvResult(r.kv.get(op.key).value, false);
      case 'get-or-empty': {
        const e = r.kv.get(op.key).value;
        if (e) return kvResult(e, false);
        // Consul answers the op's own entry, value blanked.
        return [{ kind: 'kv', entry: { key: op.key, value: EMPTY, flags: op.flags, createIndex: 0, modifyIndex: op.index, lockIndex: 0, session: op.session } }];
      }
      case 'get-tree':
        return r.kv.list(op.key).value.map((entry) => ({ kind: 'kv', entry }));
      case 'set':
      case 'cas':
      case 'lock':
      case 'unlock':
      case 'check-index':
      case 'check-session':
        return kvResult(r.kv.get(op.key).value, true);
      default:
        return [];
    }
  }
  const reg = op.register;
  if (op.verb !== 'get' && op.verb !== 'set' && op.verb !== 'cas') return [];
  if (op.kind === 'node') {
    const node = nodeFor(r, reg.node.ID, reg.node.Node);
    return node ? [{ kind: 'node', node }] : [];
  }
  if (op.kind === 'service') {
    const svc = r.catalog.node(reg.node.Node).value?.services.find((s) => s.ID === reg.service!.ID);
    return svc ? [{ kind: 'service', service: svc }] : [];
  }
  const check = r.catalog.check(reg.node.Node, reg.checks[0]!.CheckID);
  return check ? [{ kind: 'check', check }] : [];
}

function kvResult(e: KvEntry | null, blank: boolean): TxnStateResult[] {
  if (!e) return [];
  return [{ kind: 'kv', entry: blank && e.value.byteLength > 0 ? { ...e, value: EMPTY } : e }];
}

/** The node a node op names: by ID when it carries one (Consul's getNodeIDTxn), else by name. */
function nodeFor(r: TxnReaders, id: string, name: string): CatalogNode | undefined {
  if (id === '') return r.catalog.node(name).value?.node;
  const want = id.toLowerCase();
  return r.catalog.nodes().value.find((n) => n.ID.toLowerCase() === want);
}
