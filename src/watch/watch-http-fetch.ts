import type { HttpClient } from '../cli/http-client.js';
import { UnexpectedResponseError } from '../cli/http-client.js';
import { eventsSince } from './event-watch.js';
import type { WatchFetch } from './watch-plan.js';
import type { WatchSpec } from './watch-types.js';
import { watchRequest, watchResult } from './watch-types.js';

function encodeQuery(pairs: readonly (readonly [string, string | true])[]): string {
  return pairs.map(([k, v]) => (v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
}

/**
 * The WatchFetch of a spec against an agent's HTTP API: the endpoint Consul's api client calls,
 * with `?index=` once an index is held (a blocking read; the agent's default wait), the answer's
 * X-Consul-Index, and the body shaped by watchResult (an event watch's list pruned to the events
 * after the one `index` names, see eventsSince). A KV 404 is a null result; any other
 * non-2xx rejects with UnexpectedResponseError. `client` must carry no datacenter or stale
 * option of its own (the spec's are sent).
 */
export function httpWatchFetch(client: HttpClient, spec: WatchSpec): WatchFetch {
  const req = watchRequest(spec);
  return async (index, signal) => {
    const pairs = index > 0n ? [...req.query, ['index', index.toString()] as const] : req.query;
    const q = encodeQuery(pairs);
    const res = await client.request('GET', q === '' ? req.path : `${req.path}?${q}`, { signal });
    const header = res.headers['x-consul-index'];
    const idx = typeof header === 'string' && /^\d+$/.test(header) ? BigInt(header) : 0n;
    if (res.status === 404 && req.notFoundIsEmpty) return { index: idx, result: null };
    if (res.status < 200 || res.status >= 300) throw new UnexpectedResponseError(res.status, res.body.toString('utf8'));
    const body: unknown = res.body.length === 0 ? null : JSON.parse(res.body.toString('utf8'));
    const result = watchResult(spec, body);
    return { index: idx, result: spec.type === 'event' ? eventsSince(result, index) : result };
  };
}
