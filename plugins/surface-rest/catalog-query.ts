import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { CatalogApi, CatalogFilter, HealthApi } from '../../contracts/services/catalog-service.js';
import type { RequestScope } from './request-scope.js';

/**
 * Query parameters shared by the catalog and health reads (Consul's parseMetaFilter,
 * `?tag`, `?filter`, `?passing`), and access to the catalog services of the surface.
 */

/** `?node-meta=k:v` (repeatable; all must match; split at the first `:`, a bare key means an empty value) and `?filter`. */
export function parseCatalogFilter(q: URLSearchParams): CatalogFilter {
  const out: CatalogFilter = {};
  const metas = q.getAll('node-meta');
  if (metas.length > 0) {
    const nodeMeta: Record<string, string> = {};
    for (const m of metas) {
      const at = m.indexOf(':');
      if (at < 0) nodeMeta[m] = '';
      else nodeMeta[m.slice(0, at)] = m.slice(at + 1);
    }
    out.nodeMeta = nodeMeta;
  }
  const filter = q.get('filter');
  if (filter !== null && filter !== '') out.filter = filter;
  return out;
}

/** Every `?tag` value (repeatable, AND). */
export function parseTags(q: URLSearchParams): string[] {
  return q.getAll('tag');
}

/** `?passing`: bare or empty → true; otherwise a Go bool (`true`, `false`, `1`, `0`, `t`, `f`, …); else 400 `Invalid value for ?passing`. */
export function parsePassing(q: URLSearchParams): boolean {
  if (!q.has('passing')) return false;
  const v = q.get('passing') ?? '';
  if (v === '') return true;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new SextantError(ErrorCode.BadRequest, 'Invalid value for ?passing');
}

/** The surface's CatalogApi (NOT_IMPLEMENTED when the agent was built without one). */
export function catalogOf(scope: RequestScope): CatalogApi {
  const c = scope.deps.catalog;
  if (!c) throw new SextantError(ErrorCode.NotImplemented, 'the catalog is not available on this agent');
  return c;
}

/** The surface's HealthApi (NOT_IMPLEMENTED when the agent was built without one). */
export function healthOf(scope: RequestScope): HealthApi {
  const h = scope.deps.health;
  if (!h) throw new SextantError(ErrorCode.NotImplemented, 'the health endpoints are not available on this agent');
  return h;
}
