import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { CatalogNode, RegisterRequest } from '../../contracts/model/catalog.js';
import type { Clock, Logger, Random, TimerHandle } from '../../contracts/platform.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import type { AgentCheckView, AgentServiceView } from '../../contracts/services/local-agent-service.js';
import { CONSUL_SERVICE_ID, SERF_HEALTH_ID } from '../membership/leader-owned.js';
import { sameCheckIgnoringOutput, sameService } from './sync-compare.js';
import type { CheckBody, ServiceBody } from './sync-compare.js';

/** Consul's ae_interval: the base full-sync period. */
export const FULL_SYNC_INTERVAL_MS = 60_000;
/** Consul's retry after a failed sync. */
export const RETRY_INTERVAL_MS = 15_000;
/** Consul's check_update_interval: output-only changes are synced at most this often. */
export const CHECK_UPDATE_INTERVAL_MS = 5 * 60_000;

/** Consul's ae scaleFactor: 1 up to 128 nodes, then +1 per doubling. */
export function scaleFactor(nodes: number): number {
  if (nodes <= 128) return 1;
  return Math.ceil(Math.log2(nodes) - Math.log2(128)) + 1;
}

/** The local side anti-entropy reads (LocalState provides it). */
export interface LocalSource {
  services(): Record<string, AgentServiceView>;
  checks(): Record<string, AgentCheckView>;
  onChange(listener: () => void): () => void;
  /**
   * A full sync found the catalog's `tags` on local service `id`: a service with
   * enable_tag_override takes them (Consul's updateSyncState), unless its tags are no longer
   * `expected` (the tags anti-entropy last saw agreed, i.e. the agent changed them since).
   * Returns true when the local tags changed.
   */
  adoptCatalogTags(id: string, tags: readonly string[], expected: readonly string[]): boolean;
}

/** What AntiEntropy is built from. */
export interface AntiEntropyDeps {
  /** The live runtime config: node name and id, advertise address, node_meta, datacenter. */
  readonly config: () => RuntimeConfig;
  readonly local: LocalSource;
  readonly catalog: Pick<CatalogApi, 'register' | 'deregister' | 'nodeServices'>;
  readonly health: Pick<HealthApi, 'nodeChecks'>;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /**
   * Where the per-item lines go (`Synced service`, `Syncing check failed.`, …): Consul's local
   * state logs them as `agent`, its sync loop as `agent.anti_entropy`. Defaults to `logger`.
   */
  readonly stateLogger?: Logger;
  /** LAN members (scales the full-sync period); 1 until gossip reports more. */
  readonly clusterSize?: () => number;
  readonly fullSyncIntervalMs?: number;
  readonly retryIntervalMs?: number;
  readonly checkUpdateIntervalMs?: number;
}

interface NodeInfo {
  ID: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

/** What this agent believes the catalog holds for its node. */
interface RemoteView {
  node: NodeInfo | undefined;
  services: Map<string, ServiceBody>;
  checks: Map<string, CheckBody>;
}

/** What the catalog should hold for this node. */
interface DesiredView {
  node: NodeInfo;
  services: Map<string, ServiceBody>;
  checks: Map<string, CheckBody>;
}

function sameNode(a: NodeInfo, b: NodeInfo): boolean {
  const m = (x: Record<string, string>, y: Record<string, string>): boolean =>
    Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
  return a.ID === b.ID && a.Address === b.Address && m(a.TaggedAddresses, b.TaggedAddresses) && m(a.Meta, b.Meta);
}

/**
 * Consul's anti-entropy (agent/ae + agent/local): the agent's node, services and checks are the
 * source of truth for its node in the catalog. A partial sync runs right after local changes
 * (coalesced, against what was last synced); a full sync re-reads the node's catalog entries
 * (stale reads) every ae_interval × scaleFactor plus a random stagger, registers what is missing
 * or different and deregisters what the agent no longer has. A failed sync is retried as a full
 * sync after 15 s plus stagger. Writes that would change nothing are skipped; check output-only
 * changes are deferred by check_update_interval. The node's `serfHealth` check and a server's
 * `consul` service belong to the leader's member reconciliation: anti-entropy neither writes
 * nor deletes them (Consul's agent/local/state.go skips them). A service with
 * enable_tag_override takes the catalog's tags at each full sync (someone else may set them
 * through the catalog); a local re-registration with other tags is written as usual, as in
 * Consul. Each service and check is written on its own (Consul's SyncChanges): one the catalog
 * refuses is logged (`Syncing service failed.`) and left out of sync, the others go through,
 * and a full sync retries it 15-30 s later. syncChanges lets the agent's write endpoints answer
 * only once their change is in the catalog.
 */
export class AntiEntropy {
  private remote: RemoteView | undefined;
  private wantFull = false;
  private wantPartial = false;
  private loop: Promise<void> | undefined;
  private fullTimer: TimerHandle | undefined;
  private kickTimer: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private readonly outputDue = new Set<string>();
  private readonly deferred = new Map<string, TimerHandle>();
  /** Number of catalog writes issued (register + deregister), for tests and metrics. */
  writes = 0;
  /** Sync passes started and finished by the loop; syncChanges waits for one that starts after its call. */
  private passesStarted = 0;
  private readonly passWaiters: { pass: number; resolve: () => void }[] = [];

  constructor(private readonly deps: AntiEntropyDeps) {}

  /** Subscribes to local changes and runs the first full sync on the next turn. */
  start(): void {
    if (this.unsubscribe) return;
    this.stopped = false;
    this.unsubscribe = this.deps.local.onChange(() => this.requestPartial());
    this.wantFull = true;
    this.kick();
  }

  /** Stops syncing: cancels timers and waits for a sync in flight. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.fullTimer?.cancel();
    this.kickTimer?.cancel();
    for (const t of this.deferred.values()) t.cancel();
    this.deferred.clear();
    await this.loop;
    this.releaseWaiters(Number.POSITIVE_INFINITY);
  }

  /**
   * Consul's syncChanges: resolves once a sync pass that started after this call has finished,
   * so every local change made before the call has been written to the catalog (or its write
   * failed: logged, and retried by a full sync later). Starts that pass at once rather than on a
   * later turn. Callers arriving while a pass runs share the next one, so concurrent writers
   * wait for at most the pass in flight and one more. Never rejects; resolves at once when not
   * started or stopping.
   */
  syncChanges(): Promise<void> {
    if (this.stopped || !this.unsubscribe) return Promise.resolve();
    const pass = this.passesStarted + 1;
    this.wantPartial = true;
    const done = new Promise<void>((resolve) => this.passWaiters.push({ pass, resolve }));
    if (!this.loop) {
      this.kickTimer?.cancel();
      this.kickTimer = undefined;
      this.startLoop();
    }
    return done;
  }
  /**
   * Runs a full sync now (after one in flight) and resolves when it finished; rejects when the
   * catalog could not be read or the node written, or (SextantError INTERNAL) when some service
   * or check could not be written (each logged).
   */
  async syncFull(): Promise<void> {
    await this.loop;
    let failed: number;
    try {
      failed = await this.sync(true);
    } catch (e) {
      this.remote = undefined;
      throw e;
    }
    if (failed > 0) throw new SextantError(ErrorCode.Internal, `failed to sync ${failed} services or checks with the catalog`);
  }

  /** Asks for a full sync soon (e.g. after a reload changed node_meta); returns at once. */
  requestFullSync(): void {
    this.wantFull = true;
    this.kick();
  }

  private requestPartial(): void {
    this.wantPartial = true;
    this.kick();
  }

  /** Coalesces triggers: one loop at a time, started on a later turn. */
  private kick(): void {
    if (this.stopped || this.loop || this.kickTimer) return;
    this.kickTimer = this.deps.clock.setTimeout(() => {
      this.kickTimer = undefined;
      this.startLoop();
    }, 0);
  }

  private startLoop(): void {
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      // A syncChanges caller that came in as the loop was ending: its pass starts now.
      if (this.passWaiters.length > 0) this.startLoop();
      else if (this.wantFull || this.wantPartial) this.kick();
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped && (this.wantFull || this.wantPartial)) {
      const pass = ++this.passesStarted;
      const full = this.wantFull || this.remote === undefined;
      this.wantFull = false;
      this.wantPartial = false;
      try {
        const failed = await this.sync(full);
        if (failed > 0) {
          this.deps.logger.error('failed to sync changes, retrying', { failed, full });
          this.scheduleFull(this.deps.retryIntervalMs ?? RETRY_INTERVAL_MS);
        } else if (full) {
          this.scheduleFull(this.fullIntervalMs());
        }
      } catch (e) {
        this.remote = undefined;
        this.deps.logger.error('failed to sync with the catalog, retrying', { error: e instanceof Error ? e.message : String(e), full });
        this.scheduleFull(this.deps.retryIntervalMs ?? RETRY_INTERVAL_MS);
      } finally {
        this.releaseWaiters(pass);
      }
    }
  }

  /** Resolves the syncChanges callers waiting for pass `done` or an earlier one. */
  private releaseWaiters(done: number): void {
    for (let i = this.passWaiters.length - 1; i >= 0; i--) {
      const w = this.passWaiters[i]!;
      if (w.pass > done) continue;
      this.passWaiters.splice(i, 1);
      w.resolve();
    }
  }

  private fullIntervalMs(): number {
    return (this.deps.fullSyncIntervalMs ?? FULL_SYNC_INTERVAL_MS) * scaleFactor(this.deps.clusterSize?.() ?? 1);
  }

  /** Next full sync after `base` plus a random stagger in [0, base). */
  private scheduleFull(base: number): void {
    if (this.stopped) return;
    this.fullTimer?.cancel();
    const delay = base + this.deps.random.int(Math.max(1, Math.floor(base)));
    this.fullTimer = this.deps.clock.setTimeout(() => {
      this.fullTimer = undefined;
      this.wantFull = true;
      this.kick();
    }, delay);
  }

  private async readRemote(node: string): Promise<RemoteView> {
    const opts = { minIndex: 0, waitMs: 0, consistency: 'stale' as const };
    const ns = await this.deps.catalog.nodeServices(node, {}, opts);
    const checks = await this.deps.health.nodeChecks(node, {}, opts);
    const view: RemoteView = { node: undefined, services: new Map(), checks: new Map() };
    if (ns.value) {
      const n: CatalogNode = ns.value.Node;
      view.node = { ID: n.ID, Address: n.Address, Datacenter: n.Datacenter, TaggedAddresses: { ...(n.TaggedAddresses ?? {}) }, Meta: { ...(n.Meta ?? {}) } };
      for (const s of ns.value.Services) {
        const { CreateIndex: _c, ModifyIndex: _m, ...body } = s;
        view.services.set(s.ID, body);
      }
    }
    for (const c of checks.value) {
      const { CreateIndex: _c, ModifyIndex: _m, ...body } = c;
      view.checks.set(c.CheckID, body);
    }
    return view;
  }

  private desired(): DesiredView {
    const c = this.deps.config();
    const addr = c.advertiseAddr;
    const v6 = addr.includes(':');
    const tagged: Record<string, string> = v6 ? { lan: addr, lan_ipv6: addr, wan: addr, wan_ipv6: addr } : { lan: addr, lan_ipv4: addr, wan: addr, wan_ipv4: addr };
    const node: NodeInfo = { ID: c.nodeId, Address: addr, Datacenter: c.datacenter, TaggedAddresses: tagged, Meta: { ...c.nodeMeta } };
    const services = new Map<string, ServiceBody>();
    for (const [id, s] of Object.entries(this.deps.local.services())) {
      const { Datacenter: _dc, ContentHash: _h, ...body } = s;
      services.set(id, body);
    }
    const checks = new Map<string, CheckBody>();
    for (const [id, ch] of Object.entries(this.deps.local.checks())) {
      // The catalog keeps its own indexes and the agent's checks carry no Definition.
      const { CreateIndex: _c, ModifyIndex: _m, Definition: _d, ExposedPort: port, ...body } = ch;
      checks.set(id, { ...body, ...(port ? { ExposedPort: port } : {}), Node: c.nodeName });
    }
    return { node, services, checks };
  }

  /** True when a check must be written: anything but output differs, or output differs and is due. */
  private checkNeedsSync(id: string, local: CheckBody, remote: CheckBody | undefined): boolean {
    if (!remote || !sameCheckIgnoringOutput(local, remote)) return true;
    if ((local.Output ?? '') === (remote.Output ?? '')) {
      this.deferred.get(id)?.cancel();
      this.deferred.delete(id);
      this.outputDue.delete(id);
      return false;
    }
    if (this.outputDue.has(id)) return true;
    const wait = this.deps.checkUpdateIntervalMs ?? CHECK_UPDATE_INTERVAL_MS;
    if (wait <= 0) return true; // check_update_interval 0s: outputs sync at once
    if (!this.deferred.has(id)) {
      this.deferred.set(
        id,
        this.deps.clock.setTimeout(() => {
          this.deferred.delete(id);
          this.outputDue.add(id);
          this.requestPartial();
        }, wait),
      );
    }
    return false;
  }

  private synced(id: string): void {
    this.deferred.get(id)?.cancel();
    this.deferred.delete(id);
    this.outputDue.delete(id);
  }

  /**
   * One pass. Throws when the catalog cannot be read or the node cannot be written (nothing else
   * is tried); otherwise writes each service and check on its own, as Consul's SyncChanges does,
   * and returns how many writes failed (each logged; what failed stays out of sync in `remote`,
   * so the next pass tries it again).
   */
  private async sync(full: boolean): Promise<number> {
    const c = this.deps.config();
    const nodeName = c.nodeName;
    if (full || !this.remote) {
      const known = this.remote;
      const seen = this.deps.local.services();
      this.remote = await this.readRemote(nodeName);
      for (const [id, s] of Object.entries(seen)) {
        const r = this.remote.services.get(id);
        if (!s.EnableTagOverride || !r) continue;
        // Only tags the agent did not change since the catalog last agreed with it (or, without
        // that knowledge, since before this read) give way: a re-registration not yet written wins.
        this.deps.local.adoptCatalogTags(id, r.Tags ?? [], known?.services.get(id)?.Tags ?? s.Tags);
      }
    }
    const remote = this.remote;
    const want = this.desired();
    const base: RegisterRequest = { Node: nodeName, Address: want.node.Address, Datacenter: want.node.Datacenter };
    const log = this.deps.stateLogger ?? this.deps.logger;
    let failed = 0;
    /** Runs one write; a failure is logged as Consul logs it and counted, and the pass goes on. */
    const item = async (op: () => Promise<void>, ok: () => void, failure: string, fields: Record<string, string>, unknown?: string): Promise<boolean> => {
      try {
        await this.write(op);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        // Consul's deleteService/deleteCheck: the catalog not having it is what was wanted.
        if (unknown === undefined || !error.includes(unknown)) {
          log.warn(failure, { ...fields, error });
          failed++;
          return false;
        }
      }
      ok();
      return true;
    };

    // 1. The node itself (its serfHealth check is the leader's). Services and checks need it.
    if (!remote.node || !sameNode(want.node, remote.node)) {
      try {
        await this.write(() => this.deps.catalog.register({ ...base, ID: want.node.ID, TaggedAddresses: want.node.TaggedAddresses, NodeMeta: want.node.Meta }));
      } catch (e) {
        log.warn('Syncing node info failed.', { error: e instanceof Error ? e.message : String(e) });
        throw e;
      }
      remote.node = want.node;
      log.info('Synced node info');
    }

    // 2. Services the agent no longer has (their checks go with them).
    for (const id of [...remote.services.keys()]) {
      if (want.services.has(id) || id === CONSUL_SERVICE_ID) continue; // the consul service is the leader's
      await item(
        () => this.deps.catalog.deregister({ Node: nodeName, Datacenter: want.node.Datacenter, ServiceID: id }),
        () => {
          remote.services.delete(id);
          for (const [cid, ch] of [...remote.checks]) if (ch.ServiceID === id) remote.checks.delete(cid);
          log.info('Deregistered service', { service: id });
        },
        'Deregistering service failed.',
        { service: id },
        'Unknown service',
      );
    }
    // 3. Checks the agent no longer has.
    for (const id of [...remote.checks.keys()]) {
      if (want.checks.has(id) || id === SERF_HEALTH_ID) continue; // serfHealth is the leader's
      await item(
        () => this.deps.catalog.deregister({ Node: nodeName, Datacenter: want.node.Datacenter, CheckID: id }),
        () => {
          remote.checks.delete(id);
          log.info('Deregistered check', { check: id });
        },
        'Deregistering check failed.',
        { check: id },
        'Unknown check',
      );
    }
    // 4. Services missing or different: written with all their checks.
    const written = new Set<string>();
    const refused = new Set<string>();
    for (const [id, svc] of want.services) {
      const cur = remote.services.get(id);
      if (cur && sameService(svc, cur)) continue;
      const checks = [...want.checks.values()].filter((ch) => ch.ServiceID === id);
      const ok = await item(
        () => this.deps.catalog.register({ ...base, SkipNodeUpdate: true, Service: svc, ...(checks.length > 0 ? { Checks: checks } : {}) }),
        () => {
          remote.services.set(id, svc);
          for (const ch of checks) {
            remote.checks.set(ch.CheckID, ch);
            written.add(ch.CheckID);
            this.synced(ch.CheckID);
          }
          log.info('Synced service', { service: id });
        },
        'Syncing service failed.',
        { service: id },
      );
      if (!ok) refused.add(id);
    }
    // 5. Checks missing or different (output-only changes deferred). The checks of a service
    // whose write just failed wait for it (they would fail for the same reason).
    for (const [id, ch] of want.checks) {
      if (written.has(id) || refused.has(ch.ServiceID)) continue;
      if (!this.checkNeedsSync(id, ch, remote.checks.get(id))) continue;
      await item(
        () => this.deps.catalog.register({ ...base, SkipNodeUpdate: true, Check: ch }),
        () => {
          remote.checks.set(id, ch);
          this.synced(id);
          log.info('Synced check', { check: id });
        },
        'Syncing check failed.',
        { check: id },
      );
    }
    return failed;
  }

  private async write(op: () => Promise<void>): Promise<void> {
    this.writes++;
    await op();
  }
}
