import { isPassiveCheckRunner, isReactiveCheckRunner } from '../../contracts/ports/check-runner.js';
import type { CheckDefinition, CheckOrigin, CheckRunner, PassiveCheckRunner } from '../../contracts/ports/check-runner.js';
import { validateCheckFieldValues } from '../config/config-schema.js';
import { formatGoDuration } from '../config/go-duration.js';
import type { CheckFieldSchemas } from '../config/config-schema.js';
import { canonicalizeKeys, fieldIndex, isPlainObject } from './definition-keys.js';
import { badDefinition, optBool, optDuration, optInt, optString, optStringList } from './definition-values.js';

/** A status a check can report or start in. */
export type CheckStatus = 'passing' | 'warning' | 'critical';

/** Consul's MinInterval: shorter intervals are raised to this. */
export const MIN_INTERVAL_MS = 1_000;
/** Consul's minimum deregister_critical_service_after. */
export const MIN_DEREGISTER_AFTER_MS = 60_000;
/** Consul's default (and agent-wide) cap on check output. */
export const DEFAULT_OUTPUT_MAX_SIZE = 4096;

/** The fields of a check definition Sextant knows (canonical snake_case), by squashed spelling. */
const CHECK_FIELDS = [
  'id', 'name', 'notes', 'service_id', 'status', 'token', 'interval', 'timeout', 'ttl',
  'deregister_critical_service_after', 'args', 'script', 'shell', 'docker_container_id', 'http',
  'method', 'header', 'body', 'disable_redirects', 'tls_server_name', 'tls_skip_verify', 'tcp',
  'tcp_use_tls', 'udp', 'grpc', 'grpc_use_tls', 'h2ping', 'h2ping_use_tls', 'os_service',
  'alias_node', 'alias_service', 'success_before_passing', 'failures_before_warning',
  'failures_before_critical', 'output_max_size', 'namespace', 'partition',
] as const;
const CHECK_ALIASES = { CheckID: 'id', ScriptArgs: 'args', GRPCUseTLS: 'grpc_use_tls' };
const CHECK_INDEX = fieldIndex(CHECK_FIELDS, CHECK_ALIASES);
/** Key indexes with plugins' fields added, per checkFields object. */
const pluginIndexes = new WeakMap<CheckFieldSchemas, ReadonlyMap<string, string>>();

function keyIndex(checkFields: CheckFieldSchemas | undefined): ReadonlyMap<string, string> {
  if (!checkFields || Object.keys(checkFields).length === 0) return CHECK_INDEX;
  let index = pluginIndexes.get(checkFields);
  if (!index) {
    index = fieldIndex([...Object.keys(checkFields), ...CHECK_FIELDS], CHECK_ALIASES);
    pluginIndexes.set(checkFields, index);
  }
  return index;
}

/** Fields every kind shares: they never decide the kind of a check. */
const COMMON_FIELDS: ReadonlySet<string> = new Set([
  'id', 'name', 'notes', 'service_id', 'status', 'token', 'interval', 'timeout',
  'deregister_critical_service_after', 'success_before_passing', 'failures_before_warning',
  'failures_before_critical', 'output_max_size', 'namespace', 'partition',
]);

const STRING_FIELDS = [
  'notes', 'token', 'script', 'shell', 'docker_container_id', 'http', 'method', 'body',
  'tls_server_name', 'tcp', 'udp', 'grpc', 'h2ping', 'os_service', 'alias_node', 'alias_service',
  'namespace', 'partition',
] as const;
const BOOL_FIELDS = ['disable_redirects', 'tls_skip_verify', 'tcp_use_tls', 'grpc_use_tls', 'h2ping_use_tls'] as const;

/** Kinds whose default per-run timeout is 30 s (Consul's script/docker checks); others get 10 s. */
const LONG_TIMEOUT_KINDS: ReadonlySet<string> = new Set(['script', 'docker']);

/** A check definition after normalization, validated, with its runner and parsed settings. */
export interface CheckSpec {
  /** Canonical snake_case definition, `id`/`name` (and `service_id` for service checks) filled in. */
  readonly def: CheckDefinition;
  readonly id: string;
  readonly name: string;
  /** '' for a node-level check. */
  readonly serviceId: string;
  readonly notes: string;
  /** The runner's kind (`http`, `ttl`, …). */
  readonly kind: string;
  readonly runner: CheckRunner;
  /** The runner again, when it is passive (TTL-like); undefined for probed (interval) checks. */
  readonly passive: PassiveCheckRunner | undefined;
  readonly origin: CheckOrigin;
  /** Probe interval (≥ 1 s) for interval checks; 0 for passive and reactive (alias) ones. */
  readonly intervalMs: number;
  /** Per-run timeout. */
  readonly timeoutMs: number;
  /**
   * HealthCheck.Interval / .Timeout as Consul shows them: Go's text of the durations as given
   * (before defaults and the 1 s floor). Consul leaves them '' when zero for a service's
   * embedded check, and prints `0s` for a check registered on its own.
   */
  readonly shownInterval: string;
  readonly shownTimeout: string;
  /** TTL for passive checks; 0 otherwise. */
  readonly ttlMs: number;
  /** deregister_critical_service_after (≥ 1 min), 0 when not set. */
  readonly deregisterAfterMs: number;
  /** The status the check starts in (`status`, default critical). */
  readonly initialStatus: CheckStatus;
  readonly successBeforePassing: number;
  /** Already defaulted to failuresBeforeCritical when not set, as Consul does. */
  readonly failuresBeforeWarning: number;
  readonly failuresBeforeCritical: number;
  readonly outputMaxSize: number;
}

/** What normalization needs: the loaded runners, where the definition comes from, a warning sink. */
export interface CheckContext {
  readonly runners: ReadonlyMap<string, CheckRunner>;
  readonly origin: CheckOrigin;
  /** Non-fatal adjustments (an interval raised to 1 s …). */
  readonly warn?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * Check-definition fields the loaded plugins add (PluginManifest.checkFields, merged): any
   * spelling of one (`FileExists`, `fileexists`) folds to its snake_case name, and its value is
   * validated with its schema.
   */
  readonly checkFields?: CheckFieldSchemas;
}

/** Where a check sits: inside a service definition (auto id and name), or on its own. */
export interface CheckPlacement {
  readonly serviceId?: string;
  readonly serviceName?: string;
  /** `service:<id>` or `service:<id>:<n>`, used when the definition has no id. */
  readonly autoId?: string;
}

/** Parses a status value: passing, warning or critical. */
export function parseCheckStatus(v: unknown, prefix: string): CheckStatus | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === 'passing' || v === 'warning' || v === 'critical') return v;
  throw badDefinition(`${prefix}status must be one of passing, warning or critical, not ${JSON.stringify(v)}`);
}

function headerField(o: Record<string, unknown>, prefix: string): Record<string, string[]> | undefined {
  const v = o['header'];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw badDefinition(`${prefix}header must be an object of string lists`);
  const out: Record<string, string[]> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') out[k] = [x];
    else if (Array.isArray(x) && x.every((s) => typeof s === 'string')) out[k] = [...(x as string[])];
    else throw badDefinition(`${prefix}header[${JSON.stringify(k)}] must be a list of strings`);
  }
  return out;
}

function pickRunner(def: CheckDefinition, runners: ReadonlyMap<string, CheckRunner>): CheckRunner | undefined {
  const accepting = [...runners.values()].filter((r) => {
    try {
      return r.accepts(def);
    } catch {
      return false;
    }
  });
  if (accepting.length <= 1) return accepting[0];
  // Consul tests IsTTL() first: a passive runner wins. `args` also appears in docker checks:
  // prefer any kind over the generic script one.
  const passive = accepting.find((r) => isPassiveCheckRunner(r));
  if (passive) return passive;
  // An alias field beside a probing kind's field: the alias runner refuses it, as Consul does.
  const reactive = accepting.find((r) => isReactiveCheckRunner(r));
  if (reactive) return reactive;
  const specific = accepting.filter((r) => r.kind !== 'script');
  return specific[0] ?? accepting[0];
}

function unknownKind(def: Record<string, unknown>, runners: ReadonlyMap<string, CheckRunner>, prefix: string): Error {
  const candidates = Object.keys(def).filter((k) => !COMMON_FIELDS.has(k));
  const loaded = [...runners.keys()].sort().join(', ') || 'none';
  if (candidates.length === 0) {
    return badDefinition(`${prefix}the check has no kind: give one of the loaded check kinds' fields (${loaded}), e.g. "http" with "interval", or "ttl"`);
  }
  return badDefinition(`${prefix}unknown check kind: no loaded check runner accepts ${candidates.map((c) => JSON.stringify(c)).join(', ')} (loaded check kinds: ${loaded})`);
}

/**
 * Normalizes one check definition from the HTTP API (any key case) or a config file
 * (snake_case): keys folded to snake_case, id/name defaulted (`service:<id>[:<n>]`,
 * `Service '<name>' check` inside a service; id = name on its own), durations parsed
 * (interval < 1 s raised to 1 s and deregister_critical_service_after < 1 min raised to 1 min,
 * as Consul does), plugins' fields (ctx.checkFields) checked against their schemas, the kind
 * found by asking each runner `accepts`, then the runner's own `validate`. Throws BAD_REQUEST naming the field on any problem.
 */
export function normalizeCheck(raw: unknown, ctx: CheckContext, placement: CheckPlacement = {}): CheckSpec {
  const prefix = 'Invalid check: ';
  if (!isPlainObject(raw)) throw badDefinition(`${prefix}a check definition must be a JSON object`);
  const o = canonicalizeKeys(raw, keyIndex(ctx.checkFields));
  if (ctx.checkFields) {
    const [problem] = validateCheckFieldValues(ctx.checkFields, o, '');
    if (problem) throw badDefinition(`${prefix}${(problem.pointer ?? '').slice(1)} ${problem.message}`);
  }

  const inService = placement.serviceId !== undefined;
  let id = optString(o, 'id', prefix) ?? '';
  let name = optString(o, 'name', prefix) ?? '';
  if (inService) {
    if (id === '') id = placement.autoId ?? `service:${placement.serviceId}`;
    if (name === '') name = `Service '${placement.serviceName ?? placement.serviceId}' check`;
  } else {
    if (name === '') throw badDefinition('Missing check name');
    if (id === '') id = name;
  }
  const serviceId = inService ? (placement.serviceId ?? '') : (optString(o, 'service_id', prefix) ?? '');
  const status = parseCheckStatus(o['status'], prefix);
  for (const f of STRING_FIELDS) optString(o, f, prefix);
  for (const f of BOOL_FIELDS) optBool(o, f, prefix);
  const args = optStringList(o, 'args', prefix);
  const header = headerField(o, prefix);
  const interval = optDuration(o, 'interval', prefix);
  const timeout = optDuration(o, 'timeout', prefix);
  const ttl = optDuration(o, 'ttl', prefix);
  const dereg = optDuration(o, 'deregister_critical_service_after', prefix);
  const successBeforePassing = optInt(o, 'success_before_passing', prefix) ?? 0;
  const failuresBeforeCritical = optInt(o, 'failures_before_critical', prefix) ?? 0;
  const failuresBeforeWarning = optInt(o, 'failures_before_warning', prefix) || failuresBeforeCritical;
  const outputMaxSize = optInt(o, 'output_max_size', prefix) || DEFAULT_OUTPUT_MAX_SIZE;

  let intervalMs = interval?.ms ?? 0;
  let intervalText = interval?.text;
  if (interval && intervalMs > 0 && intervalMs < MIN_INTERVAL_MS) {
    ctx.warn?.('check has interval below minimum', { check: id, minimum_interval: '1s' });
    intervalMs = MIN_INTERVAL_MS;
    intervalText = '1s';
  }
  let deregisterAfterMs = dereg?.ms ?? 0;
  let deregText = dereg?.text;
  if (dereg && deregisterAfterMs > 0 && deregisterAfterMs < MIN_DEREGISTER_AFTER_MS) {
    ctx.warn?.('check has deregister interval below minimum', { check: id, minimum_interval: '1m0s' });
    deregisterAfterMs = MIN_DEREGISTER_AFTER_MS;
    deregText = '1m0s';
  }

  const def: Record<string, unknown> = { ...o, id, name };
  delete def['check_id'];
  if (serviceId !== '') def['service_id'] = serviceId;
  else delete def['service_id'];
  if (status) def['status'] = status;
  if (args) def['args'] = args;
  if (header) def['header'] = header;
  for (const [k, v] of [['interval', intervalText], ['timeout', timeout?.text], ['ttl', ttl?.text], ['deregister_critical_service_after', deregText]] as const) {
    if (v === undefined) delete def[k];
    else def[k] = v;
  }
  for (const k of Object.keys(def)) if (def[k] === null) delete def[k];
  const frozen = Object.freeze(def) as CheckDefinition;

  const runner = pickRunner(frozen, ctx.runners);
  if (!runner) throw unknownKind(def, ctx.runners, prefix);
  const passive = isPassiveCheckRunner(runner) ? runner : undefined;
  const reactive = isReactiveCheckRunner(runner);
  if (passive) {
    if (interval && intervalMs > 0) throw badDefinition(`${prefix}interval and ttl cannot both be specified`);
  } else if (!reactive && !(intervalMs > 0)) {
    throw badDefinition(`${prefix}interval is required for ${runner.kind} checks (and must be > 0)`);
  }
  const reason = runner.validate(frozen, ctx.origin);
  if (reason !== undefined) throw badDefinition(reason);
  let ttlMs = 0;
  if (passive) {
    ttlMs = passive.ttlMs(frozen);
    if (!(ttlMs > 0)) throw badDefinition(`${prefix}ttl must be > 0 for ${runner.kind} checks`);
  }
  const timeoutMs = timeout && timeout.ms > 0 ? timeout.ms : LONG_TIMEOUT_KINDS.has(runner.kind) ? 30_000 : 10_000;
  const shown = (d: { ms: number } | undefined): string => {
    const ms = d?.ms ?? 0;
    if (ms === 0 && inService) return '';
    return formatGoDuration(BigInt(Math.round(ms * 1e6)));
  };

  return {
    def: frozen,
    id,
    name,
    serviceId,
    notes: typeof o['notes'] === 'string' ? o['notes'] : '',
    kind: runner.kind,
    runner,
    passive,
    origin: ctx.origin,
    intervalMs: passive || reactive ? 0 : intervalMs,
    timeoutMs,
    shownInterval: shown(interval),
    shownTimeout: shown(timeout),
    ttlMs,
    deregisterAfterMs,
    initialStatus: status ?? 'critical',
    successBeforePassing,
    failuresBeforeWarning,
    failuresBeforeCritical,
    outputMaxSize,
  };
}
