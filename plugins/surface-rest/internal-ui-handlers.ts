import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { InternalUiApi } from '../../contracts/services/internal-ui-service.js';
import { blockingRead } from './blocking-read.js';
import { parseCatalogFilter } from './catalog-query.js';
import { encodeRecordsJson } from './json-encode.js';
import type { RequestScope } from './request-scope.js';

/**
 * /v1/internal/ui/services and /v1/internal/ui/nodes — Consul's UI endpoints (agent/ui_endpoint.go
 * UIServices, UINodes): one blocking read per list, with the standard headers, `?dc`, `?filter`
 * and the consistency modes. As Consul's, a read that finds no cluster leader is re-done once
 * as stale.
 */

const records = { encode: encodeRecordsJson };

/** The surface's InternalUiApi (NOT_IMPLEMENTED when the agent was built without one). */
function internalUiOf(scope: RequestScope): InternalUiApi {
  const ui = scope.deps.internalUi;
  if (!ui) throw new SextantError(ErrorCode.NotImplemented, 'the UI endpoints are not available on this agent');
  return ui;
}

/** Runs `read`, and once more allowing stale data when it failed for want of a leader (Consul's `goto RPC`). */
async function staleWithoutLeader<T>(opts: QueryOptions, read: (o: QueryOptions) => Promise<QueryResult<T>>): Promise<QueryResult<T>> {
  try {
    return await read(opts);
  } catch (err) {
    if (opts.consistency === 'stale' || !isSextantError(err) || err.code !== ErrorCode.NoLeader) throw err;
    return read({ ...opts, consistency: 'stale' });
  }
}

/** GET /v1/internal/ui/services — one summary per service name (tags, nodes, instance count, check counts). */
export const getUiServices = blockingRead((scope, opts) => {
  const f = parseCatalogFilter(scope.query);
  return staleWithoutLeader(opts, (o) => internalUiOf(scope).serviceSummaries(f, o));
}, records);

/** GET /v1/internal/ui/nodes — every node with its services and checks. */
export const getUiNodes = blockingRead((scope, opts) => {
  const f = parseCatalogFilter(scope.query);
  return staleWithoutLeader(opts, (o) => internalUiOf(scope).nodeDump(f, o));
}, records);
