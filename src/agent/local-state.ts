import { createHash } from 'node:crypto';
import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { AgentHooks } from '../../contracts/hooks.js';
import type { HealthStatus } from '../../contracts/model/health.js';
import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { CheckOrigin, CheckRunner } from '../../contracts/ports/check-runner.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { CheckFieldSchemas } from '../config/config-schema.js';
import type { AgentCheckView, AgentServiceHealth, AgentServiceView, LocalAgentApi } from '../../contracts/services/local-agent-service.js';
import { aggregatedHttpStatus, aggregatedStatus } from './aggregated-status.js';
import { normalizeCheck } from './check-definition.js';
import { normalizeConfigDefinitions } from './config-definitions.js';
import { configProblemsError } from '../config/config-problem.js';
import type { CheckContext, CheckSpec, CheckStatus } from './check-definition.js';
import { CheckSupervisor } from './check-supervisor.js';
import { CriticalReaper } from './critical-reaper.js';
import { PERSIST_VERSION } from './local-persistence.js';
import type { LocalPersistence, PersistBatch, PersistedCheck } from './local-persistence.js';
import { SerialQueue } from '../platform/serial-queue.js';
import {
  DEFAULT_NODE_MAINTENANCE_REASON,
  DEFAULT_SERVICE_MAINTENANCE_REASON,
  MAINTENANCE_TYPE,
  NODE_MAINTENANCE_ID,
  NODE_MAINTENANCE_NAME,
  SERVICE_MAINTENANCE_NAME,
  serviceMaintenanceId,
} from './maintenance.js';
import { normalizeService } from './service-definition.js';
import type { NormalizedService, ServiceDefinition } from './service-definition.js';

/** Where a local service or check came from. Maintenance checks are their own kind. */
export type LocalOrigin = CheckOrigin | 'maintenance';

interface ServiceRecord {
  def: ServiceDefinition;
  origin: CheckOrigin;
  /**
   * enable_tag_override: the catalog's tags, taken by anti-entropy (Consul's updateSyncState);
   * shown instead of def.tags until the service is registered again. Memory only, as in Consul.
   */
  catalogTags?: readonly string[];
}

interface CheckRecord {
  readonly id: string;
  readonly name: string;
  readonly serviceId: string;
  readonly notes: string;
  readonly type: string;
  readonly origin: LocalOrigin;
  /** Undefined for maintenance checks (nothing runs them). */
  readonly spec: CheckSpec | undefined;
  status: CheckStatus;
  output: string;
  /** When the check last became critical (for deregister_critical_service_after). */
  criticalSince: number | undefined;
}

/** What LocalState is built from. */
export interface LocalStateDeps {
  /** The live runtime config (node name, datacenter, config-file services and checks). */
  readonly config: () => RuntimeConfig;
  /** Every loaded check runner, by kind. */
  readonly runners: ReadonlyMap<string, CheckRunner>;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly hooks: Pick<AgentHooks, 'checkStatusChanged'>;
  /** Absent: nothing is persisted (no data_dir). */
  readonly persistence?: LocalPersistence;
  /** Check-definition fields the loaded plugins add (merged PluginManifest.checkFields); see CheckContext. */
  readonly checkFields?: CheckFieldSchemas;
  /**
   * Pushes local changes to the catalog and resolves when done (anti-entropy's syncChanges;
   * never rejects). Absent: syncChanges resolves at once (nothing syncs).
   */
  readonly syncChanges?: () => Promise<void>;
}

/** Notified after every change to local services or checks (status or output included). */
export type LocalChangeListener = () => void;

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The tags the agent shows for a service: the catalog's when adopted (enable_tag_override), else its own. */
function shownTags(rec: ServiceRecord): readonly string[] {
  return rec.catalogTags ?? rec.def.tags;
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function sameSpec(a: CheckSpec | undefined, b: CheckSpec): boolean {
  return a !== undefined && a.kind === b.kind && a.origin === b.origin && stableJson(a.def) === stableJson(b.def);
}

function notFoundService(id: string): SextantError {
  return new SextantError(ErrorCode.NotFound, `Unknown service ID ${JSON.stringify(id)}. Ensure that the service ID is passed, not the service name.`);
}

function notFoundCheck(id: string): SextantError {
  return new SextantError(ErrorCode.NotFound, `Unknown check ID ${JSON.stringify(id)}. Ensure that the check ID is passed, not the check name.`);
}

/**
 * The agent's own services and checks (Consul's agent/local state): the source of truth for
 * this node. Registrations come from the config directory (re-read at start and on reload,
 * never persisted) and from the HTTP API (persisted under data_dir and restored at start).
 * Checks run under a CheckSupervisor; TTL checks are fed by updateTtl. Maintenance mode adds
 * Consul's critical `_node_maintenance` / `_service_maintenance:<id>` checks (persisted).
 * Listeners (anti-entropy) hear about every change.
 */
export class LocalState implements LocalAgentApi {
  private readonly svcs = new Map<string, ServiceRecord>();
  private readonly chks = new Map<string, CheckRecord>();
  private readonly listeners = new Set<LocalChangeListener>();
  private readonly supervisor: CheckSupervisor;
  private readonly reaper: CriticalReaper;
  /** Every change that persists runs here, so memory changes in the order the files do. */
  private readonly writes = new SerialQueue();
  private started = false;

  constructor(private readonly deps: LocalStateDeps) {
    this.supervisor = new CheckSupervisor({
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      sink: (id, status, output) => this.setResult(id, status, output),
      local: this,
    });
    this.reaper = new CriticalReaper(deps.clock, () => this.reapCritical());
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: LocalChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Loads the config directory's services and checks (a bad one rejects with CONFIG_INVALID),
   * then the persisted HTTP registrations and maintenance checks (config wins on an id clash; the
   * persisted copy is then dropped), restores TTL statuses still within their TTL, and starts
   * every check and the critical-service reaper.
   */
  async start(): Promise<void> {
    if (this.started) return;
    const cfg = this.normalizeConfig(this.deps.config());
    const p = this.deps.persistence;
    const saved = p ? await p.load() : undefined;
    // Files restoring finds stale (shadowed by config, orphaned, expired) go in one batch at the end.
    const stale = p?.batch('failed removing stale persisted registrations');
    this.applyConfigDefinitions(cfg.services, cfg.checks, saved?.checkStates, stale);
    if (stale && saved) {
      for (const s of saved.services) {
        try {
          const n = normalizeService(s.Definition, this.ctx('api'));
          if (this.svcs.has(n.service.id)) {
            stale.removeService(n.service.id);
            continue;
          }
          this.svcs.set(n.service.id, { def: n.service, origin: 'api' });
        } catch (e) {
          this.deps.logger.warn('skipping a persisted service that no longer validates', { error: (e as Error).message });
        }
      }
      for (const c of saved.checks) this.restoreCheck(c, saved.checkStates, stale);
    }
    await this.commitQuietly(stale);
    this.reaper.start();
    this.started = true;
    this.changed();
  }

  /** Stops every check and the reaper, and waits for pending persistence writes. */
  async stop(): Promise<void> {
    this.started = false;
    this.reaper.stop();
    await this.supervisor.stopAll();
    await this.writes.idle();
    await this.deps.persistence?.flush();
  }

  /**
   * Checks a candidate configuration's services and checks without applying anything (kinds,
   * runner validation, service_id references); throws CONFIG_INVALID naming the entry. Lets a
   * reload refuse a bad config before it replaces the running one.
   */
  validateConfig(next: RuntimeConfig): void {
    this.normalizeConfig(next);
  }

  /**
   * Applies a reloaded configuration: config-file services and checks are diffed against the
   * running ones: new ones start, removed ones stop, changed ones restart, unchanged checks keep
   * running with their state. A definition that does not validate rejects with CONFIG_INVALID
   * before anything changes. HTTP registrations are untouched.
   */
  async applyConfig(next: RuntimeConfig): Promise<void> {
    await this.writes.run(async () => {
      const cfg = this.normalizeConfig(next);
      // HTTP registrations a config definition now replaces lose their persisted copy (config
      // wins at start anyway, so a failure to remove it only logs).
      const shadowed = this.deps.persistence?.batch('failed removing persisted registrations the configuration replaced');
      this.applyConfigDefinitions(cfg.services, cfg.checks, undefined, shadowed);
      this.changed();
      await this.commitQuietly(shadowed);
    });
  }

  // ---- LocalAgentApi -------------------------------------------------------------------------

  services(): Record<string, AgentServiceView> {
    const out: Record<string, AgentServiceView> = {};
    for (const id of [...this.svcs.keys()].sort()) out[id] = this.serviceView(id)!;
    return out;
  }

  service(id: string): AgentServiceView | undefined {
    const v = this.serviceView(id);
    if (!v) return undefined;
    const hash = createHash('sha256').update(stableJson(v)).digest('hex').slice(0, 16);
    // ContentHash sits after EnableTagOverride in Consul's AgentService.
    const { Proxy, Connect, Datacenter, ...head } = v;
    return { ...head, ContentHash: hash, ...(Proxy ? { Proxy } : {}), ...(Connect ? { Connect } : {}), Datacenter };
  }

  /**
   * Every write below is all or nothing: it validates, then persists (when there is a data dir),
   * and only once the files are durable changes memory, the running checks and (through the
   * change listeners, i.e. anti-entropy) the catalog. A persistence failure rejects with
   * STORAGE_FAILED and leaves all of them as they were. Writes run one at a time.
   */
  async registerService(definition: unknown, opts: { replaceExistingChecks: boolean }): Promise<void> {
    const n = normalizeService(definition, this.ctx('api'));
    const id = n.service.id;
    await this.writes.run(async () => {
      const keep = new Set(n.checks.map((c) => c.id));
      const dropped = opts.replaceExistingChecks ? [...this.chks.values()].filter((c) => c.serviceId === id && !keep.has(c.id) && c.origin !== 'maintenance') : [];
      // The checks before the service: a crash in between leaves orphan checks, dropped at start.
      await this.persist(`failed persisting service ${JSON.stringify(id)}`, (b) => {
        for (const spec of n.checks) b.saveCheck(spec.id, { Version: PERSIST_VERSION, Source: 'api', Definition: { ...spec.def } });
        for (const c of dropped) this.forgetCheckFiles(b, c);
        b.saveService(id, { ...n.service });
      });
      for (const c of dropped) this.removeCheckNow(c.id);
      this.svcs.set(id, { def: n.service, origin: 'api' });
      for (const spec of n.checks) this.putCheck(spec);
      this.deps.logger.info('Registered service', { service: id });
      this.changed();
    });
  }

  async deregisterService(id: string): Promise<void> {
    await this.writes.run(async () => {
      if (!this.svcs.has(id)) throw notFoundService(id);
      await this.dropService(id);
      this.changed();
    });
  }

  async serviceMaintenance(id: string, enable: boolean, reason: string): Promise<void> {
    await this.writes.run(async () => {
      if (!this.svcs.has(id)) throw new SextantError(ErrorCode.NotFound, `No service registered with ID ${JSON.stringify(id)}`);
      await this.setMaintenance(enable, {
        checkId: serviceMaintenanceId(id),
        serviceId: id,
        reason,
        defaultReason: DEFAULT_SERVICE_MAINTENANCE_REASON,
        what: `maintenance mode of service ${JSON.stringify(id)}`,
        log: (entered) => this.deps.logger.info(`Service ${entered ? 'entered' : 'left'} maintenance mode`, { service: id }),
      });
    });
  }

  async nodeMaintenance(enable: boolean, reason: string): Promise<void> {
    await this.writes.run(() =>
      this.setMaintenance(enable, {
        checkId: NODE_MAINTENANCE_ID,
        serviceId: '',
        reason,
        defaultReason: DEFAULT_NODE_MAINTENANCE_REASON,
        what: 'node maintenance mode',
        log: (entered) => this.deps.logger.info(`Node ${entered ? 'entered' : 'left'} maintenance mode`),
      }),
    );
  }

  /**
   * Node or service maintenance on or off (run inside `writes`): enabling persists the
   * maintenance check, then adds it; disabling drops it with its file. Nothing when it is
   * already so.
   */
  private async setMaintenance(
    enable: boolean,
    m: { checkId: string; serviceId: string; reason: string; defaultReason: string; what: string; log: (entered: boolean) => void },
  ): Promise<void> {
    if (enable === this.chks.has(m.checkId)) return;
    if (enable) {
      await this.persist(`failed persisting ${m.what}`, (b) =>
        b.saveCheck(m.checkId, { Version: PERSIST_VERSION, Source: 'maintenance', CheckID: m.checkId, ServiceID: m.serviceId, Reason: m.reason }),
      );
      this.putMaintenance(m.checkId, m.serviceId, m.reason || m.defaultReason);
    } else {
      await this.dropCheck(m.checkId);
    }
    m.log(enable);
    this.changed();
  }

  /** Consul's agent Stats: registered services and checks, and how many of the checks are TTL and script (monitor) checks. */
  stats(): { services: number; checks: number; checkTtls: number; checkMonitors: number } {
    let checkTtls = 0;
    let checkMonitors = 0;
    for (const c of this.chks.values()) {
      if (c.spec?.kind === 'ttl') checkTtls++;
      else if (c.spec?.kind === 'script') checkMonitors++;
    }
    return { services: this.svcs.size, checks: this.chks.size, checkTtls, checkMonitors };
  }

  checks(): Record<string, AgentCheckView> {
    const out: Record<string, AgentCheckView> = {};
    for (const id of [...this.chks.keys()].sort()) out[id] = this.checkView(this.chks.get(id)!);
    return out;
  }

  async registerCheck(definition: unknown): Promise<void> {
    const spec = normalizeCheck(definition, this.ctx('api'));
    await this.writes.run(async () => {
      if (spec.serviceId !== '' && !this.svcs.has(spec.serviceId)) {
        throw new SextantError(ErrorCode.BadRequest, `ServiceID ${JSON.stringify(spec.serviceId)} does not exist`);
      }
      await this.persist(`failed persisting check ${JSON.stringify(spec.id)}`, (b) =>
        b.saveCheck(spec.id, { Version: PERSIST_VERSION, Source: 'api', Definition: { ...spec.def } }),
      );
      this.putCheck(spec);
      this.changed();
    });
  }

  async deregisterCheck(id: string): Promise<void> {
    await this.writes.run(async () => {
      if (!this.chks.has(id)) throw notFoundCheck(id);
      await this.dropCheck(id);
      this.changed();
    });
  }

  async updateTtl(id: string, status: Exclude<HealthStatus, 'maintenance'>, output: string): Promise<void> {
    await this.writes.run(async () => {
      const rec = this.chks.get(id);
      if (!rec) throw notFoundCheck(id);
      const spec = rec.spec;
      if (!spec?.passive) throw new SextantError(ErrorCode.BadRequest, `CheckID ${JSON.stringify(id)} does not have associated TTL`);
      const capped = spec.passive.capOutput(spec.def, output);
      await this.persist(`failed persisting state for check ${JSON.stringify(id)}`, (b) =>
        b.saveCheckState({ CheckID: id, Status: status, Output: capped, Expires: this.deps.clock.now() + spec.ttlMs }),
      );
      this.supervisor.ttlUpdate(id, status, capped);
    });
  }

  /**
   * Anti-entropy's full sync found the catalog's copy of service `id` with `tags`: a service with
   * enable_tag_override takes them, as Consul's agent does (agent/local updateSyncState), so a
   * tag set by someone else through the catalog stays and the next sync writes nothing.
   * `expected` is the tags anti-entropy last knew both sides to have: when the service was
   * re-registered with other tags since, the local change wins and nothing is taken. Memory only
   * (the persisted definition keeps the registered tags, as Consul's does); a re-registration
   * shows its own tags again. Returns true when the tags changed.
   */
  adoptCatalogTags(id: string, tags: readonly string[], expected: readonly string[]): boolean {
    const rec = this.svcs.get(id);
    if (!rec?.def.enable_tag_override) return false;
    const current = shownTags(rec);
    if (!sameTags(current, expected) || sameTags(current, tags)) return false;
    rec.catalogTags = [...tags];
    this.deps.logger.debug('took the catalog tags of a service with enable_tag_override', { service: id });
    this.changed();
    return true;
  }

  serviceHealthById(id: string): AgentServiceHealth | undefined {
    const service = this.serviceView(id);
    if (!service) return undefined;
    const checks = [...this.chks.values()]
      .filter((c) => c.serviceId === id || c.serviceId === '')
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((c) => this.checkView(c));
    return { AggregatedStatus: aggregatedStatus(checks), Service: service, Checks: checks };
  }

  serviceHealthByName(name: string): AgentServiceHealth[] {
    return [...this.svcs.values()]
      .filter((s) => s.def.name === name)
      .map((s) => this.serviceHealthById(s.def.id)!)
      .sort((a, b) => (a.Service.ID < b.Service.ID ? -1 : a.Service.ID > b.Service.ID ? 1 : 0));
  }

  async syncChanges(): Promise<void> {
    await this.deps.syncChanges?.();
  }

  /** The HTTP status Consul answers /v1/agent/health/service/* with for an aggregated status. */
  static httpStatusOf(status: HealthStatus): number {
    return aggregatedHttpStatus(status);
  }

  /**
   * One pass of the reaper: every service with a check that has been critical for longer than
   * its deregister_critical_service_after is deregistered with all its checks.
   */
  reapCritical(): void {
    const now = this.deps.clock.now();
    const doomed = (): Set<string> => {
      const out = new Set<string>();
      for (const c of this.chks.values()) {
        const after = c.spec?.deregisterAfterMs ?? 0;
        if (after > 0 && c.serviceId !== '' && c.status === 'critical' && c.criticalSince !== undefined && now - c.criticalSince > after) {
          out.add(c.serviceId);
        }
      }
      return out;
    };
    if (doomed().size === 0) return;
    // Decided again in turn with the other writes (a check may have recovered meanwhile); a
    // service whose files cannot be removed stays, and the next pass tries again.
    void this.writes.run(async () => {
      let removed = false;
      for (const id of doomed()) {
        if (!this.svcs.has(id)) continue;
        try {
          await this.dropService(id);
          removed = true;
          this.deps.logger.info('removed service with check critical for longer than deregister_critical_service_after', { service: id });
        } catch (e) {
          this.deps.logger.error('reaping a service failed', { service: id, error: e instanceof Error ? e.message : String(e) });
        }
      }
      if (removed) this.changed();
    });
  }

  // ---- internals -----------------------------------------------------------------------------

  private ctx(origin: CheckOrigin): CheckContext {
    return {
      runners: this.deps.runners,
      origin,
      warn: (m, f) => this.deps.logger.warn(m, f),
      ...(this.deps.checkFields ? { checkFields: this.deps.checkFields } : {}),
    };
  }

  /** The config-file definitions, normalized as the config loading step checks them (one rule for both). */
  private normalizeConfig(c: RuntimeConfig): { services: readonly NormalizedService[]; checks: readonly CheckSpec[] } {
    const out = normalizeConfigDefinitions(c, this.ctx('config'));
    if (out.problems.length > 0) throw configProblemsError(out.problems);
    return out;
  }

  /** The reload diff (also the initial load): only config-origin entries are touched, config wins on clashes. */
  private applyConfigDefinitions(
    services: readonly NormalizedService[],
    topChecks: readonly CheckSpec[],
    states?: ReadonlyMap<string, { Status: CheckStatus; Output: string; Expires: number }>,
    stale?: PersistBatch,
  ): void {
    // Consul's reload snapshot: a check that is re-created keeps its status and output.
    const before = new Map([...this.chks].map(([id, c]) => [id, c] as const));
    const wantSvcs = new Map(services.map((s) => [s.service.id, s]));
    const wantChecks = new Map<string, CheckSpec>();
    for (const s of services) for (const c of s.checks) wantChecks.set(c.id, c);
    for (const c of topChecks) wantChecks.set(c.id, c);

    for (const c of [...this.chks.values()]) {
      if (c.origin !== 'config') continue;
      const want = wantChecks.get(c.id);
      if (!want || !sameSpec(c.spec, want)) this.removeCheckNow(c.id);
    }
    for (const [id, s] of [...this.svcs]) {
      if (s.origin === 'config' && !wantSvcs.has(id)) this.removeServiceNow(id);
    }
    for (const [id, s] of wantSvcs) {
      const cur = this.svcs.get(id);
      if (cur && cur.origin === 'config' && stableJson(cur.def) === stableJson(s.service)) continue;
      if (cur && cur.origin === 'api') stale?.removeService(id);
      this.svcs.set(id, { def: s.service, origin: 'config' });
    }
    for (const [id, spec] of wantChecks) {
      const cur = this.chks.get(id);
      if (cur && cur.origin === 'config') continue; // unchanged: keeps running with its state
      if (cur && cur.origin !== 'config') stale?.removeCheck(id);
      this.putCheck(spec, states?.get(id), before.get(id), stale);
    }
  }

  private restoreCheck(c: PersistedCheck, states: ReadonlyMap<string, { Status: CheckStatus; Output: string; Expires: number }>, stale: PersistBatch): void {
    if (c.Source === 'maintenance') {
      if (c.ServiceID !== '' && !this.svcs.has(c.ServiceID)) {
        stale.removeCheck(c.CheckID);
        return;
      }
      const reason = c.Reason || (c.ServiceID === '' ? DEFAULT_NODE_MAINTENANCE_REASON : DEFAULT_SERVICE_MAINTENANCE_REASON);
      this.putMaintenance(c.CheckID, c.ServiceID, reason);
      return;
    }
    let spec: CheckSpec;
    try {
      spec = normalizeCheck(c.Definition, this.ctx('api'));
    } catch (e) {
      this.deps.logger.warn('skipping a persisted check that no longer validates', { error: (e as Error).message });
      return;
    }
    if (this.chks.has(spec.id) || (spec.serviceId !== '' && !this.svcs.has(spec.serviceId))) {
      stale.removeCheck(spec.id);
      return;
    }
    this.putCheck(spec, states.get(spec.id), undefined, stale);
  }

  /**
   * Adds or replaces a check. An identical running check keeps running with its state; a
   * replaced one (`previous`: the check this id had, by default the current one) restarts but
   * keeps its status and output until its next result, as Consul's check-state snapshot does on
   * re-registration and reload (an edited check does not flap to critical). A restored TTL
   * status that has lapsed is not used, and its file joins `stale` for removal.
   */
  private putCheck(spec: CheckSpec, restored?: { Status: CheckStatus; Output: string; Expires: number }, previous?: CheckRecord, stale?: PersistBatch): void {
    const cur = this.chks.get(spec.id);
    if (cur && sameSpec(cur.spec, spec) && this.supervisor.has(spec.id)) return;
    if (cur) this.supervisor.stop(spec.id);
    const now = this.deps.clock.now();
    const prev = previous ?? cur;
    let status: CheckStatus = spec.initialStatus;
    let output = '';
    let criticalSince: number | undefined;
    if (prev && prev.origin !== 'maintenance') {
      status = prev.status;
      output = prev.output;
      criticalSince = prev.criticalSince;
    } else if (restored && spec.passive) {
      if (restored.Expires > now) {
        status = restored.Status;
        output = this.deps.config().discardCheckOutput ? '' : restored.Output;
      } else {
        stale?.removeCheckState(spec.id);
      }
    }
    this.chks.set(spec.id, {
      id: spec.id,
      name: spec.name,
      serviceId: spec.serviceId,
      notes: spec.notes,
      type: spec.kind,
      origin: spec.origin,
      spec,
      status,
      output,
      criticalSince: status === 'critical' ? (criticalSince ?? now) : undefined,
    });
    this.supervisor.start(spec, { lastOutput: output });
  }

  private putMaintenance(checkId: string, serviceId: string, notes: string): void {
    this.chks.set(checkId, {
      id: checkId,
      name: serviceId === '' ? NODE_MAINTENANCE_NAME : SERVICE_MAINTENANCE_NAME,
      serviceId,
      notes,
      type: MAINTENANCE_TYPE,
      origin: 'maintenance',
      spec: undefined,
      status: 'critical',
      output: '',
      criticalSince: this.deps.clock.now(),
    });
  }

  /** Removes a check from memory and the supervisor (no persistence). */
  private removeCheckNow(id: string): void {
    this.supervisor.stop(id);
    this.chks.delete(id);
  }

  /** Removes a service and all its checks from memory (no persistence). */
  private removeServiceNow(id: string): void {
    for (const c of [...this.chks.values()]) if (c.serviceId === id) this.removeCheckNow(c.id);
    this.svcs.delete(id);
  }

  /** Runs `fill` on a new batch and commits it (nothing without a data dir); rejects with STORAGE_FAILED `<what>: <reason>`. */
  private async persist(what: string, fill: (b: PersistBatch) => void): Promise<void> {
    const p = this.deps.persistence;
    if (!p) return;
    const b = p.batch(what);
    fill(b);
    await b.commit();
  }

  /** Commits a batch of clean-ups whose failure harms nothing (the files are found stale again at the next start): logged. */
  private async commitQuietly(b: PersistBatch | undefined): Promise<void> {
    await b?.commit().catch((e: unknown) => this.deps.logger.warn('could not remove stale persisted files', { error: e instanceof Error ? e.message : String(e) }));
  }

  /** Adds the removal of a check's files to `b`: definition and TTL state, or only the state for a config-directory check (its definition is never persisted). */
  private forgetCheckFiles(b: PersistBatch, c: CheckRecord): void {
    if (c.origin === 'config') b.removeCheckState(c.id);
    else b.removeCheck(c.id);
  }

  /** Removes a check: its files first, then (once that is durable) memory and the supervisor. */
  private async dropCheck(id: string): Promise<void> {
    const rec = this.chks.get(id);
    if (rec) await this.persist(`failed removing persisted check ${JSON.stringify(id)}`, (b) => this.forgetCheckFiles(b, rec));
    this.removeCheckNow(id);
  }

  /**
   * Removes a service with its checks: files first, then memory. The service file goes first, so
   * a crash half-way leaves only orphan check files, which the next start drops; a failure puts
   * back what was removed and leaves the service running.
   */
  private async dropService(id: string): Promise<void> {
    const rec = this.svcs.get(id);
    const checks = [...this.chks.values()].filter((c) => c.serviceId === id);
    await this.persist(`failed removing persisted service ${JSON.stringify(id)}`, (b) => {
      if (rec?.origin === 'api') b.removeService(id);
      for (const c of checks) this.forgetCheckFiles(b, c);
    });
    this.removeServiceNow(id);
  }

  /** The supervisor's sink: records a result; a status change fires checkStatusChanged. */
  private setResult(id: string, status: CheckStatus, result: string): void {
    const rec = this.chks.get(id);
    if (!rec) return;
    // discard_check_output (reloadable): outputs are dropped before they are stored, as Consul does.
    const output = this.deps.config().discardCheckOutput ? '' : result;
    const statusChanged = rec.status !== status;
    if (!statusChanged && rec.output === output) return;
    rec.status = status;
    rec.output = output;
    if (statusChanged) {
      rec.criticalSince = status === 'critical' ? this.deps.clock.now() : undefined;
      this.deps.logger.debug('Check status changed', { check: id, status });
      try {
        this.deps.hooks.checkStatusChanged.call(id, status, output);
      } catch (e) {
        this.deps.logger.error('a checkStatusChanged tap failed', { error: e });
      }
    }
    this.changed();
  }

  private changed(): void {
    if (!this.started) return;
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.deps.logger.error('a local-state listener failed', { error: isSextantError(e) ? e.message : e });
      }
    }
  }

  private serviceView(id: string): AgentServiceView | undefined {
    const rec = this.svcs.get(id);
    if (!rec) return undefined;
    const d = rec.def;
    // Members in Consul's AgentService order (omitempty ones only when set).
    const view = {} as AgentServiceView;
    if (d.kind !== '') view.Kind = d.kind;
    view.ID = d.id;
    view.Service = d.name;
    view.Tags = [...shownTags(rec)];
    view.Meta = { ...d.meta };
    view.Port = d.port;
    view.Address = d.address;
    if (d.socket_path) view.SocketPath = d.socket_path;
    if (d.tagged_addresses) {
      view.TaggedAddresses = Object.fromEntries(Object.entries(d.tagged_addresses).map(([k, a]) => [k, { Address: a.address, Port: a.port }]));
    }
    view.Weights = { Passing: d.weights.passing, Warning: d.weights.warning };
    view.EnableTagOverride = d.enable_tag_override;
    if (d.proxy) view.Proxy = { ...d.proxy };
    if (d.connect) view.Connect = { ...d.connect };
    view.Datacenter = this.deps.config().datacenter;
    return view;
  }

  /**
   * Consul's HealthCheck JSON of a local check, as /v1/agent/checks shows it: Interval/Timeout
   * as Consul derives them from the definition, ExposedPort 0, Definition {} and zero indexes
   * (the agent's own copy never has Raft indexes).
   */
  private checkView(c: CheckRecord): AgentCheckView {
    const svc = c.serviceId !== '' ? this.svcs.get(c.serviceId) : undefined;
    return {
      Node: this.deps.config().nodeName,
      CheckID: c.id,
      Name: c.name,
      Status: c.status,
      Notes: c.notes,
      Output: c.output,
      ServiceID: c.serviceId,
      ServiceName: svc?.def.name ?? '',
      ServiceTags: svc ? [...shownTags(svc)] : [],
      Type: c.type,
      Interval: c.spec?.shownInterval ?? '',
      Timeout: c.spec?.shownTimeout ?? '',
      ExposedPort: 0,
      Definition: {},
      CreateIndex: 0,
      ModifyIndex: 0,
    };
  }

  /** Local check ids with the origin of each (for tests and diagnostics). */
  origins(): Record<string, LocalOrigin> {
    const out: Record<string, LocalOrigin> = {};
    for (const [id, c] of this.chks) out[id] = c.origin;
    for (const [id, s] of this.svcs) out[`service/${id}`] = s.origin;
    return out;
  }
}
