import { ErrorCode, SextantError } from '../../contracts/errors.js';

/**
 * The watch types of Consul's api/watch package (funcs.go) and the parameters each takes, parsed
 * with Consul's errors. connect_* and agent_service are not offered.
 */

export const WATCH_TYPES = ['key', 'keyprefix', 'services', 'nodes', 'service', 'checks', 'event'] as const;
export type WatchType = (typeof WATCH_TYPES)[number];

/** A parsed watch: what to query, and for whom. */
export interface WatchSpec {
  readonly type: WatchType;
  readonly key?: string;
  readonly prefix?: string;
  readonly service?: string;
  readonly tags: readonly string[];
  readonly passingOnly: boolean;
  readonly state?: string;
  readonly name?: string;
  readonly stale: boolean;
  readonly datacenter?: string;
  readonly token?: string;
}

/** One blocking read a watch makes: the path (escaped) and the query besides `index`. */
export interface WatchRequest {
  readonly path: string;
  /** Query parameters in order (repeatable: several `tag`s); `true` is a bare flag. */
  readonly query: readonly (readonly [string, string | true])[];
  /** KV watches: a 404 is "no key" (null, Go's nil pair or slice), not an error. */
  readonly notFoundIsEmpty: boolean;
}

function bad(message: string): SextantError {
  return new SextantError(ErrorCode.ConfigInvalid, message);
}

function takeString(params: Map<string, unknown>, key: string): string | undefined {
  if (!params.has(key)) return undefined;
  const v = params.get(key);
  params.delete(key);
  if (typeof v !== 'string') throw bad(`Expecting ${key} to be a string`);
  return v;
}

function takeBool(params: Map<string, unknown>, key: string): boolean {
  if (!params.has(key)) return false;
  const v = params.get(key);
  params.delete(key);
  if (typeof v !== 'boolean') throw bad(`Expecting ${key} to be a boolean`);
  return v;
}

function takeStrings(params: Map<string, unknown>, key: string): string[] {
  if (!params.has(key)) return [];
  const v = params.get(key);
  params.delete(key);
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw bad(`Expecting ${key} to be a string or an array of strings`);
}

/**
 * Parses watch parameters as Consul's watch.ParseExempt does: `type` is required and known,
 * each type's required key is present (Consul's texts: `Must specify a single key to watch`,
 * `Cannot specify service and state`, ...), and any parameter neither consumed nor in `exempt`
 * is refused (`Invalid parameters: [x]`). Throws SextantError CONFIG_INVALID.
 */
export function parseWatchParams(raw: Readonly<Record<string, unknown>>, exempt: readonly string[] = []): WatchSpec {
  const params = new Map(Object.entries(raw).filter(([k]) => !exempt.includes(k)));
  const type = takeString(params, 'type') ?? '';
  if (type === '') throw bad('Watch type must be specified');
  const datacenter = takeString(params, 'datacenter');
  const token = takeString(params, 'token');
  if (!(WATCH_TYPES as readonly string[]).includes(type)) throw bad(`Unsupported watch type: ${type}`);
  const base = { type: type as WatchType, tags: [] as string[], passingOnly: false, stale: false, ...(datacenter ? { datacenter } : {}), ...(token ? { token } : {}) };
  let spec: WatchSpec;
  switch (type as WatchType) {
    case 'key': {
      const stale = takeBool(params, 'stale');
      const key = takeString(params, 'key') ?? '';
      if (key === '') throw bad('Must specify a single key to watch');
      spec = { ...base, stale, key };
      break;
    }
    case 'keyprefix': {
      const stale = takeBool(params, 'stale');
      const prefix = takeString(params, 'prefix') ?? '';
      if (prefix === '') throw bad('Must specify a single prefix to watch');
      spec = { ...base, stale, prefix };
      break;
    }
    case 'services':
    case 'nodes':
      spec = { ...base, stale: takeBool(params, 'stale') };
      break;
    case 'service': {
      const stale = takeBool(params, 'stale');
      const service = takeString(params, 'service') ?? '';
      if (service === '') throw bad('Must specify a single service to watch');
      const tags = takeStrings(params, 'tag');
      const passingOnly = takeBool(params, 'passingonly');
      spec = { ...base, stale, service, tags, passingOnly };
      break;
    }
    case 'checks': {
      const stale = takeBool(params, 'stale');
      const service = takeString(params, 'service') ?? '';
      let state = takeString(params, 'state') ?? '';
      if (service !== '' && state !== '') throw bad('Cannot specify service and state');
      if (service === '' && state === '') state = 'any';
      const tags = takeStrings(params, 'tag');
      spec = { ...base, stale, tags, ...(service !== '' ? { service } : {}), ...(state !== '' ? { state } : {}) };
      break;
    }
    case 'event': {
      const name = takeString(params, 'name');
      spec = { ...base, ...(name ? { name } : {}) };
      break;
    }
  }
  if (params.size > 0) throw bad(`Invalid parameters: [${[...params.keys()].join(' ')}]`);
  return spec;
}

const seg = (s: string): string => s.split('/').map(encodeURIComponent).join('/');

/** The HTTP read behind a watch (the same endpoints Consul's api client calls). */
export function watchRequest(spec: WatchSpec): WatchRequest {
  const common: (readonly [string, string | true])[] = [];
  if (spec.datacenter) common.push(['dc', spec.datacenter]);
  if (spec.stale) common.push(['stale', true]);
  switch (spec.type) {
    case 'key':
      return { path: `/v1/kv/${seg(spec.key ?? '')}`, query: common, notFoundIsEmpty: true };
    case 'keyprefix':
      return { path: `/v1/kv/${seg(spec.prefix ?? '')}`, query: [...common, ['recurse', true]], notFoundIsEmpty: true };
    case 'services':
      return { path: '/v1/catalog/services', query: common, notFoundIsEmpty: false };
    case 'nodes':
      return { path: '/v1/catalog/nodes', query: common, notFoundIsEmpty: false };
    case 'service': {
      // Consul's ServiceMultipleTags: every tag as a repeated ?tag, ?passing for passingonly.
      const q: (readonly [string, string | true])[] = [...common, ...spec.tags.map((t) => ['tag', t] as const)];
      if (spec.passingOnly) q.push(['passing', true]);
      return { path: `/v1/health/service/${encodeURIComponent(spec.service ?? '')}`, query: q, notFoundIsEmpty: false };
    }
    case 'checks':
      if (spec.state !== undefined) {
        return { path: `/v1/health/state/${encodeURIComponent(spec.state)}`, query: [...common, ...spec.tags.map((t) => ['tag', t] as const)], notFoundIsEmpty: false };
      }
      return { path: `/v1/health/checks/${encodeURIComponent(spec.service ?? '')}`, query: common, notFoundIsEmpty: false };
    case 'event':
      // Consul's event.List: the agent's recent events, `?name=` when one is given (stale does not apply).
      return { path: '/v1/event/list', query: [...common, ...(spec.name ? [['name', spec.name] as const] : [])], notFoundIsEmpty: false };
  }
}

const KV_FIELDS = ['Key', 'CreateIndex', 'ModifyIndex', 'LockIndex', 'Flags', 'Value', 'Session'] as const;

function kvPair(p: unknown): unknown {
  if (typeof p !== 'object' || p === null) return p;
  const r = p as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of KV_FIELDS) out[f] = r[f] ?? (f === 'Session' ? '' : f === 'Value' ? null : r[f]);
  for (const [k, v] of Object.entries(r)) if (!(k in out) && v !== '' && v !== undefined) out[k] = v;
  return out;
}

function sortKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The result a handler gets, shaped as the Go api value Consul's watch hands it: a key watch's
 * single KVPair (or null when the key is absent), a prefix's pairs (null when none), the
 * services map with its keys sorted (Go marshals maps sorted), the other types as served.
 */
export function watchResult(spec: WatchSpec, body: unknown): unknown {
  switch (spec.type) {
    case 'key':
      return Array.isArray(body) && body.length > 0 ? kvPair(body[0]) : null;
    case 'keyprefix':
      return Array.isArray(body) && body.length > 0 ? body.map(kvPair) : null;
    case 'services':
      return sortKeys(body);
    default:
      return body;
  }
}

/**
 * Go's encoding/json output: HTML-sensitive characters and U+2028/U+2029 escaped as Go escapes
 * them. `indent` is MarshalIndent's (the CLI's print uses four spaces); without it, the compact
 * form plus a newline that json.Encoder writes to a handler's stdin.
 */
export function goJson(value: unknown, indent?: string): string {
  const text = indent === undefined ? JSON.stringify(value ?? null) + '\n' : JSON.stringify(value ?? null, null, indent);
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
