import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { ProtocolHandlers, RequestOptions, StreamTransport } from '../../contracts/ports/transport.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame.js';
import { formatHostPort, parseHostPort } from 'sextant/plugin-sdk';
import { type ConnectionDispatch, TcpConnection } from './tcp-connection.js';
import { registerProtocol } from '../../contracts/ports/stream-protocols.js';

/** Options of a TcpTransport. */
export interface TcpTransportOptions {
  /** IP to listen on (`0.0.0.0`, `::`, `127.0.0.1`, ...). */
  readonly bindAddr: string;
  /** TCP port to listen on; 0 picks an ephemeral port (see `localAddress` after start). */
  readonly port: number;
  /** Host peers dial to reach this agent. Default: bindAddr, or loopback when bindAddr is a wildcard. */
  readonly advertiseAddr?: string;
  readonly logger: Logger;
  /** Schedules request and connect timeouts. */
  readonly clock: Clock;
  /** Largest frame payload sent or accepted. Default 64 MiB. A peer announcing more is disconnected. */
  readonly maxFrameBytes?: number;
  /** Bytes that may wait in one outbound socket (including while connecting) before messages
   * are dropped and requests refused. One frame is always accepted on an empty socket. Default 16 MiB. */
  readonly maxBufferedBytes?: number;
  /** An outbound connection not established within this many ms is abandoned. Default 5000. */
  readonly connectTimeoutMs?: number;
}

/** Counters for observability and tests. */
export interface TcpTransportStats {
  /** One-way messages dropped (unreachable peer, full buffer, oversize, bad address, not started). */
  messagesDropped: number;
  /** Inbound connections accepted. */
  connectionsAccepted: number;
  /** Outbound connections dialled. */
  connectionsDialed: number;
  /** Connections dropped for a protocol violation (malformed or oversize frame). */
  protocolErrors: number;
}

const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

function isWildcard(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';
}

/**
 * The stream plane of the Transport port over TCP (node:net), for agents talking to each other
 * across hosts. Addresses are `host:port` (`[v6]:port` for IPv6 literals). Wire format: see
 * frame.ts. Several protocols share the listener: a connection's first byte names its protocol,
 * and its frames go to that protocol's handlers (registered with `handle`).
 *
 * - Outbound: one pooled connection per (protocol, peer address), dialled lazily on first use
 *   and again after it closes; it starts with the protocol byte and a hello announcing
 *   `localAddress`, so the peer's handlers see this transport's advertised address as `from`.
 * - `send` never throws or blocks: frames to an unreachable peer, beyond `maxBufferedBytes`
 *   queued on the socket (including while connecting), or above `maxFrameBytes` are dropped.
 * - `request` rejects TRANSPORT_FAILED on connection failure/loss, a remote handler error
 *   (with the remote message) or cancellation (a Cancel frame then aborts the remote handler's
 *   signal), TIMEOUT after `timeoutMs` (Clock), SHUTDOWN once closed, and TOO_LARGE for a
 *   frame above `maxFrameBytes`.
 * - Inbound: any accepted connection may carry messages and requests; a malformed or oversize
 *   frame closes that connection only (logged), never the process.
 */
export class TcpTransport implements StreamTransport {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly maxFrameBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly connectTimeoutMs: number;
  private readonly advertiseHost: string;
  private server: Server | undefined;
  private boundPort: number;
  private started = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly handlers = new Map<number, ProtocolHandlers>();
  private readonly outbound = new Map<string, TcpConnection>();
  private readonly inbound = new Set<TcpConnection>();
  private readonly pending = new Set<(e: SextantError) => void>();
  /** Counters (read-only for callers). */
  readonly stats: TcpTransportStats = { messagesDropped: 0, connectionsAccepted: 0, connectionsDialed: 0, protocolErrors: 0 };

  constructor(private readonly opts: TcpTransportOptions) {
    this.logger = opts.logger;
    this.clock = opts.clock;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.boundPort = opts.port;
    const adv = opts.advertiseAddr && !isWildcard(opts.advertiseAddr) ? opts.advertiseAddr : opts.bindAddr;
    this.advertiseHost = isWildcard(adv) ? (opts.bindAddr.includes(':') ? '::1' : '127.0.0.1') : adv.replace(/^\[(.*)\]$/, '$1');
  }

  /** `advertiseAddr:port`; the port is the real bound one once `start()` resolved (port 0 → ephemeral). */
  get localAddress(): string {
    return formatHostPort(this.advertiseHost, this.boundPort);
  }

  /** Listens on bindAddr:port. Rejects TRANSPORT_FAILED when the address cannot be bound, SHUTDOWN after close. */
  async start(): Promise<void> {
    if (this.closed) throw new SextantError(ErrorCode.Shutdown, 'transport is closed');
    if (this.started) return;
    const server = createServer({ noDelay: true }, (sock) => this.accept(sock));
    const bind = formatHostPort(this.opts.bindAddr, this.opts.port);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.opts.bindAddr, port: this.opts.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      server.close();
      const msg = e instanceof Error ? e.message : String(e);
      throw new SextantError(ErrorCode.TransportFailed, `cannot listen on ${bind}: ${msg}`, undefined, { cause: e });
    }
    server.on('error', (err) => this.logger.error('listener error', { error: err }));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    if (this.closed) {
      server.close();
      throw new SextantError(ErrorCode.Shutdown, 'transport closed while starting');
    }
    this.started = true;
    this.logger.debug('listening', { bind: formatHostPort(this.opts.bindAddr, this.boundPort), advertise: this.localAddress });
  }

  /** Registers `protocol`'s handlers (see StreamTransport.handle). */
  handle(protocol: number, handlers: ProtocolHandlers): () => void {
    return registerProtocol(this.handlers, protocol, handlers);
  }

  /** Best-effort one-way send (see class doc for when the frame is dropped). Never throws. */
  send(to: string, protocol: number, frame: Uint8Array): void {
    try {
      if (!this.started || this.closed) {
        this.stats.messagesDropped++;
        return;
      }
      if (frame.byteLength > this.maxFrameBytes) {
        this.stats.messagesDropped++;
        this.logger.warn('dropping oversize message', { to, bytes: frame.byteLength, max: this.maxFrameBytes });
        return;
      }
      const conn = this.connectionTo(to, protocol);
      if (!conn || !conn.message(frame)) this.stats.messagesDropped++;
    } catch (e) {
      this.stats.messagesDropped++;
      this.logger.debug('send failed', { to, error: e });
    }
  }

  /** Sends a request and resolves with the response (see class doc for the failure modes). */
  request(to: string, protocol: number, frame: Uint8Array, opts: RequestOptions): Promise<Uint8Array> {
    const { timeoutMs, signal } = opts;
    if (this.closed) return Promise.reject(new SextantError(ErrorCode.Shutdown, 'transport is closed'));
    if (!this.started) return Promise.reject(new SextantError(ErrorCode.TransportFailed, 'transport is not started'));
    if (frame.byteLength > this.maxFrameBytes) {
      return Promise.reject(
        new SextantError(ErrorCode.TooLarge, `request of ${frame.byteLength} bytes exceeds the maximum frame size of ${this.maxFrameBytes} bytes`),
      );
    }
    if (signal?.aborted) return Promise.reject(new SextantError(ErrorCode.TransportFailed, 'request cancelled'));
    return new Promise<Uint8Array>((resolve, reject) => {
      let done = false;
      let conn: TcpConnection | undefined;
      let id: number | undefined;
      const finish = (err: SextantError | undefined, resp?: Uint8Array): void => {
        if (done) return;
        done = true;
        timer.cancel();
        this.pending.delete(fail);
        signal?.removeEventListener('abort', onAbort);
        if (conn && id !== undefined) conn.forget(id);
        if (err) reject(err);
        else resolve(resp!);
      };
      const fail = (e: SextantError): void => finish(e);
      const onAbort = (): void => {
        if (conn && id !== undefined && !done) conn.cancel(id);
        fail(new SextantError(ErrorCode.TransportFailed, 'request cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(fail);
      const timer = this.clock.setTimeout(
        () => fail(new SextantError(ErrorCode.Timeout, `request to ${to} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      try {
        conn = this.connectionTo(to, protocol);
        if (!conn) {
          fail(new SextantError(ErrorCode.TransportFailed, `invalid address ${JSON.stringify(to)}: expected host:port`));
          return;
        }
        const r = conn.request(frame, { resolve: (resp) => finish(undefined, resp), reject: fail });
        if (typeof r === 'number') id = r;
        else fail(r);
      } catch (e) {
        fail(new SextantError(ErrorCode.TransportFailed, e instanceof Error ? e.message : String(e), undefined, { cause: e }));
      }
    });
  }

  /** Stops listening, destroys every connection and rejects pending requests with SHUTDOWN. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      const shutdown = new SextantError(ErrorCode.Shutdown, 'transport closed');
      for (const fail of [...this.pending]) fail(shutdown);
      for (const c of [...this.outbound.values(), ...this.inbound]) c.destroy('transport closed');
      this.outbound.clear();
      this.inbound.clear();
      const server = this.server;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      this.logger.debug('closed');
    })();
    return this.closing;
  }

  /** The pooled connection to `to` for `protocol`, dialling it when there is none; undefined for an undialable address. */
  private connectionTo(to: string, protocol: number): TcpConnection | undefined {
    const key = `${protocol}|${to}`;
    const existing = this.outbound.get(key);
    if (existing && !existing.closed) return existing;
    const hp = parseHostPort(to);
    if (!hp) {
      this.logger.debug('not a host:port address', { to });
      return undefined;
    }
    const socket = createConnection({ host: hp.host, port: hp.port });
    this.stats.connectionsDialed++;
    const conn = new TcpConnection({
      socket,
      direction: 'out',
      target: to,
      protocol,
      logger: this.logger,
      maxFrameBytes: this.maxFrameBytes,
      maxBufferedBytes: this.maxBufferedBytes,
      dispatch: this.dispatchFor((c) => {
        if (this.outbound.get(key) === c) this.outbound.delete(key);
      }),
    });
    const connectTimer = this.clock.setTimeout(() => {
      if (socket.connecting) conn.destroy(`connect timed out after ${this.connectTimeoutMs} ms`);
    }, this.connectTimeoutMs);
    socket.once('connect', () => connectTimer.cancel());
    socket.once('close', () => connectTimer.cancel());
    this.outbound.set(key, conn);
    conn.hello(this.localAddress);
    return conn;
  }

  private accept(sock: Socket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    this.stats.connectionsAccepted++;
    const conn = new TcpConnection({
      socket: sock,
      direction: 'in',
      logger: this.logger,
      maxFrameBytes: this.maxFrameBytes,
      maxBufferedBytes: this.maxBufferedBytes,
      dispatch: this.dispatchFor((c) => this.inbound.delete(c)),
    });
    this.inbound.add(conn);
  }

  private dispatchFor(onClosed: (c: TcpConnection) => void): ConnectionDispatch {
    return {
      message: (protocol, from, payload) => {
        if (this.closed) return;
        this.handlers.get(protocol)?.onMessage?.(from, payload);
      },
      request: (protocol, from, payload, signal) => {
        if (this.closed) return Promise.reject(new Error('transport closed'));
        const h = this.handlers.get(protocol)?.onRequest;
        if (!h) return Promise.reject(new Error(`no handler for protocol ${protocol} at ${this.localAddress}`));
        return h(from, payload, signal);
      },
      closed: (c) => {
        if (c.protocolViolation) this.stats.protocolErrors++;
        onClosed(c);
      },
    };
  }
}
