import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FlagSpec, ParsedFlags } from './flag-parser.js';

/**
 * The HTTP client behind API-backed commands (Consul's `api` package, reduced): finds the agent
 * from `-http-addr`, then SEXTANT_HTTP_ADDR, then CONSUL_HTTP_ADDR, else http://127.0.0.1:8500;
 * accepts `http://`, `https://`, `unix:///path` and bare `host:port`; sends `-token` (default
 * SEXTANT_HTTP_TOKEN, then CONSUL_HTTP_TOKEN) as X-Consul-Token, `-datacenter` as ?dc on every
 * request and `-stale` as ?stale on reads.
 */

export const DEFAULT_HTTP_ADDR = 'http://127.0.0.1:8500';

/** The flags every HTTP-backed command accepts (Consul's common API flags). */
export const HTTP_FLAGS: readonly FlagSpec[] = [
  {
    name: 'http-addr',
    kind: 'string',
    usage:
      'The `address` and port of the Sextant HTTP agent. The value can be an IP address or DNS address, but it must also include the port. This can also be specified via the SEXTANT_HTTP_ADDR (or CONSUL_HTTP_ADDR) environment variable. The default value is http://127.0.0.1:8500. The scheme can also be set to HTTPS or unix://.',
  },
  {
    name: 'token',
    kind: 'string',
    usage:
      'ACL token to use in the request. This can also be specified via the SEXTANT_HTTP_TOKEN (or CONSUL_HTTP_TOKEN) environment variable. If unspecified, the query will default to the token of the Sextant agent at the HTTP address.',
  },
  { name: 'datacenter', kind: 'string', usage: 'Name of the datacenter to query. If unspecified, this will default to the datacenter of the queried agent.' },
  {
    name: 'stale',
    kind: 'bool',
    usage: 'Permit any Sextant server (non-leader) to respond to this request. This allows for lower latency and higher throughput, but can result in stale data.',
  },
];

/** The agent address to use: the flag, then SEXTANT_HTTP_ADDR, then CONSUL_HTTP_ADDR, then the default. */
export function resolveHttpAddr(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  for (const v of [flag, env['SEXTANT_HTTP_ADDR'], env['CONSUL_HTTP_ADDR']]) if (v !== undefined && v !== '') return v;
  return DEFAULT_HTTP_ADDR;
}

/** The ACL token to send: the flag, then SEXTANT_HTTP_TOKEN, then CONSUL_HTTP_TOKEN; undefined when none is set (no header). */
export function resolveToken(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const v of [flag, env['SEXTANT_HTTP_TOKEN'], env['CONSUL_HTTP_TOKEN']]) if (v !== undefined && v !== '') return v;
  return undefined;
}

export interface HttpClientOptions {
  /** `http://host:port`, `https://host:port`, `unix:///path/to.sock` or `host:port`. */
  readonly addr: string;
  /** Sent as the X-Consul-Token header. */
  readonly token?: string;
  /** Sent as ?dc on every request. */
  readonly datacenter?: string;
  /** Adds ?stale to reads (GET). */
  readonly stale?: boolean;
}

/** Builds client options from parsed HTTP_FLAGS and the environment. */
export function clientOptionsFrom(flags: ParsedFlags, env: Readonly<Record<string, string | undefined>>): HttpClientOptions {
  const v = flags.values;
  const token = resolveToken(v['token'] as string | undefined, env);
  return {
    addr: resolveHttpAddr(flags.set.has('http-addr') ? (v['http-addr'] as string) : undefined, env),
    ...(token ? { token } : {}),
    ...((v['datacenter'] as string) ? { datacenter: v['datacenter'] as string } : {}),
    stale: v['stale'] === true,
  };
}

/** An answer as received. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A non-2xx answer, with Go api's text: `Unexpected response code: 500 (No cluster leader)`. */
export class UnexpectedResponseError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`Unexpected response code: ${status} (${body})`);
  }
}

/** Query values: `true` sends a bare flag (`?recurse`), undefined/false omits it. */
export type QueryValues = Readonly<Record<string, string | number | bigint | boolean | undefined>>;

interface Target {
  readonly https: boolean;
  readonly socketPath?: string;
  readonly host: string;
  readonly port: number;
  /** For error texts: `127.0.0.1:8500` or the socket path. */
  readonly display: string;
  readonly base: string;
}

function parseAddr(addr: string): Target {
  if (addr.startsWith('unix://')) {
    const path = addr.slice('unix://'.length);
    return { https: false, socketPath: path, host: 'localhost', port: 80, display: path, base: 'http://localhost' };
  }
  const withScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(addr) ? addr : `http://${addr}`;
  const u = new URL(withScheme);
  const https = u.protocol === 'https:';
  const port = u.port !== '' ? Number(u.port) : https ? 443 : 80;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const display = `${u.hostname}:${port}`;
  return { https, host, port, display, base: `${u.protocol}//${u.host}` };
}

function encodeQuery(q: QueryValues): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === false) continue;
    parts.push(v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Escapes a KV key for the path: every segment encoded, `/` kept. */
export function escapeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** A small HTTP client for the agent's API. */
export class HttpClient {
  private readonly target: Target;

  constructor(readonly options: HttpClientOptions) {
    this.target = parseAddr(options.addr);
  }

  /**
   * Sends one request; `path` is already escaped (e.g. `/v1/kv/a%20b`). Adds ?dc and, on GET,
   * ?stale from the options. Resolves with any status; rejects only when the agent cannot be
   * reached, with Go's wording (`Get "http://…": dial tcp 127.0.0.1:8500: connect: connection refused`).
   * `signal` aborts the request (a long blocking read, say): it then rejects. With `stream`, a
   * 2xx answer's body is handed to it chunk by chunk as it arrives (and not kept in `body`).
   */
  request(
    method: string,
    path: string,
    opts: { query?: QueryValues; body?: Uint8Array; signal?: AbortSignal; stream?: (chunk: Buffer) => void } = {},
  ): Promise<HttpResponse> {
    const query: Record<string, string | number | bigint | boolean | undefined> = { ...opts.query };
    if (this.options.datacenter) query['dc'] = this.options.datacenter;
    if (this.options.stale && method === 'GET') query['stale'] = true;
    const fullPath = path + encodeQuery(query);
    const t = this.target;
    const headers: Record<string, string> = {};
    if (this.options.token) headers['X-Consul-Token'] = this.options.token;
    if (opts.body !== undefined) headers['Content-Length'] = String(opts.body.length);
    const reqOpts: RequestOptions = t.socketPath
      ? { socketPath: t.socketPath, method, path: fullPath, headers }
      : { host: t.host, port: t.port, method, path: fullPath, headers };
    if (opts.signal) reqOpts.signal = opts.signal;
    const send = t.https ? httpsRequest : httpRequest;
    const verb = method[0]! + method.slice(1).toLowerCase();
    return new Promise((resolve, reject) => {
      const req = send(reqOpts, (res) => {
        const chunks: Buffer[] = [];
        const stream = opts.stream && (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? opts.stream : undefined;
        res.on('data', (c: Buffer) => (stream ? stream(c) : chunks.push(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        const url = `${t.base}${fullPath}`;
        let why = e.message;
        if (e.code === 'ECONNREFUSED') why = `dial ${t.socketPath ? 'unix' : 'tcp'} ${t.display}: connect: connection refused`;
        else if (e.code === 'ENOENT' && t.socketPath) why = `dial unix ${t.display}: connect: no such file or directory`;
        reject(new Error(`${verb} "${url}": ${why}`, { cause: e }));
      });
      req.end(opts.body === undefined ? undefined : Buffer.from(opts.body));
    });
  }
}

/** Throws UnexpectedResponseError unless the status is 2xx. */
export function requireOk(res: HttpResponse): HttpResponse {
  if (res.status < 200 || res.status >= 300) throw new UnexpectedResponseError(res.status, res.body.toString('utf8'));
  return res;
}
