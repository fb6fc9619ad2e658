import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, ReactiveCheckContext, ReactiveCheckRunner } from '../../contracts/ports/check-runner.js';
import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import { aliasedHealth, type AliasTarget } from './aliased-health.js';

/** Consul re-reads the local checks at least this often, in case a notification was missed. */
const LOCAL_REFRESH_MS = 60_000;
/** Consul's blocking query wait for the remote node's checks. */
const REMOTE_WAIT_MS = 60_000;
/** Consul's checkAliasBackoffMin / checkAliasBackoffMaxWait. */
const BACKOFF_MIN_ATTEMPTS = 3;
const BACKOFF_MAX_MS = 60_000;
/** Consul's MaxStaleDuration for the alias queries. */
const MAX_STALE_MS = 15_000;

/** Fields whose presence makes a check an interval check in Consul (CheckType.Validate). */
const INTERVAL_KIND_FIELDS = ['args', 'script', 'http', 'tcp', 'udp', 'grpc', 'h2ping', 'os_service'] as const;

export interface AliasCheckRunnerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The catalog reads a remote alias (alias_node set) queries; resolved on first use. */
  readonly catalog: () => { health: HealthApi; catalog: CatalogApi };
}

/**
 * The `alias` check kind (Consul's CheckAlias): mirrors the aggregate health of a service
 * instance (`alias_service`, a service ID) and/or a node (`alias_node`). Without alias_node it
 * follows this agent's own checks, recomputed on every local change (and at least once a
 * minute); with alias_node it follows that node's checks in the catalog through blocking
 * queries (stale allowed, at most 15 s behind), reporting
 * `Failure checking aliased node or service: <error>` after a second failed query and backing
 * off from the fourth. Results bypass success/failure thresholds, as in Consul. An alias check
 * never counts itself.
 */
export class AliasCheckRunner implements ReactiveCheckRunner {
  readonly kind = 'alias';
  readonly reactive = true;

  constructor(private readonly opts: AliasCheckRunnerOptions) {}

  /** True for a definition with a non-empty `alias_service` or `alias_node`. */
  accepts(def: CheckDefinition): boolean {
    return (typeof def.alias_service === 'string' && def.alias_service !== '') || (typeof def.alias_node === 'string' && def.alias_node !== '');
  }

  /** Consul's CheckType.Validate rules for alias checks. */
  validate(def: CheckDefinition, _origin: CheckOrigin): string | undefined {
    for (const f of ['alias_service', 'alias_node'] as const) {
      if (def[f] !== undefined && def[f] !== null && typeof def[f] !== 'string') return `${f}: must be a string`;
    }
    const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
    if (INTERVAL_KIND_FIELDS.some((f) => present(def[f]))) return 'Interval cannot be set for Alias checks';
    if (present(def.ttl)) return 'TTL must be not be set for Alias checks';
    return undefined;
  }

  /** Alias checks are watched, never probed; if asked anyway, reports that. */
  async probe(_def: CheckDefinition, _signal: AbortSignal): Promise<CheckResult> {
    return { status: 'critical', output: 'alias checks are not probed' };
  }

  /** Starts following the aliased service or node until ctx.signal aborts. */
  watch(def: CheckDefinition, ctx: ReactiveCheckContext): void {
    const target: AliasTarget = {
      node: typeof def.alias_node === 'string' ? def.alias_node : '',
      serviceId: typeof def.alias_service === 'string' ? def.alias_service : '',
    };
    if (target.node === '') this.watchLocal(def.id, target, ctx);
    else void this.watchRemote(def.id, target, ctx);
  }

  /** Nothing runner-wide to release. */
  async close(): Promise<void> {}

  private watchLocal(selfId: string, target: AliasTarget, ctx: ReactiveCheckContext): void {
    let queued = false;
    let refresh: TimerHandle | undefined;
    const update = (): void => {
      queued = false;
      refresh?.cancel();
      if (ctx.signal.aborted) return;
      const checks = Object.values(ctx.local.checks()).filter((c) => c.CheckID !== selfId);
      ctx.report(aliasedHealth(target, checks, () => ctx.local.service(target.serviceId) !== undefined));
      refresh = this.opts.clock.setTimeout(update, LOCAL_REFRESH_MS);
    };
    // Coalesce bursts (and our own report's change) into one recomputation on a later turn.
    const notify = (): void => {
      if (queued || ctx.signal.aborted) return;
      queued = true;
      queueMicrotask(update);
    };
    const unsubscribe = ctx.local.onChange(notify);
    ctx.signal.addEventListener('abort', () => {
      unsubscribe();
      refresh?.cancel();
    }, { once: true });
    update();
  }

  private async watchRemote(selfId: string, target: AliasTarget, ctx: ReactiveCheckContext): Promise<void> {
    let minIndex = 0;
    let attempt = 0;
    while (!ctx.signal.aborted) {
      if (attempt > BACKOFF_MIN_ATTEMPTS) {
        const shift = Math.min(attempt - BACKOFF_MIN_ATTEMPTS, 31);
        await this.sleep(Math.min(2 ** shift * 1000, BACKOFF_MAX_MS), ctx.signal);
        if (ctx.signal.aborted) return;
      }
      let checks;
      try {
        const { health } = this.opts.catalog();
        const r = await health.nodeChecks(target.node, {}, { minIndex, waitMs: REMOTE_WAIT_MS, consistency: 'stale', maxStaleMs: MAX_STALE_MS, signal: ctx.signal });
        if (ctx.signal.aborted) return;
        checks = r.value;
        minIndex = Math.max(1, r.meta.index);
        attempt = 0;
      } catch (e) {
        if (ctx.signal.aborted) return;
        attempt++;
        if (attempt > 1) ctx.report({ status: 'critical', output: `Failure checking aliased node or service: ${e instanceof Error ? e.message : String(e)}` });
        continue;
      }
      const found = checks.some((c) => c.ServiceID === target.serviceId && c.Node.toLowerCase() === target.node.toLowerCase());
      const exists = found ? true : await this.remoteServiceExists(target);
      if (ctx.signal.aborted) return;
      ctx.report(aliasedHealth(target, checks.filter((c) => c.CheckID !== selfId || c.Node.toLowerCase() !== target.node.toLowerCase()), () => exists));
    }
  }

  /** Consul's checkServiceExistsOnRemoteServer: on a lookup error, assume it exists. */
  private async remoteServiceExists(target: AliasTarget): Promise<boolean> {
    try {
      const { catalog } = this.opts.catalog();
      const r = await catalog.nodeServices(target.node, {}, { minIndex: 0, waitMs: 0, consistency: 'stale', maxStaleMs: MAX_STALE_MS });
      return (r.value?.Services ?? []).some((s) => s.ID === target.serviceId);
    } catch {
      return true;
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t = this.opts.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        t.cancel();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
