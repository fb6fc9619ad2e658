import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { CatalogNode, CatalogService } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type {
  CatalogCheckFields,
  CatalogDeregisterCommand,
  CatalogNodeFields,
  CatalogRegisterCommand,
  CatalogServiceFields,
  CatalogWriteResult,
} from './catalog-command.js';
import { catalogEqual } from './catalog-equal.js';
import type { CatalogInstance, CatalogReader, CatalogTableName } from './catalog-reader.js';
import type { KvRead } from './kv-reader.js';
import type { Deferred, StateTxn, Undoable } from './state-txn.js';
import { WatchRegistry, type WakeReason, type WatchHandle } from './watch-registry.js';

/** Serialized form of the catalog inside a state snapshot. */
export interface CatalogTableSnapshot {
  /** [nodes, services, checks, extinction] table indexes. */
  indexes: [number, number, number, number];
  /** [lower-cased service name, its index]. */
  serviceIndexes: [string, number][];
  /** [node, its services, its checks]. */
  nodes: [CatalogNode, CatalogService[], HealthCheck[]][];
}

interface NodeRecord {
  node: CatalogNode;
  readonly services: Map<string, CatalogService>;
  readonly checks: Map<string, HealthCheck>;
}

/** What one write touched; committed once at the end of the write. */
class Changes {
  nodes = false;
  services = false;
  checks = false;
  /** Lower-cased names of services whose index and watchers must move. */
  readonly serviceKeys = new Set<string>();
  /** Display names of those services (for the catalogChanged hook). */
  readonly serviceNames = new Set<string>();
  readonly nodeKeys = new Set<string>();

  any(): boolean {
    return this.nodes || this.services || this.checks;
  }
}

/**
 * Something sessions may depend on that a write took away: a whole node (`checkId` absent), or
 * one check that was removed or written as critical. Sessions bound to it are invalidated.
 */
export interface CatalogLoss {
  /** The node's name as registered. */
  readonly node: string;
  readonly checkId?: string;
}

const TABLE_KEY: Readonly<Record<CatalogTableName, string>> = { nodes: 't:nodes', services: 't:services', checks: 't:checks' };
const EMPTY: readonly HealthCheck[] = Object.freeze([]);
const EMPTY_INSTANCES: readonly CatalogInstance[] = Object.freeze([]);

const lower = (s: string): string => s.toLowerCase();
const serviceWatchKey = (key: string): string => `s:${key}`;
const nodeWatchKey = (key: string): string => `n:${key}`;
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Undo journal codes (see undoRecord); the maps and sets are journaled by the transaction itself. */
const UNDO_REC_NODE = 0;
const UNDO_SORTED_NODES = 1;
const UNDO_INSTANCE_LIST = 2;
const UNDO_NODES_INDEX = 3;
const UNDO_SERVICES_INDEX = 4;
const UNDO_CHECKS_INDEX = 5;
const UNDO_EXTINCTION_INDEX = 6;

/**
 * The catalog of the replicated state (Consul's agent/consul/state/catalog.go): nodes, the
 * services on each node, and the checks on each node (optionally bound to one of its services).
 * Write methods are called only by the state machine with the Raft index of the entry, inside its
 * StateTxn (they journal what they replace; watchers and the change listener wait for the
 * commit); each is all-or-nothing (validated before anything changes) and a write that changes
 * nothing bumps no index and wakes nobody. Indexes: one per table plus one per service name, which moves when
 * an instance of the service changes or when a node it runs on changes (node fields, node
 * checks) — so a change to service A never wakes a watcher of service B.
 */
export class CatalogTable implements CatalogReader, Undoable, Deferred {
  private readonly byNode = new Map<string, NodeRecord>();
  /** Node ID (lower-cased) → node key, for the alias check. */
  private readonly byNodeId = new Map<string, string>();
  /** Service key → instance key (`nodeKey\0serviceID`) → owning node record. */
  private readonly byService = new Map<string, Map<string, NodeRecord>>();
  private readonly serviceIndex = new Map<string, number>();
  private nodesIndex = 0;
  private servicesIndex = 0;
  private checksIndex = 0;
  private extinctionIndex = 0;
  private sortedNodes: readonly CatalogNode[] | undefined;
  /** Service key → its instances as serviceInstances answers them; stale once a write touched the service. */
  private readonly instanceLists = new Map<string, { list: readonly CatalogInstance[]; stale: boolean }>();
  private readonly watches: WatchRegistry;
  private losses: CatalogLoss[] = [];

  /**
   * @param tx the transaction every write runs in (the StateStore's).
   * @param onWatcherError told when a watcher callback throws (apply goes on).
   * @param onChange told, after the watchers, of every committed write that changed something,
   *   with the names of the services whose instances or health changed (the catalogChanged hook).
   */
  constructor(
    private readonly tx: StateTxn,
    onWatcherError?: (e: unknown) => void,
    private readonly onChange: (services: readonly string[]) => void = () => {},
  ) {
    this.watches = new WatchRegistry(onWatcherError);
  }

  // ---- writes (state machine only) ----

  /** Applies a registration at `idx`; see CatalogRegisterCommand. Failures change nothing. */
  register(idx: number, cmd: CatalogRegisterCommand): CatalogWriteResult {
    this.losses = [];
    const problem = this.checkRegister(cmd);
    if (problem !== undefined) return { ok: false, error: problem };
    const ch = new Changes();
    const nodeKey = lower(cmd.node.Node);
    let rec = this.byNode.get(nodeKey);
    if (!rec || (!cmd.skipNodeUpdate && !sameNode(rec.node, cmd.node))) {
      const node = freezeNode(cmd.node, rec ? rec.node.CreateIndex : idx, idx);
      if (rec) {
        this.unindexNodeId(rec.node, nodeKey);
        this.tx.record(this, UNDO_REC_NODE, rec, rec.node);
        rec.node = node;
        this.touchNodeServices(rec, ch);
      } else {
        rec = { node, services: new Map(), checks: new Map() };
        this.tx.mapSet(this.byNode, nodeKey, rec);
      }
      if (node.ID !== '') this.tx.mapSet(this.byNodeId, lower(node.ID), nodeKey);
      ch.nodes = true;
      ch.nodeKeys.add(nodeKey);
      this.dropSortedNodes();
    }
    if (cmd.service) this.putService(idx, rec, nodeKey, cmd.service, ch);
    for (const c of cmd.checks) this.putCheck(idx, rec, nodeKey, c, ch);
    this.publish(idx, ch);
    return { ok: true };
  }

  /** Applies a deregistration at `idx`; removing something absent is a successful no-op. */
  deregister(idx: number, cmd: CatalogDeregisterCommand): CatalogWriteResult {
    this.losses = [];
    const nodeKey = lower(cmd.node);
    const rec = this.byNode.get(nodeKey);
    if (!rec) return { ok: true };
    const ch = new Changes();
    if (cmd.checkId !== '') {
      const check = rec.checks.get(cmd.checkId);
      if (check) this.dropCheck(rec, nodeKey, check, ch);
    } else if (cmd.serviceId !== '') {
      this.dropService(rec, nodeKey, cmd.serviceId, ch);
    } else {
      for (const id of [...rec.services.keys()]) this.dropService(rec, nodeKey, id, ch);
      for (const check of [...rec.checks.values()]) this.dropCheck(rec, nodeKey, check, ch);
      this.deleteKeepingOrder(this.byNode, nodeKey);
      this.unindexNodeId(rec.node, nodeKey);
      this.dropSortedNodes();
      ch.nodes = true;
      ch.nodeKeys.add(nodeKey);
      this.losses.push({ node: rec.node.Node });
    }
    this.publish(idx, ch);
    return { ok: true };
  }

  /**
   * What the last register/deregister took away that sessions may depend on (removed nodes,
   * removed checks, checks written as critical), in order; empties the list. The state machine
   * calls it right after each catalog write.
   */
  takeLosses(): CatalogLoss[] {
    const out = this.losses;
    this.losses = [];
    return out;
  }

  // ---- reads ----

  /** All nodes sorted by name; index: the nodes table. */
  nodes(): KvRead<readonly CatalogNode[]> {
    if (!this.sortedNodes) {
      const list = [...this.byNode.values()].map((r) => r.node);
      list.sort((a, b) => byString(a.Node, b.Node));
      this.sortedNodes = Object.freeze(list);
    }
    return { value: this.sortedNodes, index: this.tableIndex('nodes') };
  }

  /** Service `serviceId` on `node` (node name case-insensitive), or undefined. */
  service(node: string, serviceId: string): CatalogService | undefined {
    return this.byNode.get(lower(node))?.services.get(serviceId);
  }

  /** A node and its services by ID, or null; index: max(nodes, services). */
  node(name: string): KvRead<{ node: CatalogNode; services: CatalogService[] } | null> {
    const rec = this.byNode.get(lower(name));
    const index = this.tableIndex('nodes', 'services');
    if (!rec) return { value: null, index };
    const services = [...rec.services.values()].sort((a, b) => byString(a.ID, b.ID));
    return { value: { node: rec.node, services }, index };
  }

  /** Every instance, sorted by service name, node, ID; index: the services table. */
  allInstances(): KvRead<CatalogInstance[]> {
    const out: CatalogInstance[] = [];
    for (const rec of this.byNode.values()) {
      for (const service of rec.services.values()) out.push({ node: rec.node, service, nodeChecks: EMPTY, serviceChecks: EMPTY });
    }
    out.sort((a, b) => byString(a.service.Service, b.service.Service) || byString(a.node.Node, b.node.Node) || byString(a.service.ID, b.service.ID));
    return { value: out, index: this.tableIndex('services') };
  }

  /** The index serviceInstances(service) reports; see CatalogReader.serviceInstances. */
  serviceIndexFor(service: string): number {
    return this.serviceIndexOf(lower(service));
  }

  /**
   * Instances of `service` by node then ID, with their checks. The list is kept between writes
   * (publish marks the services a write touched as stale, exactly the ones whose index moves),
   * so a read of an unchanged service builds nothing.
   */
  serviceInstances(service: string): KvRead<readonly CatalogInstance[]> {
    const key = lower(service);
    let kept = this.instanceLists.get(key);
    if (!kept || kept.stale) {
      const list = this.buildInstances(key, kept?.list);
      if (list.length === 0) return { value: EMPTY_INSTANCES, index: this.serviceIndexOf(key) };
      kept = { list, stale: false };
      this.instanceLists.set(key, kept);
    }
    return { value: kept.list, index: this.serviceIndexOf(key) };
  }

  /**
   * The instances of service `key`, sorted, each with its node checks and its own checks by
   * CheckID. An instance whose node, service and checks are the same records as in `previous`
   * is carried over as the same object, so what readers derived from it stays valid.
   */
  private buildInstances(key: string, previous: readonly CatalogInstance[] | undefined): readonly CatalogInstance[] {
    const instances = this.byService.get(key);
    if (!instances) return EMPTY_INSTANCES;
    let before: Map<CatalogService, CatalogInstance> | undefined;
    if (previous && previous.length > 0) {
      before = new Map();
      for (const inst of previous) before.set(inst.service, inst);
    }
    const out: CatalogInstance[] = [];
    for (const [ikey, rec] of instances) {
      const svc = rec.services.get(ikey.slice(ikey.indexOf('\0') + 1))!;
      const nodeChecks: HealthCheck[] = [];
      const serviceChecks: HealthCheck[] = [];
      for (const c of rec.checks.values()) {
        if (c.ServiceID === '') nodeChecks.push(c);
        else if (c.ServiceID === svc.ID) serviceChecks.push(c);
      }
      if (nodeChecks.length > 1) nodeChecks.sort((a, b) => byString(a.CheckID, b.CheckID));
      if (serviceChecks.length > 1) serviceChecks.sort((a, b) => byString(a.CheckID, b.CheckID));
      const old = before?.get(svc);
      if (old && old.node === rec.node && sameRecords(old.nodeChecks, nodeChecks) && sameRecords(old.serviceChecks, serviceChecks)) {
        out.push(old);
        continue;
      }
      out.push({ node: rec.node, service: svc, nodeChecks: nodeChecks.length === 0 ? EMPTY : nodeChecks, serviceChecks: serviceChecks.length === 0 ? EMPTY : serviceChecks });
    }
    out.sort((a, b) => byString(a.node.Node, b.node.Node) || byString(a.service.ID, b.service.ID));
    return Object.freeze(out);
  }

  /** Checks of `node` by CheckID; index: the checks table. */
  nodeChecks(node: string): KvRead<HealthCheck[]> {
    const rec = this.byNode.get(lower(node));
    const list = rec ? [...rec.checks.values()].sort((a, b) => byString(a.CheckID, b.CheckID)) : [];
    return { value: list, index: this.tableIndex('checks') };
  }

  /** Checks bound to instances of `service`; index: the service's. */
  serviceChecks(service: string): KvRead<HealthCheck[]> {
    const { value, index } = this.serviceInstances(service);
    const out: HealthCheck[] = [];
    for (const inst of value) out.push(...inst.serviceChecks);
    return { value: out, index };
  }

  /** Check `checkId` on `node` (node name case-insensitive), or undefined. */
  check(node: string, checkId: string): HealthCheck | undefined {
    return this.byNode.get(lower(node))?.checks.get(checkId);
  }

  /** Every check by node then CheckID; index: the checks table. */
  allChecks(): KvRead<HealthCheck[]> {
    const out: HealthCheck[] = [];
    for (const rec of this.byNode.values()) for (const c of rec.checks.values()) out.push(c);
    out.sort((a, b) => byString(a.Node, b.Node) || byString(a.CheckID, b.CheckID));
    return { value: out, index: this.tableIndex('checks') };
  }

  /** The highest index of the named tables (all three when none are named), min 1. */
  tableIndex(...tables: CatalogTableName[]): number {
    const names = tables.length > 0 ? tables : (['nodes', 'services', 'checks'] as const);
    let max = 0;
    for (const t of names) max = Math.max(max, t === 'nodes' ? this.nodesIndex : t === 'services' ? this.servicesIndex : this.checksIndex);
    return Math.max(1, max);
  }

  /** One-shot watcher on any write to one of `tables`. */
  watchTables(tables: readonly CatalogTableName[], fn: (reason: WakeReason) => void): WatchHandle {
    return this.watchAny(tables.map((t) => TABLE_KEY[t]), fn);
  }

  /** One-shot watcher on `service`'s instances and health. */
  watchService(service: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(serviceWatchKey(lower(service)), fn);
  }

  /** One-shot watcher on `node`. */
  watchNode(node: string, fn: (reason: WakeReason) => void): WatchHandle {
    return this.watches.watchKey(nodeWatchKey(lower(node)), fn);
  }

  /** Number of parked catalog watchers. */
  watcherCount(): number {
    return this.watches.count();
  }

  /** Wakes (and removes) every parked watcher with reason `reset` (the store is closing). */
  wakeWatchers(): void {
    this.watches.wakeAll();
  }

  // ---- snapshot ----

  /** The whole catalog, indexes included, for a state snapshot. */
  toSnapshot(): CatalogTableSnapshot {
    const nodes: CatalogTableSnapshot['nodes'] = [];
    for (const rec of this.byNode.values()) nodes.push([rec.node, [...rec.services.values()], [...rec.checks.values()]]);
    return {
      indexes: [this.nodesIndex, this.servicesIndex, this.checksIndex, this.extinctionIndex],
      serviceIndexes: [...this.serviceIndex],
      nodes,
    };
  }

  /**
   * Replaces everything with `snap` (from toSnapshot(); undefined = empty, for images written
   * before the catalog existed) and wakes every watcher with `reset`. Throws STORAGE_CORRUPT
   * (nothing changed) when the image is malformed.
   */
  load(snap: unknown): void {
    const fresh = new CatalogTable(this.tx);
    if (snap !== undefined && snap !== null) fresh.fill(snap);
    this.byNode.clear();
    this.byNodeId.clear();
    this.byService.clear();
    this.serviceIndex.clear();
    this.instanceLists.clear();
    for (const [k, v] of fresh.byNode) this.byNode.set(k, v);
    for (const [k, v] of fresh.byNodeId) this.byNodeId.set(k, v);
    for (const [k, v] of fresh.byService) this.byService.set(k, v);
    for (const [k, v] of fresh.serviceIndex) this.serviceIndex.set(k, v);
    this.nodesIndex = fresh.nodesIndex;
    this.servicesIndex = fresh.servicesIndex;
    this.checksIndex = fresh.checksIndex;
    this.extinctionIndex = fresh.extinctionIndex;
    this.sortedNodes = undefined;
    this.watches.wakeAll();
  }

  private fill(snap: unknown): void {
    const corrupt = (what: string): SextantError => new SextantError(ErrorCode.StorageCorrupt, `corrupt catalog snapshot: ${what}`);
    if (typeof snap !== 'object' || snap === null) throw corrupt('not a record');
    const s = snap as Partial<CatalogTableSnapshot>;
    if (!Array.isArray(s.indexes) || s.indexes.length !== 4 || !s.indexes.every((n) => Number.isSafeInteger(n))) throw corrupt('bad indexes');
    if (!Array.isArray(s.serviceIndexes) || !Array.isArray(s.nodes)) throw corrupt('missing tables');
    [this.nodesIndex, this.servicesIndex, this.checksIndex, this.extinctionIndex] = s.indexes;
    for (const e of s.serviceIndexes) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !Number.isSafeInteger(e[1])) throw corrupt('bad service index');
      this.serviceIndex.set(e[0], e[1]);
    }
    for (const e of s.nodes) {
      if (!Array.isArray(e) || e.length !== 3 || typeof e[0]?.Node !== 'string' || !Array.isArray(e[1]) || !Array.isArray(e[2])) throw corrupt('bad node');
      const node = deepFreeze(e[0]);
      const nodeKey = lower(node.Node);
      const rec: NodeRecord = { node, services: new Map(), checks: new Map() };
      this.byNode.set(nodeKey, rec);
      if (node.ID !== '') this.byNodeId.set(lower(node.ID), nodeKey);
      for (const svc of e[1]) {
        if (typeof svc?.ID !== 'string' || typeof svc.Service !== 'string') throw corrupt(`bad service on node ${node.Node}`);
        rec.services.set(svc.ID, deepFreeze(svc));
        this.indexInstance(svc.Service, nodeKey, svc.ID, rec, false);
      }
      for (const c of e[2]) {
        if (typeof c?.CheckID !== 'string') throw corrupt(`bad check on node ${node.Node}`);
        rec.checks.set(c.CheckID, deepFreeze(c));
      }
    }
  }

  // ---- internals ----

  /** Why `cmd` cannot be applied, or undefined. Looks only; changes nothing. */
  private checkRegister(cmd: CatalogRegisterCommand): string | undefined {
    const nodeKey = lower(cmd.node.Node);
    const rec = this.byNode.get(nodeKey);
    const updatesNode = !rec || !cmd.skipNodeUpdate;
    if (updatesNode && cmd.node.ID !== '') {
      const owner = this.byNodeId.get(lower(cmd.node.ID));
      if (owner !== undefined && owner !== nodeKey) {
        return `failed inserting node: Error aliasing node: node ID ${JSON.stringify(cmd.node.ID)} for node ${JSON.stringify(cmd.node.Node)} aliases existing node ${JSON.stringify(this.byNode.get(owner)!.node.Node)}`;
      }
    }
    for (const c of cmd.checks) {
      if (c.ServiceID === '') continue;
      const inRequest = cmd.service !== null && cmd.service.ID === c.ServiceID;
      if (!inRequest && !rec?.services.has(c.ServiceID)) {
        return `failed inserting check: Missing service registration: check ${JSON.stringify(c.CheckID)} names ServiceID ${JSON.stringify(c.ServiceID)}, which is not registered on node ${JSON.stringify(cmd.node.Node)}`;
      }
    }
    return undefined;
  }

  private putService(idx: number, rec: NodeRecord, nodeKey: string, fields: CatalogServiceFields, ch: Changes): void {
    const existing = rec.services.get(fields.ID);
    if (existing && sameService(existing, fields)) return;
    const svc = deepFreeze({ ...cloneJson(fields), CreateIndex: existing ? existing.CreateIndex : idx, ModifyIndex: idx }) as CatalogService;
    if (existing && lower(existing.Service) !== lower(svc.Service)) {
      this.unindexInstance(existing.Service, nodeKey, existing.ID);
      this.touchService(existing.Service, ch);
    }
    this.tx.mapSet(rec.services, svc.ID, svc);
    this.indexInstance(svc.Service, nodeKey, svc.ID, rec);
    ch.services = true;
    ch.nodeKeys.add(nodeKey);
    this.touchService(svc.Service, ch);
    // Checks of the service carry its name and tags: keep them in step.
    if (existing && (existing.Service !== svc.Service || !catalogEqual(existing.Tags, svc.Tags))) {
      for (const c of rec.checks.values()) {
        if (c.ServiceID !== svc.ID) continue;
        this.tx.mapSet(rec.checks, c.CheckID, deepFreeze({ ...c, ServiceName: svc.Service, ServiceTags: [...svc.Tags], ModifyIndex: idx }));
        ch.checks = true;
      }
    }
  }

  private putCheck(idx: number, rec: NodeRecord, nodeKey: string, fields: CatalogCheckFields, ch: Changes): void {
    const svc = fields.ServiceID !== '' ? rec.services.get(fields.ServiceID) : undefined;
    const existing = rec.checks.get(fields.CheckID);
    const next: Omit<HealthCheck, 'CreateIndex' | 'ModifyIndex'> = {
      Node: rec.node.Node,
      CheckID: fields.CheckID,
      Name: fields.Name,
      Status: fields.Status,
      Notes: fields.Notes,
      Output: fields.Output,
      ServiceID: fields.ServiceID,
      ServiceName: svc ? svc.Service : '',
      ServiceTags: svc ? [...svc.Tags] : [],
      Type: fields.Type,
    };
    if (fields.Interval) next.Interval = fields.Interval;
    if (fields.Timeout) next.Timeout = fields.Timeout;
    if (fields.ExposedPort) next.ExposedPort = fields.ExposedPort;
    next.Definition = fields.Definition !== undefined ? cloneJson(fields.Definition) : {};
    if (existing) {
      const { CreateIndex: _c, ModifyIndex: _m, ...old } = existing;
      if (catalogEqual(old, next)) return;
      // A check that moved from another service: that service's health changed too.
      if (existing.ServiceID !== fields.ServiceID) this.touchCheckTarget(rec, existing, ch);
    }
    const check = deepFreeze({ ...next, CreateIndex: existing ? existing.CreateIndex : idx, ModifyIndex: idx }) as HealthCheck;
    this.tx.mapSet(rec.checks, check.CheckID, check);
    if (check.Status === 'critical') this.losses.push({ node: rec.node.Node, checkId: check.CheckID });
    ch.checks = true;
    ch.nodeKeys.add(nodeKey);
    this.touchCheckTarget(rec, check, ch);
  }

  private dropService(rec: NodeRecord, nodeKey: string, id: string, ch: Changes): void {
    const svc = rec.services.get(id);
    if (!svc) return;
    for (const c of [...rec.checks.values()]) {
      if (c.ServiceID === id) {
        this.deleteKeepingOrder(rec.checks, c.CheckID);
        ch.checks = true;
        this.losses.push({ node: rec.node.Node, checkId: c.CheckID });
      }
    }
    this.deleteKeepingOrder(rec.services, id);
    this.unindexInstance(svc.Service, nodeKey, id);
    ch.services = true;
    ch.nodeKeys.add(nodeKey);
    this.touchService(svc.Service, ch);
  }

  private dropCheck(rec: NodeRecord, nodeKey: string, check: HealthCheck, ch: Changes): void {
    this.deleteKeepingOrder(rec.checks, check.CheckID);
    this.losses.push({ node: rec.node.Node, checkId: check.CheckID });
    ch.checks = true;
    ch.nodeKeys.add(nodeKey);
    this.touchCheckTarget(rec, check, ch);
  }

  /** A check changed: its service's health moved, or (a node check) every service on the node. */
  private touchCheckTarget(rec: NodeRecord, check: HealthCheck, ch: Changes): void {
    if (check.ServiceID === '') {
      this.touchNodeServices(rec, ch);
      return;
    }
    const svc = rec.services.get(check.ServiceID);
    if (svc) this.touchService(svc.Service, ch);
    else if (check.ServiceName !== '') this.touchService(check.ServiceName, ch);
  }

  private touchNodeServices(rec: NodeRecord, ch: Changes): void {
    for (const svc of rec.services.values()) this.touchService(svc.Service, ch);
  }

  private touchService(name: string, ch: Changes): void {
    ch.serviceKeys.add(lower(name));
    ch.serviceNames.add(name);
  }

  /** Indexes an instance by service name, journaled (fill() indexes a fresh table outside any transaction). */
  private indexInstance(service: string, nodeKey: string, id: string, rec: NodeRecord, journal = true): void {
    const key = lower(service);
    let m = this.byService.get(key);
    if (!m) {
      m = new Map();
      if (journal) this.tx.mapSet(this.byService, key, m);
      else this.byService.set(key, m);
    }
    if (journal) this.tx.mapSet(m, `${nodeKey}\0${id}`, rec);
    else m.set(`${nodeKey}\0${id}`, rec);
  }

  private unindexInstance(service: string, nodeKey: string, id: string): void {
    const key = lower(service);
    const m = this.byService.get(key);
    if (!m) return;
    this.tx.mapDelete(m, `${nodeKey}\0${id}`);
    if (m.size === 0) this.tx.mapDelete(this.byService, key);
  }

  private unindexNodeId(node: CatalogNode, nodeKey: string): void {
    if (node.ID === '') return;
    const k = lower(node.ID);
    if (this.byNodeId.get(k) === nodeKey) this.tx.mapDelete(this.byNodeId, k);
  }

  /** Deletes `key` from a map whose order shows (snapshot images): an abort restores that order too. */
  private deleteKeepingOrder<K, V>(map: Map<K, V>, key: K): void {
    this.tx.keepOrder(map);
    map.delete(key);
  }

  /** The node list changed: the sorted list is rebuilt on the next read (and after an abort). */
  private dropSortedNodes(): void {
    this.tx.record(this, UNDO_SORTED_NODES, undefined, undefined);
    this.sortedNodes = undefined;
  }

  private setIndex(code: number, idx: number): void {
    const old = code === UNDO_NODES_INDEX ? this.nodesIndex : code === UNDO_SERVICES_INDEX ? this.servicesIndex : code === UNDO_CHECKS_INDEX ? this.checksIndex : this.extinctionIndex;
    this.tx.record(this, code, old, undefined);
    this.placeIndex(code, idx);
  }

  private placeIndex(code: number, idx: number): void {
    if (code === UNDO_NODES_INDEX) this.nodesIndex = idx;
    else if (code === UNDO_SERVICES_INDEX) this.servicesIndex = idx;
    else if (code === UNDO_CHECKS_INDEX) this.checksIndex = idx;
    else this.extinctionIndex = idx;
  }

  private serviceIndexOf(key: string): number {
    const own = this.serviceIndex.get(key);
    if (own !== undefined) return Math.max(1, own);
    if (this.extinctionIndex > 0) return this.extinctionIndex;
    return this.tableIndex();
  }

  /**
   * Moves the indexes of everything `ch` touched to `idx` and marks those services' instance
   * lists stale, then defers, until the transaction commits, waking exactly their watchers and
   * telling the change listener.
   */
  private publish(idx: number, ch: Changes): void {
    if (!ch.any()) return;
    const keys: string[] = [];
    if (ch.nodes) {
      this.setIndex(UNDO_NODES_INDEX, idx);
      keys.push(TABLE_KEY.nodes);
    }
    if (ch.services) {
      this.setIndex(UNDO_SERVICES_INDEX, idx);
      keys.push(TABLE_KEY.services);
    }
    if (ch.checks) {
      this.setIndex(UNDO_CHECKS_INDEX, idx);
      keys.push(TABLE_KEY.checks);
    }
    for (const key of ch.serviceKeys) {
      if (this.byService.has(key)) {
        this.tx.mapSet(this.serviceIndex, key, idx);
      } else if (this.serviceIndex.has(key)) {
        this.deleteKeepingOrder(this.serviceIndex, key);
        this.setIndex(UNDO_EXTINCTION_INDEX, idx);
      }
      // An abort drops the list: it may have been rebuilt from what the transaction wrote.
      this.tx.record(this, UNDO_INSTANCE_LIST, key, undefined);
      const kept = this.instanceLists.get(key);
      if (kept && this.byService.has(key)) kept.stale = true;
      else if (kept) this.instanceLists.delete(key);
      keys.push(serviceWatchKey(key));
    }
    for (const key of ch.nodeKeys) keys.push(nodeWatchKey(key));
    this.tx.defer(this, keys, [...ch.serviceNames].sort(byString));
  }

  // ---- transaction ----

  /** See Undoable: puts back a node record's node, an index, or drops a derived cache. */
  undoRecord(code: number, a: unknown, b: unknown): void {
    switch (code) {
      case UNDO_REC_NODE:
        (a as NodeRecord).node = b as CatalogNode;
        return;
      case UNDO_SORTED_NODES:
        this.sortedNodes = undefined;
        return;
      case UNDO_INSTANCE_LIST:
        this.instanceLists.delete(a as string);
        return;
      case UNDO_NODES_INDEX:
      case UNDO_SERVICES_INDEX:
      case UNDO_CHECKS_INDEX:
      case UNDO_EXTINCTION_INDEX:
        this.placeIndex(code, a as number);
        return;
      default:
        throw new SextantError(ErrorCode.Internal, `unknown catalog undo record ${code}`);
    }
  }

  /** See Deferred: at commit, wakes the watchers of `keys`, then tells the change listener the service names. */
  runDeferred(keys: unknown, services: unknown): void {
    this.watches.notify(keys as string[]);
    this.onChange(services as string[]);
  }

  private watchAny(keys: readonly string[], fn: (reason: WakeReason) => void): WatchHandle {
    let fired = false;
    const handles: WatchHandle[] = [];
    const cancel = (): void => {
      for (const h of handles) h.cancel();
    };
    const once = (reason: WakeReason): void => {
      if (fired) return;
      fired = true;
      cancel();
      fn(reason);
    };
    for (const k of keys) handles.push(this.watches.watchKey(k, once));
    return { cancel };
  }
}

/** True when `a` and `b` hold the same records in the same order. */
function sameRecords<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

function sameService(svc: CatalogService, f: CatalogServiceFields): boolean {
  const { CreateIndex: _c, ModifyIndex: _m, ...rest } = svc;
  return catalogEqual(rest, f);
}

function freezeNode(f: CatalogNodeFields, createIndex: number, modifyIndex: number): CatalogNode {
  return deepFreeze({
    ID: f.ID,
    Node: f.Node,
    Address: f.Address,
    Datacenter: f.Datacenter,
    TaggedAddresses: { ...f.TaggedAddresses },
    Meta: { ...f.Meta },
    CreateIndex: createIndex,
    ModifyIndex: modifyIndex,
  });
}

function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = cloneJson(x);
    return out as T;
  }
  return v;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
  }
  return v;
}
