import { HttpClient, requireOk } from '../http-client.js';

/**
 * GET helpers for the `catalog` commands. Query parameters are a list of pairs so repeatable
 * ones (`node-meta`) can repeat; ?dc and ?stale come from the client's options as usual.
 */

/** One query parameter: `true` sends it bare (`?stale`). */
export type QueryPair = readonly [string, string | true];

/** GETs `path` with `pairs` and parses the JSON answer; throws UnexpectedResponseError on a non-2xx. */
export async function catalogGet<T>(client: HttpClient, path: string, pairs: readonly QueryPair[]): Promise<T> {
  const all: QueryPair[] = [...pairs];
  if (client.options.datacenter) all.push(['dc', client.options.datacenter]);
  if (client.options.stale) all.push(['stale', true]);
  const qs = all.map(([k, v]) => (v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
  // The pairs already carry dc/stale: send through a client that does not add them again.
  const plain = new HttpClient({ addr: client.options.addr, ...(client.options.token ? { token: client.options.token } : {}) });
  const res = requireOk(await plain.request('GET', qs === '' ? path : `${path}?${qs}`));
  return JSON.parse(res.body.toString('utf8')) as T;
}

/** `-node-meta key:value` flags as repeated `node-meta` pairs (Consul's flags.FlagMapValue). */
export function nodeMetaPairs(values: readonly string[]): QueryPair[] {
  return values.map((v) => ['node-meta', v] as const);
}

/** Validates `-node-meta` values: each must be `key:value`. Returns the bad one, if any. */
export function badNodeMeta(values: readonly string[]): string | undefined {
  return values.find((v) => !v.includes(':'));
}

/** Consul's mapToKV: `k=v` pairs sorted by key, joined with `joiner`. */
export function mapToKv(m: Readonly<Record<string, string>> | null | undefined, joiner: string): string {
  if (!m) return '';
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${m[k]}`)
    .join(joiner);
}
