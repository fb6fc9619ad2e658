import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from './api.js';

/** What a view sees of one followed URL. */
export interface Followed<T> {
  /** The latest body (null: 404, e.g. an empty KV folder); undefined before the first answer. */
  readonly data: T | null | undefined;
  /** The last failure, cleared by the next success. */
  readonly error: ApiError | undefined;
  /** X-Consul-Index of `data`. */
  readonly index: number;
  /** When `data` arrived (performance.now()). */
  readonly at: number;
}

interface Subscription {
  state: Followed<unknown>;
  readonly listeners: Set<() => void>;
  controller: AbortController | undefined;
}

/** How long a blocking query parks on the agent (Consul's UI waits minutes too; the agent adds jitter). */
export const BLOCKING_WAIT = '5m';
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

const subscriptions = new Map<string, Subscription>();

/**
 * Follows `url` with Consul's blocking queries: the first read without an index, then
 * `index=<X-Consul-Index>&wait=5m` again and again, so a change shows as soon as the agent
 * answers. Never polls: one request is parked at a time per URL, however many views follow it
 * (they share it, ref-counted). After a failure (unreachable agent, 5xx) it retries with backoff,
 * keeping the last data and reporting the error. The last listener leaving aborts the request;
 * the data stays cached for the next view that follows the same URL.
 */
export function follow(url: string, listener: () => void): () => void {
  let sub = subscriptions.get(url);
  if (!sub) {
    sub = { state: { data: undefined, error: undefined, index: 0, at: 0 }, listeners: new Set(), controller: undefined };
    subscriptions.set(url, sub);
  }
  sub.listeners.add(listener);
  if (!sub.controller) {
    sub.controller = new AbortController();
    void run(url, sub, sub.controller.signal);
  }
  const s = sub;
  return () => {
    s.listeners.delete(listener);
    if (s.listeners.size === 0) {
      s.controller?.abort();
      s.controller = undefined;
    }
  };
}

/** The current state of a followed URL (undefined data when never read). */
export function snapshot<T>(url: string): Followed<T> {
  return (subscriptions.get(url)?.state ?? { data: undefined, error: undefined, index: 0, at: 0 }) as Followed<T>;
}

function publish(sub: Subscription, next: Followed<unknown>): void {
  sub.state = next;
  for (const l of [...sub.listeners]) l();
}

/** Browser timers: this is page code, not the agent (whose time comes from its Clock port). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = window.setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      window.clearTimeout(t);
      resolve();
    });
  });
}

async function run(url: string, sub: Subscription, signal: AbortSignal): Promise<void> {
  let index = 0;
  let retry = 0;
  const sep = url.includes('?') ? '&' : '?';
  while (!signal.aborted) {
    try {
      const answer = await request<unknown>('GET', index > 0 ? `${url}${sep}index=${index}&wait=${BLOCKING_WAIT}` : url, { signal });
      if (signal.aborted) return;
      retry = 0;
      if (index === 0 || answer.index !== index || sub.state.error !== undefined) {
        publish(sub, { data: answer.data, error: undefined, index: answer.index, at: performance.now() });
      }
      // Consul's rules for a client: an index going backwards (a restored snapshot) starts over;
      // an answer without one cannot block, so it is read once.
      if (answer.index === 0) return;
      index = answer.index < index ? 0 : answer.index;
    } catch (e) {
      if (signal.aborted) return;
      const error = e instanceof ApiError ? e : new ApiError(0, (e as Error).message);
      publish(sub, { ...sub.state, error });
      retry = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, retry * 2));
      index = 0;
      await pause(retry, signal);
    }
  }
}

/** A view's hook over follow(): re-renders on every change; `url` undefined follows nothing. */
export function useFollowed<T>(url: string | undefined): Followed<T> {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (url === undefined) return undefined;
    return follow(url, () => setTick((n) => n + 1));
  }, [url]);
  return url === undefined ? { data: undefined, error: undefined, index: 0, at: 0 } : snapshot<T>(url);
}

// A page being left (navigation, reload, back/forward cache) ends its parked queries at once: the
// browser allows six connections per agent, and a query left parked would hold one for minutes.
window.addEventListener('pagehide', () => {
  for (const sub of subscriptions.values()) {
    sub.controller?.abort();
    sub.controller = undefined;
  }
});
// Back from the back/forward cache: the views still on screen follow their URLs again.
window.addEventListener('pageshow', (e) => {
  if (!e.persisted) return;
  for (const [url, sub] of subscriptions) {
    if (sub.listeners.size === 0 || sub.controller) continue;
    sub.controller = new AbortController();
    void run(url, sub, sub.controller.signal);
  }
});
