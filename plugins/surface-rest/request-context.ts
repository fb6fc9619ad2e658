import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { QueryOptions, RequestContext } from '../../contracts/model/query.js';
import { parseGoDuration } from 'sextant/plugin-sdk';
import { CONFLICTING_CONSISTENCY, effectiveWaitMs, parseConsistency, parseIndex, parseWaitMs } from './query-options.js';
import type { RequestScope } from './request-scope.js';

/**
 * The request context of one HTTP request (Consul's parseDC, parseToken, parseConsistency,
 * parseWait, `?near`, `?filter`), parsed once per request and handed to every service call. The
 * datacenter is only carried here: the RPC layer's forward step checks it.
 */

/**
 * Who asks and for which datacenter: `?dc`, and the token from `?token`, else `X-Consul-Token`,
 * else `Authorization: Bearer <token>` (Consul's parseTokenInternal). Never fails.
 */
export function writeContext(scope: RequestScope): RequestContext {
  return (scope.writeContext ??= { datacenter: scope.query.get('dc') ?? '', token: tokenOf(scope) });
}

/**
 * A read's full context: the write context plus consistency (`?stale`, `?consistent`,
 * `?max_stale`, and discovery_max_stale on catalog/health paths without a consistency parameter), blocking (`?index`, `?wait`: clamped and jittered as Consul's server does),
 * `?near`, `?filter`, and the connection's abort signal. Errors, in Consul's order: 400
 * `Invalid max_stale value "…"`, conflicting consistency, `Invalid wait time`, `Invalid index`.
 */
export function requestContext(scope: RequestScope): QueryOptions {
  if (scope.readContext) return scope.readContext;
  const q = scope.query;
  const { config, random } = scope.deps;
  let maxStaleMs = parseMaxStale(q);
  let consistency = parseConsistency(q);
  // A positive ?max_stale allows stale reads (Consul sets AllowStale), so it conflicts with ?consistent too.
  if (maxStaleMs !== undefined && maxStaleMs > 0) {
    if (consistency === 'consistent') throw new SextantError(ErrorCode.ConflictingConsistency, CONFLICTING_CONSISTENCY);
    consistency = 'stale';
  } else if (!q.has('stale') && !q.has('consistent') && !q.has('leader') && discoveryPath(scope.ctx.path)) {
    // Consul's parseConsistency: with no consistency parameter, discovery_max_stale makes a
    // catalog/health read stale, re-done on the leader when older than it.
    const discovery = config.discoveryMaxStaleMs ?? 0;
    if (discovery > 0) {
      consistency = 'stale';
      maxStaleMs = discovery;
    }
  }
  const waitMs = parseWaitMs(q);
  const minIndex = parseIndex(q);
  const { datacenter, token } = writeContext(scope);
  const opts: { -readonly [K in keyof QueryOptions]: QueryOptions[K] } = {
    datacenter,
    token,
    consistency,
    minIndex,
    waitMs: effectiveWaitMs(waitMs, config, random),
    signal: scope.signal,
  };
  if (maxStaleMs !== undefined) opts.maxStaleMs = maxStaleMs;
  const near = q.get('near');
  // Consul's parseSource: `_agent` is this agent's node name.
  if (near) opts.near = near === '_agent' ? scope.deps.config.nodeName : near;
  const filter = q.get('filter');
  if (filter) opts.filter = filter;
  return (scope.readContext = opts);
}

/** Consul applies discovery_max_stale to paths starting /v1/catalog or /v1/health. */
function discoveryPath(path: string): boolean {
  return path.startsWith('/v1/catalog') || path.startsWith('/v1/health');
}

/** `?max_stale` in ms; 400 `Invalid max_stale value "<v>"` when not a Go duration. */
function parseMaxStale(q: URLSearchParams): number | undefined {
  const raw = q.get('max_stale');
  if (raw === null || raw === '') return undefined;
  try {
    return Number(parseGoDuration(raw) / 1_000_000n);
  } catch {
    throw new SextantError(ErrorCode.BadRequest, `Invalid max_stale value ${JSON.stringify(raw)}`);
  }
}

/** Consul's parseTokenInternal: `?token`, then `X-Consul-Token`, then `Authorization: Bearer <token>`; '' when none. */
function tokenOf(scope: RequestScope): string {
  const fromQuery = scope.query.get('token');
  if (fromQuery) return fromQuery;
  const headers = scope.ctx.req.headers;
  const header = headers['x-consul-token'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader;
  const auth = headers.authorization;
  if (!auth) return '';
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return '';
  return parts.slice(1).join(' ').trim().split(' ')[0]!.trim();
}
