/**
 * The app's only way to the agent: its public HTTP API (/v1/...), relative to the page's origin,
 * so the UI works the same on a server or a client agent. Every request names the datacenter.
 */

/** A failed request, as the views show it. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the agent could not be reached at all. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** A one-line explanation for a person. */
  describe(): string {
    if (this.status === 0) return 'The agent is unreachable. Retrying…';
    if (this.status === 403) return `Permission denied (403): ${this.message || 'the ACL token does not allow this'}`;
    return `The agent answered ${this.status}: ${this.message}`;
  }
}

/** An answer: its body (parsed JSON, or null for a 404) and X-Consul-Index (0 when absent). */
export interface ApiAnswer<T> {
  readonly data: T | null;
  readonly index: number;
}

/** `/v1/<path>?<params>&dc=<dc>`; `params` values of `true` become bare flags (`?recurse`). */
export function apiUrl(path: string, dc: string, params: Record<string, string | number | boolean | undefined> = {}): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === false) continue;
    parts.push(v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  parts.push(`dc=${encodeURIComponent(dc)}`);
  return `/v1/${path}?${parts.join('&')}`;
}

/** `segment` percent-encoded for a path, keeping `/` (KV keys). */
export function pathPart(segment: string): string {
  return segment.split('/').map(encodeURIComponent).join('/');
}

/**
 * One request. 2xx: the JSON body (text bodies are returned as strings); 404: data null (a KV
 * key or folder that is not there); anything else throws ApiError with the agent's text.
 */
export async function request<T>(method: string, url: string, opts: { body?: string; signal?: AbortSignal } = {}): Promise<ApiAnswer<T>> {
  let res: Response;
  try {
    res = await fetch(url, { method, body: opts.body, signal: opts.signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new ApiError(0, (e as Error).message);
  }
  const index = Number(res.headers.get('X-Consul-Index') ?? 0) || 0;
  const text = await res.text();
  if (res.status === 404) return { data: null, index };
  if (!res.ok) throw new ApiError(res.status, text.trim());
  if (text === '') return { data: null, index };
  const type = res.headers.get('Content-Type') ?? '';
  return { data: (type.includes('json') ? JSON.parse(text) : text) as T, index };
}
