import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { JsonEncoder } from './json-encode.js';
import { requestContext } from './request-context.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson, setQueryMeta } from './respond.js';

/** How a blocking read's answer goes on the wire. */
export interface BlockingReadOptions<T> {
  /** Turns the service's answer into the wire form when they differ. */
  shape?: (value: T) => unknown;
  /** The JSON encoder (default encodeJson; encodeRecordsJson for answers built from stored records). */
  encode?: JsonEncoder;
}

/**
 * A GET handler for a blocking-capable read: takes the request context (`?index`, `?wait`, `?stale`,
 * `?consistent`, `?dc`, the token, …), runs `read`, sets X-Consul-Index & co. and sends the value (through `shape`, if
 * given) as JSON.
 */
export function blockingRead<T>(read: (scope: RequestScope, opts: QueryOptions) => Promise<QueryResult<T>>, how: BlockingReadOptions<T> = {}): Handler {
  const { shape, encode } = how;
  return async (scope) => {
    const opts = requestContext(scope);
    const res = await read(scope, opts);
    setQueryMeta(scope.ctx, res.meta, opts.consistency);
    sendJson(scope, shape ? shape(res.value) : res.value, 200, encode);
  };
}
