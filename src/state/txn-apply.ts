import type { CatalogNode } from '../../contracts/model/catalog.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import type { CatalogReader } from './catalog-reader.js';
import { goQuote } from './go-quote.js';
import type { KvReader } from './kv-reader.js';
import type { SessionReader } from './session-reader.js';
import { afterCatalogWrite } from './session-rules.js';
import type { StateTables } from './state-tables.js';
import type { TxnCatalogStateOp, TxnCommand, TxnKvStateOp, TxnStateError, TxnStateOp, TxnStateOutcome, TxnStateResult } from './txn-op.js';

/** What a read-only transaction runs against: the read sides, and a transaction that is always aborted (a StateStore). */
export interface TxnReaders {
  readonly kv: KvReader;
  readonly catalog: CatalogReader;
  readonly sessions: SessionReader;
  /**
   * Runs `fn` on the writable tables inside a transaction that is then aborted, whatever `fn`
   * did: it sees its own writes, and nothing it wrote stays or wakes anyone. `idx` is the index
   * the next applied entry would get.
   */
  readTransaction<T>(fn: (t: StateTables, idx: number) => T): T;
}

const EMPTY = new Uint8Array(0);

/**
 * Applies a transaction at `idx` inside the open transaction `t.tx`, all or nothing (Consul's
 * TxnRW): first the lock-delay checks Consul's leader makes before committing (against
 * `cmd.now`), then every operation in order, straight on the tables (see runOps). When any
 * operation failed, `t.tx` is aborted: nothing changes, no index moves, no watcher wakes, no
 * hook fires. Otherwise the caller commits it.
 */
export function applyTxn(t: StateTables, idx: number, cmd: TxnCommand): TxnStateOutcome {
  const delayed: TxnStateError[] = [];
  cmd.ops.forEach((op, opIndex) => {
    if (op.kind === 'kv' && op.verb === 'lock' && op.key !== '' && t.kv.lockDelayUntil(op.key) > cmd.now) {
      delayed.push({ opIndex, what: `failed to lock key ${goQuote(op.key)} due to lock delay` });
    }
  });
  if (delayed.length > 0) return { ok: false, errors: delayed };
  const out = runOps(t, idx, cmd.ops, cmd.now);
  if (!out.ok) t.tx.abort();
  return out;
}

/**
 * Runs a transaction that only reads (Consul's TxnRO) against the current state: the same code
 * as a write transaction, in a transaction that is always aborted. Never changes anything.
 */
export function readTxn(ops: readonly TxnStateOp[], store: TxnReaders): TxnStateOutcome {
  return store.readTransaction((t, idx) => runOps(t, idx, ops, 0));
}

/**
 * Consul's txnDispatch: runs `ops` in order on the tables at `idx` (`now`: the leader's clock,
 * for lock-delays), each seeing the ones before it. A failed operation changes nothing and the
 * rest still run, so every failure is reported (Consul's texts). The results are read from the
 * tables right after each operation.
 */
function runOps(t: StateTables, idx: number, ops: readonly TxnStateOp[], now: number): TxnStateOutcome {
  const errors: TxnStateError[] = [];
  const results: TxnStateResult[] = [];
  ops.forEach((op, opIndex) => {
    const what = op.kind === 'kv' ? kvOp(t, idx, op, now) : op.kind === 'node' ? nodeOp(t, idx, op, now) : op.kind === 'service' ? serviceOp(t, idx, op, now) : checkOp(t, idx, op, now);
    if (what !== undefined) errors.push({ opIndex, what });
    else if (errors.length === 0) results.push(...resultsOf(op, t));
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, results };
}

// ---- KV (agent/consul/state/txn.go txnKVS, kvs.go) ----

/** One KV op; answers its error text, or undefined when it succeeded. */
function kvOp(t: StateTables, idx: number, op: TxnKvStateOp, now: number): string | undefined {
  const kv = t.kv;
  const key = op.key;
  switch (op.verb) {
    case 'set':
      kv.set(idx, key, op.value, op.flags);
      return undefined;
    case 'cas':
      return kv.cas(idx, key, op.value, op.flags, op.index) ? undefined : `failed to set key ${goQuote(key)}, index is stale`;
    case 'lock':
      if (op.session === '') return 'missing session';
      if (!t.sessions.get(op.session)) return `invalid session ${goQuote(op.session)}`;
      // A session invalidated earlier in this transaction may have started one.
      if (kv.lockDelayUntil(key) > now) return `failed to lock key ${goQuote(key)} due to lock delay`;
      return kv.lock(idx, key, op.value, op.flags, op.session, now) ? undefined : `failed to lock key ${goQuote(key)}, lock is already held`;
    case 'unlock':
      if (op.session === '') return 'missing session';
      return kv.unlock(idx, key, op.value, op.flags, op.session) ? undefined : `failed to unlock key ${goQuote(key)}, lock isn't held, or is held by another session`;
    case 'get':
      return kv.get(key).value ? undefined : `key ${goQuote(key)} doesn't exist`;
    case 'get-or-empty':
    case 'get-tree':
      return undefined;
    case 'check-index': {
      const e = kv.get(key).value;
      if (!e) return `failed to check index, key ${goQuote(key)} doesn't exist`;
      return e.modifyIndex === op.index ? undefined : `failed index check for key ${goQuote(key)}, current modify index ${e.modifyIndex} != ${op.index}`;
    }
    case 'check-session': {
      const e = kv.get(key).value;
      if (!e) return `failed to check session, key ${goQuote(key)} doesn't exist`;
      return e.session === op.session ? undefined : `failed session check for key ${goQuote(key)}, current session ${goQuote(e.session)} != ${goQuote(op.session)}`;
    }
    case 'check-not-exists':
      return kv.get(key).value ? `key ${goQuote(key)} exists` : undefined;
    case 'delete':
      kv.delete(idx, key);
      return undefined;
    case 'delete-cas':
      // Consul: a missing key counts as deleted.
      return kv.deleteCas(idx, key, op.index) ? undefined : `failed to delete key ${goQuote(key)}, index is stale`;
    case 'delete-tree':
      kv.deleteTree(idx, key);
      return undefined;
    default:
      return `unknown KV verb ${goQuote(op.verb)}`;
  }
}

// ---- catalog (txnNode, txnService, txnCheck) ----

/** One node op; answers its error text, or undefined when it succeeded. */
function nodeOp(t: StateTables, idx: number, op: TxnCatalogStateOp, now: number): string | undefined {
  const fields = op.register.node;
  const name = fields.Node;
  const current = t.catalog.node(name).value?.node;
  switch (op.verb) {
    case 'get':
      return nodeFor(t.catalog, fields.ID, name) ? undefined : `node ${goQuote(name)} doesn't exist`;
    case 'set':
      return register(t, idx, op, now);
    case 'cas':
      if (op.index !== (current ? current.ModifyIndex : 0)) return `failed to set node ${goQuote(name)}, index is stale`;
      return register(t, idx, op, now);
    case 'delete':
      if (current) deregister(t, idx, name, '', '', now);
      return undefined;
    case 'delete-cas':
      if (!current || current.ModifyIndex !== op.index) return `failed to delete node ${goQuote(name)}, index is stale`;
      deregister(t, idx, name, '', '', now);
      return undefined;
    default:
      return `unknown Node verb ${goQuote(op.verb)}`;
  }
}

/** One service op; answers its error text, or undefined when it succeeded. */
function serviceOp(t: StateTables, idx: number, op: TxnCatalogStateOp, now: number): string | undefined {
  const nodeName = op.register.node.Node;
  const id = op.register.service!.ID;
  const existing = t.catalog.service(nodeName, id);
  switch (op.verb) {
    case 'get':
      return existing ? undefined : `service ${goQuote(id)} on node ${goQuote(nodeName)} doesn't exist`;
    case 'cas':
      if (op.index === 0 ? existing !== undefined : existing === undefined || existing.ModifyIndex !== op.index) {
        return `failed to set service ${goQuote(id)} on node ${goQuote(nodeName)}, index is stale`;
      }
      return ensureNode(t, nodeName) ?? register(t, idx, op, now);
    case 'set':
      return ensureNode(t, nodeName) ?? register(t, idx, op, now);
    case 'delete':
      // A service op naming no ID is a no-op (it must never widen into a node removal).
      if (existing && id !== '') deregister(t, idx, nodeName, id, '', now);
      return undefined;
    case 'delete-cas':
      if (!existing || existing.ModifyIndex !== op.index) return `failed to delete service ${goQuote(id)} on node ${goQuote(nodeName)}, index is stale`;
      if (id !== '') deregister(t, idx, nodeName, id, '', now);
      return undefined;
    default:
      return `unknown Service verb ${goQuote(op.verb)}`;
  }
}

/** One check op; answers its error text, or undefined when it succeeded. */
function checkOp(t: StateTables, idx: number, op: TxnCatalogStateOp, now: number): string | undefined {
  const nodeName = op.register.node.Node;
  const fields = op.register.checks[0]!;
  const id = fields.CheckID;
  const existing = t.catalog.check(nodeName, id);
  switch (op.verb) {
    case 'get':
      return existing ? undefined : `check ${goQuote(id)} on node ${goQuote(nodeName)} doesn't exist`;
    case 'cas':
      if (op.index === 0 ? existing !== undefined : existing === undefined || existing.ModifyIndex !== op.index) {
        return `failed to set check ${goQuote(id)} on node ${goQuote(nodeName)}, index is stale`;
      }
      return setCheck(t, idx, op, now);
    case 'set':
      return setCheck(t, idx, op, now);
    case 'delete':
      // A check op naming no ID is a no-op (it must never widen into a node removal).
      if (existing && id !== '') deregister(t, idx, nodeName, '', id, now);
      return undefined;
    case 'delete-cas':
      if (!existing || existing.ModifyIndex !== op.index) return `failed to delete check ${goQuote(id)} on node ${goQuote(nodeName)}, index is stale`;
      if (id !== '') deregister(t, idx, nodeName, '', id, now);
      return undefined;
    default:
      return `unknown Check verb ${goQuote(op.verb)}`;
  }
}

/** ensureCheckTxn: the node, and the service the check names, must exist. */
function setCheck(t: StateTables, idx: number, op: TxnCatalogStateOp, now: number): string | undefined {
  const nodeName = op.register.node.Node;
  const serviceId = op.register.checks[0]!.ServiceID;
  const missing = ensureNode(t, nodeName);
  if (missing !== undefined) return missing;
  if (serviceId !== '' && !t.catalog.service(nodeName, serviceId)) return 'Missing service registration';
  return register(t, idx, op, now);
}

/** ensureServiceTxn / ensureCheckTxn: a service or check op never creates its node. */
function ensureNode(t: StateTables, nodeName: string): string | undefined {
  return t.catalog.node(nodeName).value ? undefined : 'Missing node registration';
}

/** The op's registration, then the sessions it invalidates; answers the catalog's refusal, if any. */
function register(t: StateTables, idx: number, op: TxnCatalogStateOp, now: number): string | undefined {
  const result = t.catalog.register(idx, { ...op.register, now });
  afterCatalogWrite(t, idx, now);
  return result.ok ? undefined : result.error;
}

/** A deregistration (check, else service, else the whole node), then the sessions it invalidates. */
function deregister(t: StateTables, idx: number, node: string, serviceId: string, checkId: string, now: number): void {
  t.catalog.deregister(idx, { type: 'catalog.deregister', node, serviceId, checkId, now });
  afterCatalogWrite(t, idx, now);
}

// ---- results ----

/** The results one op contributes, read from the tables (Consul's txnKVS / txnNode / txnService / txnCheck). */
function resultsOf(op: TxnStateOp, t: StateTables): TxnStateResult[] {
  if (op.kind === 'kv') {
    switch (op.verb) {
      case 'get':
        return kvResult(t.kv.get(op.key).value, false);
      case 'get-or-empty': {
        const e = t.kv.get(op.key).value;
        if (e) return kvResult(e, false);
        // Consul answers the op's own entry, value blanked.
        return [{ kind: 'kv', entry: { key: op.key, value: EMPTY, flags: op.flags, createIndex: 0, modifyIndex: op.index, lockIndex: 0, session: op.session } }];
      }
      case 'get-tree':
        return t.kv.list(op.key).value.map((entry) => ({ kind: 'kv', entry }));
      case 'set':
      case 'cas':
      case 'lock':
      case 'unlock':
      case 'check-index':
      case 'check-session':
        return kvResult(t.kv.get(op.key).value, true);
      default:
        return [];
    }
  }
  const reg = op.register;
  if (op.verb !== 'get' && op.verb !== 'set' && op.verb !== 'cas') return [];
  if (op.kind === 'node') {
    const node = nodeFor(t.catalog, reg.node.ID, reg.node.Node);
    return node ? [{ kind: 'node', node }] : [];
  }
  if (op.kind === 'service') {
    const svc = t.catalog.service(reg.node.Node, reg.service!.ID);
    return svc ? [{ kind: 'service', service: svc }] : [];
  }
  const check = t.catalog.check(reg.node.Node, reg.checks[0]!.CheckID);
  return check ? [{ kind: 'check', check }] : [];
}

function kvResult(e: KvEntry | null, blank: boolean): TxnStateResult[] {
  if (!e) return [];
  return [{ kind: 'kv', entry: blank && e.value.byteLength > 0 ? { ...e, value: EMPTY } : e }];
}

/** The node a node op names: by ID when it carries one (Consul's getNodeIDTxn), else by name. */
function nodeFor(catalog: CatalogReader, id: string, name: string): CatalogNode | undefined {
  if (id === '') return catalog.node(name).value?.node;
  const want = id.toLowerCase();
  return catalog.nodes().value.find((n) => n.ID.toLowerCase() === want);
}
