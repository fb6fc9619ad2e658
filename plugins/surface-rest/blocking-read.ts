import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import { checkDatacenter, parseQueryOptions } from './query-options.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson, setQueryMeta } from './respond.js';

/**
 * A GET handler for a blocking-capable read: parses `?index`/`?wait`/`?stale`/`?consistent`,
 * checks `?dc`, runs `read`, sets X-Consul-Index & co. and sends the value as JSON — passed
 * through `shape` first when the wire form differs from the service's answer.
 */
export function blockingRead<T>(read: (scope: RequestScope, opts: QueryOptions) => Promise<QueryResult<T>>, shape?: (value: T) => unknown): Handler {
  return async (scope) => {
    const { ctx, query: q, deps } = scope;
    const opts = parseQueryOptions(q, deps.config, deps.random, scope.signal);
    checkDatacenter(q, deps.config);
    const res = await read(scope, opts);
    setQueryMeta(ctx, res.meta, opts.consistency);
    sendJson(scope, shape ? shape(res.value) : res.value);
  };
}
