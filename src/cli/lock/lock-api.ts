import { escapeKeyPath, requireOk, UnexpectedResponseError } from '../http-client.js';
import type { HttpClient, HttpResponse, QueryValues } from '../http-client.js';
import { parseJsonLossless } from '../lossless-json.js';

/**
 * The agent calls the lock and semaphore recipes make (Consul's api.KV and api.Session, reduced
 * to what api/lock.go and api/semaphore.go use), behind an interface so the recipes can be
 * driven by a fake in unit tests.
 */

/** A KV entry as the recipes see it: Value decoded from base64, Flags exact (uint64). */
export interface LockKvPair {
  readonly key: string;
  readonly flags: bigint;
  /** Empty when the entry has no value (`"Value": null`). */
  readonly value: Buffer;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
  /** '' when no session holds the key. */
  readonly session: string;
}

/** Blocking-read options (Consul's QueryOptions subset). */
export interface LockReadOptions {
  /** X-Consul-Index to block on; 0 or absent: answer at once. */
  readonly index?: number;
  /** Upper bound of the block, in ms (sent as `?wait=<n>ms`). */
  readonly waitMs?: number;
  /** `?consistent`. */
  readonly consistent?: boolean;
  /** Aborts the read (the promise rejects). */
  readonly signal?: AbortSignal;
}

/** A read's answer: the data and the X-Consul-Index to block on next. */
export interface LockRead<T> {
  readonly value: T;
  readonly index: number;
}

/** The session fields a lock creates its session with. */
export interface LockSessionRequest {
  readonly Name: string;
  readonly TTL: string;
  readonly Behavior?: 'release' | 'delete';
  /** A Go duration string; omitted ⇒ the agent's default (15s). */
  readonly LockDelay?: string;
}

/** What the recipes need from the agent. */
export interface LockApi {
  /** Creates a session; resolves with its ID. */
  createSession(req: LockSessionRequest): Promise<string>;
  /** Renews a session; resolves with its TTL string, or null when the session is gone (404). */
  renewSession(id: string): Promise<string | null>;
  /** Destroys a session (true even when it did not exist). */
  destroySession(id: string): Promise<void>;
  /** The entry at `key` (null when missing), blocking per `opts`. */
  get(key: string, opts?: LockReadOptions): Promise<LockRead<LockKvPair | null>>;
  /** Every entry under `prefix` ([] when none), blocking per `opts`. */
  list(prefix: string, opts?: LockReadOptions): Promise<LockRead<LockKvPair[]>>;
  /** `PUT ?acquire=<session>&flags=<flags>`; resolves with the agent's answer. */
  acquire(key: string, value: Uint8Array, flags: bigint, session: string): Promise<boolean>;
  /** `PUT ?release=<session>&flags=<flags>`; resolves with the agent's answer. */
  release(key: string, value: Uint8Array, flags: bigint, session: string): Promise<boolean>;
  /** `PUT ?cas=<index>&flags=<flags>` (index 0: create only); resolves with the agent's answer. */
  cas(key: string, value: Uint8Array, flags: bigint, index: number): Promise<boolean>;
  /** `DELETE` the key. */
  delete(key: string): Promise<void>;
  /** `DELETE ?cas=<index>`; resolves with the agent's answer. */
  deleteCas(key: string, index: number): Promise<boolean>;
  /** The agent's node name (GET /v1/agent/self), which also proves the agent answers. */
  nodeName(): Promise<string>;
}

/**
 * Consul's api.IsRetryableError: a transport error (the agent did not answer) or a 500 —
 * what a lock monitor may ride out with -monitor-retry.
 */
export function isRetryableError(e: unknown): boolean {
  if (e instanceof UnexpectedResponseError) return e.status === 500;
  return e instanceof Error && !(e.name === 'AbortError');
}

function toPair(e: Record<string, unknown>): LockKvPair {
  const v = e['Value'];
  return {
    key: String(e['Key'] ?? ''),
    flags: BigInt((e['Flags'] as number | bigint | undefined) ?? 0),
    value: typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0),
    createIndex: Number(e['CreateIndex'] ?? 0),
    modifyIndex: Number(e['ModifyIndex'] ?? 0),
    lockIndex: Number(e['LockIndex'] ?? 0),
    session: String(e['Session'] ?? ''),
  };
}

function indexOf(res: HttpResponse): number {
  const h = res.headers['x-consul-index'];
  const n = Number(Array.isArray(h) ? h[0] : h);
  return Number.isFinite(n) ? n : 0;
}

function readQuery(opts: LockReadOptions, extra: QueryValues = {}): QueryValues {
  return {
    ...extra,
    index: opts.index !== undefined && opts.index > 0 ? opts.index : undefined,
    wait: opts.index !== undefined && opts.index > 0 && opts.waitMs !== undefined ? `${Math.max(1, Math.ceil(opts.waitMs))}ms` : undefined,
    consistent: opts.consistent === true,
  };
}

const kvPath = (key: string): string => `/v1/kv/${escapeKeyPath(key)}`;
const isTrue = (res: HttpResponse): boolean => requireOk(res).body.toString('utf8').trim() === 'true';

/** LockApi over the agent's HTTP API, through the CLI's HttpClient. */
export class HttpLockApi implements LockApi {
  constructor(private readonly client: HttpClient) {}

  /** PUT /v1/session/create. */
  async createSession(req: LockSessionRequest): Promise<string> {
    const res = requireOk(await this.client.request('PUT', '/v1/session/create', { body: Buffer.from(JSON.stringify(req)) }));
    return String((JSON.parse(res.body.toString('utf8')) as { ID: string }).ID);
  }

  /** PUT /v1/session/renew/:id — the TTL, or null on 404. */
  async renewSession(id: string): Promise<string | null> {
    const res = await this.client.request('PUT', `/v1/session/renew/${encodeURIComponent(id)}`);
    if (res.status === 404) return null;
    requireOk(res);
    const list = JSON.parse(res.body.toString('utf8')) as { TTL?: string }[] | null;
    return list && list.length > 0 ? String(list[0]!.TTL ?? '') : null;
  }

  /** PUT /v1/session/destroy/:id. */
  async destroySession(id: string): Promise<void> {
    requireOk(await this.client.request('PUT', `/v1/session/destroy/${encodeURIComponent(id)}`));
  }

  /** GET /v1/kv/:key (404 ⇒ null, with the index). */
  async get(key: string, opts: LockReadOptions = {}): Promise<LockRead<LockKvPair | null>> {
    const res = await this.client.request('GET', kvPath(key), { query: readQuery(opts), ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.status === 404) return { value: null, index: indexOf(res) };
    requireOk(res);
    const list = parseJsonLossless(res.body.toString('utf8')) as Record<string, unknown>[] | null;
    return { value: list && list.length > 0 ? toPair(list[0]!) : null, index: indexOf(res) };
  }

  /** GET /v1/kv/:prefix?recurse (404 ⇒ [], with the index). */
  async list(prefix: string, opts: LockReadOptions = {}): Promise<LockRead<LockKvPair[]>> {
    const res = await this.client.request('GET', kvPath(prefix), {
      query: readQuery(opts, { recurse: true }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.status === 404) return { value: [], index: indexOf(res) };
    requireOk(res);
    const list = (parseJsonLossless(res.body.toString('utf8')) as Record<string, unknown>[] | null) ?? [];
    return { value: list.map(toPair), index: indexOf(res) };
  }

  /** PUT ?acquire. */
  async acquire(key: string, value: Uint8Array, flags: bigint, session: string): Promise<boolean> {
    return isTrue(await this.client.request('PUT', kvPath(key), { query: { flags, acquire: session }, body: value }));
  }

  /** PUT ?release. */
  async release(key: string, value: Uint8Array, flags: bigint, session: string): Promise<boolean> {
    return isTrue(await this.client.request('PUT', kvPath(key), { query: { flags, release: session }, body: value }));
  }

  /** PUT ?cas. */
  async cas(key: string, value: Uint8Array, flags: bigint, index: number): Promise<boolean> {
    return isTrue(await this.client.request('PUT', kvPath(key), { query: { flags, cas: index }, body: value }));
  }

  /** DELETE. */
  async delete(key: string): Promise<void> {
    requireOk(await this.client.request('DELETE', kvPath(key)));
  }

  /** DELETE ?cas. */
  async deleteCas(key: string, index: number): Promise<boolean> {
    return isTrue(await this.client.request('DELETE', kvPath(key), { query: { cas: index } }));
  }

  /** GET /v1/agent/self → Config.NodeName. */
  async nodeName(): Promise<string> {
    const res = requireOk(await this.client.request('GET', '/v1/agent/self'));
    const self = JSON.parse(res.body.toString('utf8')) as { Config?: { NodeName?: string } };
    return String(self.Config?.NodeName ?? '');
  }
}
