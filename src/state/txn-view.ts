import type { CatalogNode, CatalogService } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import type { Session } from '../../contracts/model/session.js';
import type { CatalogCheckFields, CatalogNodeFields, CatalogServiceFields } from './catalog-command.js';
import { catalogEqual } from './catalog-equal.js';
import type { CatalogReader } from './catalog-reader.js';
import { goQuote } from './go-quote.js';
import { compareKeys } from './key-order.js';
import type { KvReader } from './kv-reader.js';
import { MAX_LOCK_DELAY_MS } from './kv-table.js';
import type { SessionReader } from './session-reader.js';
import { checkIdsOf } from './session-table.js';
import type { TxnCatalogStateOp, TxnKvStateOp, TxnStateError, TxnStateOp } from './txn-op.js';

/** The read sides a transaction runs against. */
export interface TxnReaders {
  readonly kv: KvReader;
  readonly catalog: CatalogReader;
  readonly sessions: SessionReader;
}

/** One node as the dry run sees it: a private copy, made when the transaction first touches it. */
interface SimNode {
  node: CatalogNode;
  readonly services: Map<string, CatalogService>;
  readonly checks: Map<string, HealthCheck>;
}

const lower = (s: string): string => s.toLowerCase();

/**
 * The dry run of a transaction (Consul's txnDispatch on a write transaction that is then
 * aborted): runs every operation in order against a private overlay of the state — KV entries,
 * the nodes it touches (with their services and checks), the sessions its catalog writes
 * invalidate (whose keys it releases or deletes, with their lock-delays) — so each operation
 * sees the effects of the ones before it, exactly as the real apply will. Reads the tables only
 * through their read APIs and never changes them. Error texts are Consul's state store texts.
 */
export class TxnView {
  private readonly kv = new Map<string, KvEntry | null>();
  private readonly nodes = new Map<string, SimNode | null>();
  private readonly deadSessions = new Set<string>();
  private readonly lockDelays = new Map<string, number>();

  /**
   * @param idx the Raft index the transaction would apply at (the ModifyIndex of what it writes).
   * @param now the leader's clock (ms): lock-delays started by sessions this transaction invalidates.
   */
  constructor(
    private readonly base: TxnReaders,
    private readonly idx: number,
    private readonly now: number,
  ) {}

  /** Runs `ops` in order and answers every failure (empty: all would succeed). */
  run(ops: readonly TxnStateOp[]): TxnStateError[] {
    const errors: TxnStateError[] = [];
    ops.forEach((op, opIndex) => {
      const what = op.kind === 'kv' ? this.kvStep(op) : op.kind === 'node' ? this.nodeStep(op) : op.kind === 'service' ? this.serviceStep(op) : this.checkStep(op);
      if (what !== undefined) errors.push({ opIndex, what });
    });
    return errors;
  }

  // ---- KV (agent/consul/state/txn.go txnKVS, kvs.go) ----

  private kvStep(op: TxnKvStateOp): string | undefined {
    const key = op.key;
    const q = goQuote(key);
    const e = this.kvGet(key);
    switch (op.verb) {
      case 'set':
        this.kvWrite(key, op.value, op.flags, 0, e ? e.session : '', e);
        return undefined;
      case 'cas':
        if (op.index === 0 ? e !== null : e === null || e.modifyIndex !== op.index) return `failed to set key ${q}, index is stale`;
        this.kvWrite(key, op.value, op.flags, 0, e ? e.session : '', e);
        return undefined;
      case 'lock': {
        if (op.session === '') return 'missing session';
        if (!this.sessionAlive(op.session)) return `invalid session ${goQuote(op.session)}`;
        if ((this.lockDelays.get(key) ?? 0) > this.now) return `failed to lock key ${q} due to lock delay`;
        if (e && e.session !== '' && e.session !== op.session) return `failed to lock key ${q}, lock is already held`;
        const lockIndex = !e ? 1 : e.session === op.session ? e.lockIndex : e.lockIndex + 1;
        this.kvWrite(key, op.value, op.flags, lockIndex, op.session, e);
        return undefined;
      }
      case 'unlock':
        if (op.session === '') return 'missing session';
        if (!e || e.session !== op.session) return `failed to unlock key ${q}, lock isn't held, or is held by another session`;
        this.kvWrite(key, op.value, op.flags, e.lockIndex, '', e);
        return undefined;
      case 'get':
        return e ? undefined : `key ${q} doesn't exist`;
      case 'get-or-empty':
      case 'get-tree':
        return undefined;
      case 'check-index':
        if (!e) return `failed to check index, key ${q} doesn't exist`;
        return e.modifyIndex === op.index ? undefined : `failed index check for key ${q}, current modify index ${e.modifyIndex} != ${op.index}`;
      case 'check-session':
        if (!e) return `failed to check session, key ${q} doesn't exist`;
        return e.session === op.session ? undefined : `failed session check for key ${q}, current session ${goQuote(e.session)} != ${goQuote(op.session)}`;
      case 'check-not-exists':
        return e ? `key ${q} exists` : undefined;
      case 'delete':
        if (e) this.kv.set(key, null);
        return undefined;
      case 'delete-cas':
        if (!e) return undefined; // Consul: a missing key counts as deleted
        if (e.modifyIndex !== op.index) return `failed to delete key ${q}, index is stale`;
        this.kv.set(key, null);
        return undefined;
      case 'delete-tree':
        for (const entry of this.kvList(key)) this.kv.set(entry.key, null);
        return undefined;
      default:
        return `unknown KV verb ${goQuote(op.verb)}`;
    }
  }

  /** The entry at `key` as the transaction sees it so far. */
  kvGet(key: string): KvEntry | null {
    const own = this.kv.get(key);
    return own !== undefined ? own : this.base.kv.get(key).value;
  }

  /** Entries under `prefix` as the transaction sees them so far, in key order. */
  kvList(prefix: string): KvEntry[] {
    const out = new Map<string, KvEntry>();
    for (const e of this.base.kv.list(prefix).value) if (!this.kv.has(e.key)) out.set(e.key, e);
    for (const [k, e] of this.kv) if (e !== null && k.startsWith(prefix)) out.set(k, e);
    return [...out.keys()].sort(compareKeys).map((k) => out.get(k)!);
  }

  /** KvTable.write: nothing changes when value, flags, LockIndex and Session are all equal. */
  private kvWrite(key: string, value: Uint8Array, flags: string, lockIndex: number, session: string, existing: KvEntry | null): void {
    if (existing && existing.flags === flags && existing.lockIndex === lockIndex && existing.session === session && bytesEqual(existing.value, value)) return;
    this.kv.set(key, { key, value, flags, createIndex: existing ? existing.createIndex : this.idx, modifyIndex: this.idx, lockIndex, session });
  }

  private sessionAlive(id: string): boolean {
    return !this.deadSessions.has(id) && this.base.sessions.get(id) !== undefined;
  }

  // ---- catalog (txnNode, txnService, txnCheck) ----

  private nodeStep(op: TxnCatalogStateOp): string | undefined {
    const fields = op.register.node;
    const name = fields.Node;
    const rec = this.node(name);
    switch (op.verb) {
      case 'get':
        return this.nodeFor(fields) ? undefined : `node ${goQuote(name)} doesn't exist`;
      case 'set':
        return this.setNode(fields, rec);
      case 'cas':
        if (op.index !== (rec ? rec.node.ModifyIndex : 0)) return `failed to set node ${goQuote(name)}, index is stale`;
        return this.setNode(fields, rec);
      case 'delete':
        if (rec) this.dropNode(rec);
        return undefined;
      case 'delete-cas':
        if (!rec || rec.node.ModifyIndex !== op.index) return `failed to delete node ${goQuote(name)}, index is stale`;
        this.dropNode(rec);
        return undefined;
      default:
        return `unknown Node verb ${goQuote(op.verb)}`;
    }
  }

  private serviceStep(op: TxnCatalogStateOp): string | undefined {
    const nodeName = op.register.node.Node;
    const fields = op.register.service!;
    const rec = this.node(nodeName);
    const existing = rec?.services.get(fields.ID);
    const stale = `failed to set service ${goQuote(fields.ID)} on node ${goQuote(nodeName)}, index is stale`;
    switch (op.verb) {
      case 'get':
        return existing ? undefined : `service ${goQuote(fields.ID)} on node ${goQuote(nodeName)} doesn't exist`;
      case 'cas':
        if (op.index === 0 ? existing !== undefined : existing === undefined || existing.ModifyIndex !== op.index) return stale;
        return this.setService(rec, fields);
      case 'set':
        return this.setService(rec, fields);
      case 'delete':
        if (rec && existing) this.dropService(rec, existing);
        return undefined;
      case 'delete-cas':
        if (!rec || !existing || existing.ModifyIndex !== op.index) return `failed to delete service ${goQuote(fields.ID)} on node ${goQuote(nodeName)}, index is stale`;
        this.dropService(rec, existing);
        return undefined;
      default:
        return `unknown Service verb ${goQuote(op.verb)}`;
    }
  }

  private checkStep(op: TxnCatalogStateOp): string | undefined {
    const nodeName = op.register.node.Node;
    const fields = op.register.checks[0]!;
    const rec = this.node(nodeName);
    const existing = rec?.checks.get(fields.CheckID);
    switch (op.verb) {
      case 'get':
        return existing ? undefined : `check ${goQuote(fields.CheckID)} on node ${goQuote(nodeName)} doesn't exist`;
      case 'cas':
        if (op.index === 0 ? existing !== undefined : existing === undefined || existing.ModifyIndex !== op.index) {
          return `failed to set check ${goQuote(fields.CheckID)} on node ${goQuote(nodeName)}, index is stale`;
        }
        return this.setCheck(rec, fields);
      case 'set':
        return this.setCheck(rec, fields);
      case 'delete':
        if (rec && existing) this.dropCheck(rec, existing);
        return undefined;
      case 'delete-cas':
        if (!rec || !existing || existing.ModifyIndex !== op.index) return `failed to delete check ${goQuote(fields.CheckID)} on node ${goQuote(nodeName)}, index is stale`;
        this.dropCheck(rec, existing);
        return undefined;
      default:
        return `unknown Check verb ${goQuote(op.verb)}`;
    }
  }

  /** The node `name` as the transaction sees it (a private copy once touched), or null. */
  private node(name: string): SimNode | null {
    const key = lower(name);
    const own = this.nodes.get(key);
    if (own !== undefined) return own;
    const found = this.base.catalog.node(name).value;
    if (!found) return null;
    const rec: SimNode = {
      node: found.node,
      services: new Map(found.services.map((s) => [s.ID, s])),
      checks: new Map(this.base.catalog.nodeChecks(name).value.map((c) => [c.CheckID, c])),
    };
    this.nodes.set(key, rec);
    return rec;
  }

  /** The node a node op names: by ID when it carries one (Consul's getNodeIDTxn), else by name. */
  private nodeFor(fields: CatalogNodeFields): CatalogNode | null {
    if (fields.ID === '') return this.node(fields.Node)?.node ?? null;
    return this.nodeById(fields.ID)?.node ?? null;
  }

  private nodeById(id: string): SimNode | null {
    const want = lower(id);
    for (const [, rec] of this.nodes) if (rec && lower(rec.node.ID) === want) return rec;
    for (const n of this.base.catalog.nodes().value) {
      if (lower(n.ID) !== want) continue;
      const rec = this.node(n.Node);
      if (rec && lower(rec.node.ID) === want) return rec;
    }
    return null;
  }

  /** CatalogTable.register of a node alone: the ID alias check, then the write unless nothing changes. */
  private setNode(f: CatalogNodeFields, rec: SimNode | null): string | undefined {
    if (f.ID !== '') {
      const owner = this.nodeById(f.ID);
      if (owner && lower(owner.node.Node) !== lower(f.Node)) {
        return `failed inserting node: Error aliasing node: node ID ${JSON.stringify(f.ID)} for node ${JSON.stringify(f.Node)} aliases existing node ${JSON.stringify(owner.node.Node)}`;
      }
    }
    if (rec && sameNode(rec.node, f)) return undefined;
    const node: CatalogNode = { ...f, TaggedAddresses: { ...f.TaggedAddresses }, Meta: { ...f.Meta }, CreateIndex: rec ? rec.node.CreateIndex : this.idx, ModifyIndex: this.idx };
    if (rec) rec.node = node;
    else this.nodes.set(lower(f.Node), { node, services: new Map(), checks: new Map() });
    return undefined;
  }

  /** CatalogTable.putService (ensureServiceTxn: the node must exist). */
  private setService(rec: SimNode | null, f: CatalogServiceFields): string | undefined {
    if (!rec) return 'Missing node registration';
    const existing = rec.services.get(f.ID);
    if (existing) {
      const { CreateIndex: _c, ModifyIndex: _m, ...rest } = existing;
      if (catalogEqual(rest, f)) return undefined;
    }
    const svc = { ...f, CreateIndex: existing ? existing.CreateIndex : this.idx, ModifyIndex: this.idx } as CatalogService;
    rec.services.set(f.ID, svc);
    if (existing && (existing.Service !== svc.Service || !catalogEqual(existing.Tags, svc.Tags))) {
      for (const c of [...rec.checks.values()]) {
        if (c.ServiceID === svc.ID) rec.checks.set(c.CheckID, { ...c, ServiceName: svc.Service, ServiceTags: [...svc.Tags], ModifyIndex: this.idx });
      }
    }
    return undefined;
  }

  /** CatalogTable.putCheck (ensureCheckTxn: the node, and the service it names, must exist). */
  private setCheck(rec: SimNode | null, f: CatalogCheckFields): string | undefined {
    if (!rec) return 'Missing node registration';
    const svc = f.ServiceID !== '' ? rec.services.get(f.ServiceID) : undefined;
    if (f.ServiceID !== '' && !svc) return 'Missing service registration';
    const existing = rec.checks.get(f.CheckID);
    const next: Omit<HealthCheck, 'CreateIndex' | 'ModifyIndex'> = {
      Node: rec.node.Node,
      CheckID: f.CheckID,
      Name: f.Name,
      Status: f.Status,
      Notes: f.Notes,
      Output: f.Output,
      ServiceID: f.ServiceID,
      ServiceName: svc ? svc.Service : '',
      ServiceTags: svc ? [...svc.Tags] : [],
      Type: f.Type,
      Definition: f.Definition ?? {},
    };
    if (existing) {
      const { CreateIndex: _c, ModifyIndex: _m, ...old } = existing;
      if (catalogEqual(old, next)) return undefined;
    }
    rec.checks.set(f.CheckID, { ...next, CreateIndex: existing ? existing.CreateIndex : this.idx, ModifyIndex: this.idx });
    if (f.Status === 'critical') this.lose(rec.node.Node, f.CheckID);
    return undefined;
  }

  private dropNode(rec: SimNode): void {
    for (const svc of [...rec.services.values()]) this.dropService(rec, svc);
    for (const c of [...rec.checks.values()]) this.dropCheck(rec, c);
    this.nodes.set(lower(rec.node.Node), null);
    this.lose(rec.node.Node, undefined);
  }

  private dropService(rec: SimNode, svc: CatalogService): void {
    for (const c of [...rec.checks.values()]) if (c.ServiceID === svc.ID) this.dropCheck(rec, c);
    rec.services.delete(svc.ID);
  }

  private dropCheck(rec: SimNode, c: HealthCheck): void {
    rec.checks.delete(c.CheckID);
    this.lose(rec.node.Node, c.CheckID);
  }

  // ---- sessions invalidated by catalog writes (StateStore.afterCatalogWrite) ----

  /** A node (checkId undefined) or one of its checks went away or turned critical: invalidate the sessions bound to it. */
  private lose(node: string, checkId: string | undefined): void {
    for (const s of this.base.sessions.onNode(node).value) {
      if (this.deadSessions.has(s.ID)) continue;
      if (checkId === undefined || checkIdsOf(s).includes(checkId)) this.invalidate(s);
    }
  }

  /** StateStore.invalidate: the session's keys are released or deleted, each with the lock-delay from `now`. */
  private invalidate(s: Session): void {
    this.deadSessions.add(s.ID);
    const delayMs = Math.min(s.LockDelay / 1e6, MAX_LOCK_DELAY_MS);
    const until = delayMs > 0 && this.now > 0 ? this.now + delayMs : 0;
    const keys = new Set(this.base.kv.heldBy(s.ID));
    for (const [k, e] of this.kv) if (e?.session === s.ID) keys.add(k);
    for (const key of [...keys].sort(compareKeys)) {
      const e = this.kvGet(key);
      if (!e || e.session !== s.ID) continue;
      if (until > 0) this.lockDelays.set(key, until);
      this.kv.set(key, s.Behavior === 'delete' ? null : { ...e, session: '', modifyIndex: this.idx });
    }
  }
}

function sameNode(node: CatalogNode, f: CatalogNodeFields): boolean {
  return (
    node.ID === f.ID &&
    node.Node === f.Node &&
    node.Address === f.Address &&
    node.Datacenter === f.Datacenter &&
    catalogEqual(node.TaggedAddresses, f.TaggedAddresses) &&
    catalogEqual(node.Meta, f.Meta)
  );
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
