import type { Socket } from 'node:net';
import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { Logger } from '../../contracts/platform.js';
import { encodeFrame, type Frame, FrameKind, FRAME_HEADER_BYTES, MAX_HELLO_BYTES } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { formatHostPort } from 'sextant/plugin-sdk';

/** Where a connection hands what it receives. */
export interface ConnectionDispatch {
  /** A one-way message of stream protocol `protocol` arrived from `from`. */
  message(protocol: number, from: string, payload: Uint8Array): void;
  /** A request arrived from `from`; the result (or rejection) is written back on this connection. `signal` aborts on cancel or close. */
  request(protocol: number, from: string, payload: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
  /** The connection closed (for whatever reason); called exactly once. */
  closed(conn: TcpConnection): void;
}

/** Settles one outstanding request sent on a connection. */
export interface PendingReply {
  resolve(payload: Uint8Array): void;
  reject(err: SextantError): void;
}

/** Options of a TcpConnection. */
export interface TcpConnectionOptions {
  readonly socket: Socket;
  /** `out` when this side dialled (it writes the hello), `in` when it accepted. */
  readonly direction: 'in' | 'out';
  /** For outbound connections: the address dialled (used in messages and as the pool key). */
  readonly target?: string;
  /** For outbound connections: the stream protocol written as the first byte. */
  readonly protocol?: number;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  /** Bounded writes (messages, requests) are refused once this many bytes wait in the socket. */
  readonly maxBufferedBytes: number;
  readonly dispatch: ConnectionDispatch;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * One TCP connection carrying transport-tcp frames in both directions: messages and requests
 * from the peer are handed to the dispatch; responses to requests this side sent are matched
 * to their pending reply by id. Any protocol violation (oversize, malformed, misplaced hello)
 * or socket error destroys the connection; outstanding requests then reject with
 * TRANSPORT_FAILED. Never throws out of socket callbacks.
 */
export class TcpConnection {
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, PendingReply>();
  /** Requests this side is serving, by id: aborted on Cancel or close. */
  private readonly serving = new Map<number, AbortController>();
  /** The stream protocol (outbound: given; inbound: the first byte read; undefined until then). */
  private proto: number | undefined;
  private nextId = 1;
  /** True while writes of the current synchronous run are being coalesced (see coalesce). */
  private corked = false;
  private framesSeen = 0;
  private helloFrom: string | undefined;
  private lastError: string | undefined;
  private isClosed = false;
  private everConnected: boolean;
  private readonly remote: string;
  /** True when this side dropped the connection for a malformed or oversize frame. */
  protocolViolation = false;

  constructor(private readonly opts: TcpConnectionOptions) {
    this.socket = opts.socket;
    this.decoder = new FrameDecoder(opts.maxFrameBytes);
    this.remote = opts.target ?? formatHostPort(this.socket.remoteAddress ?? 'unknown', this.socket.remotePort ?? 0);
    this.everConnected = opts.direction === 'in';
    this.proto = opts.direction === 'out' ? opts.protocol ?? 0 : undefined;
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 15_000);
    if (!this.everConnected) this.socket.once('connect', () => (this.everConnected = true));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => {
      this.lastError = err.message;
      this.opts.logger.debug('connection error', { remote: this.remote, error: err.message });
    });
    this.socket.on('close', () => this.onClose());
  }

  /** The peer's identity for handlers: the address it announced in its hello, else `ip:port`. */
  get from(): string {
    return this.helloFrom ?? this.remote;
  }

  /** True once the socket is closed or being destroyed. */
  get closed(): boolean {
    return this.isClosed || this.socket.destroyed;
  }

  /** Writes the protocol byte and the hello frame announcing `localAddress` (outbound connections, before anything else). */
  hello(localAddress: string): void {
    if (this.closed) return;
    this.socket.write(Buffer.from([this.proto ?? 0]));
    this.write(FrameKind.Hello, 0, utf8.encode(localAddress), false);
  }

  /** Tells the peer that request `id` is abandoned (its handler's signal aborts) and forgets it. */
  cancel(id: number): void {
    this.pending.delete(id);
    this.write(FrameKind.Cancel, id, new Uint8Array(0), false);
  }

  /** Writes a one-way message; false (frame dropped) when closed or the send buffer is full. */
  message(payload: Uint8Array): boolean {
    return this.write(FrameKind.Message, 0, payload, true);
  }

  /**
   * Writes a request and registers `reply` for its response. Returns the request id, or a
   * TRANSPORT_FAILED error when the connection is closed or its send buffer is full.
   */
  request(payload: Uint8Array, reply: PendingReply): number | SextantError {
    if (this.closed) return this.failure();
    let id = this.nextId;
    while (this.pending.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    if (!this.write(FrameKind.Request, id, payload, true)) {
      return this.closed
        ? this.failure()
        : new SextantError(ErrorCode.TransportFailed, `send buffer to ${this.remote} is full`);
    }
    this.pending.set(id, reply);
    return id;
  }

  /** Forgets request `id` (timed out or shut down): a late response to it is ignored. */
  forget(id: number): void {
    this.pending.delete(id);
  }

  /** Destroys the socket; outstanding requests reject with TRANSPORT_FAILED. Idempotent. */
  destroy(reason?: string): void {
    if (reason && !this.lastError) this.lastError = reason;
    this.socket.destroy();
  }

  private write(kind: FrameKind, id: number, payload: Uint8Array, bounded: boolean): boolean {
    if (this.closed) return false;
    const size = FRAME_HEADER_BYTES + payload.byteLength;
    const queued = this.socket.writableLength;
    if (bounded && queued > 0 && queued + size > this.opts.maxBufferedBytes) return false;
    this.coalesce();
    this.socket.write(encodeFrame(kind, id, payload));
    return true;
  }

  /**
   * Corks the socket until the current synchronous run ends, so every frame written in it (a
   * Raft leader's appends and heartbeats of one Ready, a burst of responses) leaves in one
   * writev system call instead of one write each.
   */
  private coalesce(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    queueMicrotask(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  private failure(): SextantError {
    const why = this.lastError ? `: ${this.lastError}` : '';
    const what = this.everConnected ? `connection to ${this.remote} closed` : `cannot connect to ${this.remote}`;
    // Never connected: nothing was delivered, so the caller may send the request elsewhere.
    return new SextantError(ErrorCode.TransportFailed, `${what}${why}`, this.everConnected ? undefined : { unsent: true });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.proto === undefined) {
      if (chunk.length === 0) return;
      this.proto = chunk[0]!;
      chunk = chunk.subarray(1);
    }
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.protocolError(e);
      return;
    }
    for (const f of frames) {
      if (this.closed) return;
      this.framesSeen++;
      this.handle(f);
    }
  }

  private handle(f: Frame): void {
    switch (f.kind) {
      case FrameKind.Hello: {
        if (this.framesSeen !== 1 || this.opts.direction !== 'in' || f.payload.byteLength === 0 || f.payload.byteLength > MAX_HELLO_BYTES) {
          this.protocolError(new SextantError(ErrorCode.TransportFailed, 'malformed frame: unexpected hello'));
          return;
        }
        this.helloFrom = fromUtf8.decode(f.payload);
        return;
      }
      case FrameKind.Message:
        try {
          this.opts.dispatch.message(this.proto!, this.from, f.payload);
        } catch (e) {
          this.opts.logger.warn('message handler threw', { from: this.from, error: e });
        }
        return;
      case FrameKind.Request:
        this.serve(f.id, f.payload);
        return;
      case FrameKind.Cancel:
        this.serving.get(f.id)?.abort(new SextantError(ErrorCode.TransportFailed, 'request cancelled'));
        this.serving.delete(f.id);
        return;
      case FrameKind.Response:
      case FrameKind.ErrorResponse: {
        const reply = this.pending.get(f.id);
        if (!reply) return; // late (timed out) or unsolicited: ignore
        this.pending.delete(f.id);
        if (f.kind === FrameKind.Response) reply.resolve(f.payload);
        else reply.reject(new SextantError(ErrorCode.TransportFailed, fromUtf8.decode(f.payload)));
        return;
      }
    }
  }

  private serve(id: number, payload: Uint8Array): void {
    const from = this.from;
    const ac = new AbortController();
    this.serving.set(id, ac);
    let p: Promise<Uint8Array>;
    try {
      p = Promise.resolve(this.opts.dispatch.request(this.proto!, from, payload, ac.signal));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.finally(() => {
      if (this.serving.get(id) === ac) this.serving.delete(id);
    }).catch(() => undefined);
    p.then(
      (resp) => {
        if (ac.signal.aborted) return; // cancelled: the requester forgot it
        if (!(resp instanceof Uint8Array)) {
          this.write(FrameKind.ErrorResponse, id, utf8.encode('request handler returned no bytes'), false);
        } else if (resp.byteLength > this.opts.maxFrameBytes) {
          this.opts.logger.warn('response too large', { to: from, bytes: resp.byteLength, max: this.opts.maxFrameBytes });
          const msg = `response of ${resp.byteLength} bytes exceeds the maximum frame size of ${this.opts.maxFrameBytes} bytes`;
          this.write(FrameKind.ErrorResponse, id, utf8.encode(msg), false);
        } else {
          this.write(FrameKind.Response, id, resp, false);
        }
      },
      (err: unknown) => {
        if (ac.signal.aborted) return;
        const msg = err instanceof Error ? err.message : String(err);
        this.write(FrameKind.ErrorResponse, id, utf8.encode(msg || 'request failed'), false);
      },
    );
  }

  private protocolError(e: unknown): void {
    this.protocolViolation = true;
    const msg = e instanceof Error ? e.message : String(e);
    if (isSextantError(e, ErrorCode.TooLarge)) {
      this.opts.logger.warn('dropping connection: frame too large', { remote: this.from, ...e.details });
    } else {
      this.opts.logger.warn('dropping connection: protocol error', { remote: this.from, error: msg });
    }
    this.destroy(msg);
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const err = this.failure();
    const replies = [...this.pending.values()];
    this.pending.clear();
    for (const r of replies) r.reject(err);
    for (const ac of this.serving.values()) ac.abort(err);
    this.serving.clear();
    this.opts.dispatch.closed(this);
  }
}
