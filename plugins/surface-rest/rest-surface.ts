import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Koa from 'koa';
import type { Context } from 'koa';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { ApiSurface } from '../../contracts/ports/api-surface.js';
import { claimsPath } from '../../contracts/ports/http-contribution.js';
import type { HttpContribution, HttpHost } from '../../contracts/ports/http-contribution.js';
import { httpErrorFor } from './error-status.js';
import { hasUnprintable } from './printable-path.js';
import { ROUTES } from './routes.js';
import type { HttpMethod } from './routes.js';
import { RouteTable } from './route-table.js';
import type { RequestScope, RestSurfaceDeps } from './request-scope.js';
import { sendEmpty, sendText } from './respond.js';
import { formatHostPort, listenHosts } from 'sextant/plugin-sdk';

/**
 * Node's requestTimeout bounds how long *receiving* a request (headers + body) may take, not how
 * long the answer may take: blocking GETs of up to 10 minutes are unaffected. 15 minutes keeps
 * slow uploads (snapshot restore, big txn bodies) possible while still reaping stuck uploads.
 */
export const REQUEST_TIMEOUT_MS = 15 * 60_000;
/** Longer than Go's http.Transport idle timeout (90 s) so pooled client connections are not cut under them. */
export const KEEP_ALIVE_TIMEOUT_MS = 90_000;
/** How long stop() lets in-flight requests finish after their blocking reads were ended. */
export const STOP_GRACE_MS = 2_000;

/** Go's http.NotFound body. */
/** Request line plus headers a client may send: Go net/http's DefaultMaxHeaderBytes (1 MB), so a 17 KB KV key is served, as by Consul; beyond it 431. */
const MAX_HEADER_BYTES = 1 << 20;
const NOT_FOUND_BODY = '404 page not found\n';

/**
 * The REST ApiSurface: Consul's HTTP API (KV, status, agent) on koa 3, routed by a RouteTable
 * (paths compiled by @koa/router 15). Listens on `addresses.http` if set, else every
 * `client_addr` address, at `config.ports.http` (0: ephemeral, -1: disabled). Errors are plain text with the status from
 * error-status.ts; blocking reads get the connection's AbortSignal, which fires when the client
 * goes away or the surface stops.
 *
 * Hot path (measured with wrk): a request costs no router middleware
 * chain, no AbortController and, when its answer is written at once, no listener of ours.
 */
export class RestSurface implements ApiSurface, HttpHost {
  readonly name = 'http';
  /** Other surfaces' paths on this listener (the web UI), newest first. */
  private contributions: HttpContribution[] = [];
  private readonly app: Koa;
  private readonly routes = new RouteTable(ROUTES);
  /** `http.<METHOD>.<path>` metric names by method and route pattern (a handful: computed once each, not per request). */
  private readonly metricNames = new Map<string, string>();
  private servers: Server[] = [];
  private bound: string[] = [];
  /** One abort controller per client connection that sent a request: aborted when it closes or on stop. */
  private readonly connections = new Map<Socket, AbortController>();
  /** Requests whose answer is not yet handed to the socket. */
  private active = 0;
  private onDrained: (() => void) | undefined;
  private readonly connsPerClient = new Map<string, number>();
  private stopping: Promise<void> | undefined;

  /** False when `disable_http_unprintable_char_filter` is set (to reach old keys holding such runes). */
  private readonly filterUnprintable: boolean;

  constructor(private readonly deps: RestSurfaceDeps) {
    this.filterUnprintable = deps.config.extra['disable_http_unprintable_char_filter'] !== true;
    this.app = this.buildApp();
  }

  /** Binds every client address; rejects with LISTEN_FAILED naming the address (and binds nothing) on failure. */
  async start(): Promise<void> {
    if (this.servers.length > 0) return;
    const port = this.deps.config.ports.http;
    if (port < 0) {
      this.deps.logger.info('HTTP API disabled (ports.http = -1)');
      return;
    }
    const handle = this.app.callback();
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      this.active++;
      const settle = (): void => this.settle(res);
      handle(req, res).then(settle, settle);
    };
    try {
      for (const host of listenHosts(this.deps.config, 'http')) {
        const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, onRequest);
        server.requestTimeout = REQUEST_TIMEOUT_MS;
        server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
        server.on('connection', (socket) => this.admit(socket));
        await new Promise<void>((resolve, reject) => {
          const onError = (e: Error): void => reject(e);
          server.once('error', onError);
          server.listen(port, host, () => {
            server.off('error', onError);
            resolve();
          });
        }).catch((e: unknown) => {
          throw new SextantError(
            ErrorCode.ListenFailed,
            `Failed to listen on ${formatHostPort(host, port)}: ${(e as Error).message}`,
            { host, port },
            { cause: e },
          );
        });
        server.on('error', (e) => this.deps.logger.error('HTTP server error', { error: e }));
        this.servers.push(server);
        const addr = server.address() as AddressInfo;
        const hostPort = formatHostPort(host, addr.port);
        this.bound.push(hostPort);
        this.deps.logger.info('HTTP API listening', { address: hostPort });
      }
    } catch (e) {
      await this.closeServers();
      throw e;
    }
  }

  /** Serves `contribution`'s paths on this listener, ahead of the API routes (HttpHost). */
  mountHttp(contribution: HttpContribution): void {
    this.contributions = [contribution, ...this.contributions];
  }

  /** The `host:port` addresses bound (`[v6]:port` for IPv6). Empty before start and after stop. */
  addresses(): string[] {
    return [...this.bound];
  }

  /**
   * Stops accepting, ends parked blocking queries at once (they answer with what they have),
   * lets in-flight requests finish for up to STOP_GRACE_MS, then closes every socket. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const closed = this.closeServers();
    const shutdown = new SextantError(ErrorCode.Shutdown, 'agent is shutting down');
    for (const ac of this.connections.values()) ac.abort(shutdown);
    if (this.active > 0) {
      let timer: { cancel(): void } | undefined;
      await new Promise<void>((resolve) => {
        this.onDrained = resolve;
        timer = this.deps.clock.setTimeout(resolve, STOP_GRACE_MS);
      });
      this.onDrained = undefined;
      timer?.cancel();
    }
    for (const s of this.servers) s.closeAllConnections();
    await closed;
    this.servers = [];
    this.bound = [];
  }

  private closeServers(): Promise<void> {
    const all = this.servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
        }),
    );
    return Promise.all(all).then(() => undefined);
  }

  /**
   * Counts a request as done once koa has answered it and the answer is handed to the socket
   * (or the socket is gone); stop() waits for the count to reach 0.
   */
  private settle(res: ServerResponse): void {
    if (res.writableFinished || res.destroyed) return this.done();
    let once = false;
    const finish = (): void => {
      if (once) return;
      once = true;
      res.off('finish', finish);
      res.off('close', finish);
      this.done();
    };
    res.once('finish', finish);
    res.once('close', finish);
  }

  private done(): void {
    this.active--;
    if (this.active === 0) this.onDrained?.();
  }

  /**
   * The abort signal of the connection `socket`: it fires when the client goes away or the
   * surface stops. One per connection (made on its first request), not one per request: a
   * keep-alive client's reads cost no controller or listener of their own.
   */
  private signalFor(socket: Socket): AbortSignal {
    let ac = this.connections.get(socket);
    if (ac) return ac.signal;
    ac = new AbortController();
    if (this.stopping || socket.destroyed) ac.abort();
    else {
      const controller = ac;
      this.connections.set(socket, controller);
      socket.once('close', () => {
        this.connections.delete(socket);
        controller.abort();
      });
    }
    return ac.signal;
  }

  /** limits.http_max_conns_per_client: a client over the limit gets 429 and its connection closed. */
  private admit(socket: Socket): void {
    const limit = this.deps.config.limits.httpMaxConnsPerClient;
    if (!(limit > 0)) return;
    const ip = socket.remoteAddress ?? '';
    const n = this.connsPerClient.get(ip) ?? 0;
    if (n >= limit) {
      socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.connsPerClient.set(ip, n + 1);
    socket.once('close', () => {
      const left = (this.connsPerClient.get(ip) ?? 1) - 1;
      if (left <= 0) this.connsPerClient.delete(ip);
      else this.connsPerClient.set(ip, left);
    });
  }

  private buildApp(): Koa {
    const app = new Koa();
    app.silent = true;
    // One middleware: routing is the compiled RouteTable, not a router middleware chain.
    app.use((ctx) => this.frame(ctx));
    return app;
  }

  /** Every request: common headers, the abort signal, 404 for unknown paths, errors → plain text. */
  private async frame(ctx: Context): Promise<void> {
    const started = this.deps.clock.now();
    ctx.res.setHeader('X-Consul-Default-ACL-Policy', 'allow');
    try {
      let decoded: string;
      try {
        decoded = decodeURIComponent(ctx.path);
      } catch {
        throw new SextantError(ErrorCode.BadRequest, `Invalid URL path: bad escape in ${JSON.stringify(ctx.path)}`);
      }
      // Consul's PrintablePathCheckHandler: 400, empty body, before any route runs.
      if (this.filterUnprintable && hasUnprintable(decoded)) return sendEmpty(ctx, 400);
      await this.dispatch(ctx);
    } catch (e) {
      const answer = httpErrorFor(e);
      if (!answer.expected) {
        this.deps.logger.error('Request error', { method: ctx.method, url: ctx.url, from: ctx.ip, error: e });
      }
      sendText(ctx, answer.status, answer.body);
    } finally {
      // Plain data fields: an object literal with getters here would cost a new hidden class per
      // request (measured: 4x longer scavenges, ~25% less throughput).
      this.deps.logger.debug('Request finished', {
        method: ctx.method,
        url: ctx.url,
        from: ctx.req.socket.remoteAddress ?? '', // ctx.ip without its per-request proxy-header work (app.proxy is off)
        latency: `${Math.round(this.deps.clock.now() - started)}ms`,
      });
    }
  }

  private async dispatch(ctx: Context): Promise<void> {
    if (this.contributions.length > 0 && (await this.contributed(ctx))) return;
    const match = this.routes.match(ctx.path);
    if (match === undefined) return sendText(ctx, 404, NOT_FOUND_BODY);
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', match.allowWithOptions);
      return sendEmpty(ctx, 200);
    }
    const handler = match.route.methods[ctx.method as HttpMethod];
    const metrics = this.deps.metrics;
    if (handler && metrics) { // Consul's handleFuncMetrics: consul.http.<METHOD>.<pattern parts, `_` for a parameter>
      const started = this.deps.clock.now();
      const key = `${ctx.method} ${match.route.path}`;
      let name = this.metricNames.get(key);
      if (name === undefined) this.metricNames.set(key, (name = `http.${ctx.method}.${metricPath(match.route.path)}`));
      ctx.res.once('close', () => metrics.measureSince(name, started));
    }
    if (!handler) {
      ctx.set('Allow', match.allow);
      throw new SextantError(ErrorCode.MethodNotAllowed, `method ${ctx.method} not allowed`);
    }
    const scope: RequestScope = {
      ctx,
      query: new URLSearchParams(ctx.querystring),
      params: match.params,
      signal: this.signalFor(ctx.req.socket),
      deps: this.deps,
    };
    await handler(scope);
  }

  /** Offers the request to the contribution claiming its path; true when one answered it. */
  private async contributed(ctx: Context): Promise<boolean> {
    const path = ctx.path;
    for (const c of this.contributions) {
      if (!claimsPath(c.paths, path)) continue;
      const answer = await c.handle({ method: ctx.method, path, headers: ctx.req.headers });
      if (answer === undefined) return false;
      ctx.status = answer.status;
      for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
      ctx.body = typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength);
      return true;
    }
    return false;
  }
}

/** A route path as Consul's metric key parts: `/v1/kv/*key` → `v1.kv._`, `/v1/agent/service/:id` → `v1.agent.service._`. */
export function metricPath(path: string): string {
  return path
    .split('/')
    .slice(1)
    .map((p) => (p === '' || p.startsWith(':') || p.startsWith('*') ? '_' : p))
    .join('.');
}
