/**
 * The CONNECTION plane over real TCP (memberlist's TCP listener on the gossip port): raw bytes,
 * no framing, so HashiCorp memberlist peers can connect to it and be dialled by it.
 */
import net from 'node:net';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { ConnectionTransport, RawConnection } from '../../contracts/ports/transport.js';

class TcpRawConnection implements RawConnection {
  readonly remoteAddress: string;
  private closed = false;

  constructor(private readonly socket: net.Socket) {
    this.remoteAddress = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`;
    socket.on('error', () => socket.destroy());
  }

  write(chunk: Uint8Array): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(chunk);
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.socket.on('data', (d: Buffer) => handler(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
  }

  onClose(handler: () => void): void {
    this.socket.on('close', handler);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
  }
}

/** Settings of a RawTcpConnectionTransport. */
export interface RawTcpConnectionOptions {
  /** The IP to bind. */
  host: string;
  /** The port (0: ephemeral, read `localAddress` after start). */
  port: number;
}

/** A ConnectionTransport over node:net. Dial and connect timeouts are the caller's via `timeoutMs`. */
export class RawTcpConnectionTransport implements ConnectionTransport {
  private server: net.Server | undefined;
  private handler: ((c: RawConnection) => void) | undefined;
  private readonly sockets = new Set<net.Socket>();
  private address = '';

  constructor(private readonly opts: RawTcpConnectionOptions) {}

  get localAddress(): string {
    return this.address;
  }

  /** Listens on host:port; rejects with TRANSPORT_FAILED when it cannot. */
  start(): Promise<void> {
    if (this.server) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const server = net.createServer((s) => {
        this.track(s);
        if (this.handler) this.handler(new TcpRawConnection(s));
        else s.destroy();
      });
      server.once('error', (e) => reject(new SextantError(ErrorCode.TransportFailed, `listen tcp ${this.opts.host}:${this.opts.port}: ${e.message}`)));
      server.listen(this.opts.port, this.opts.host, () => {
        const a = server.address() as net.AddressInfo;
        this.address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
        this.server = server;
        resolve();
      });
    });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  /** Installs the connection handler. */
  listen(onConnection: (conn: RawConnection) => void): () => void {
    if (this.handler) throw new SextantError(ErrorCode.TransportFailed, 'a connection handler is already installed');
    this.handler = onConnection;
    return () => {
      if (this.handler === onConnection) this.handler = undefined;
    };
  }

  /** Connects to `host:port`. */
  dial(to: string, timeoutMs: number): Promise<RawConnection> {
    const i = to.lastIndexOf(':');
    const host = to.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(to.slice(i + 1));
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      this.track(s);
      s.setTimeout(timeoutMs, () => {
        s.destroy();
        reject(new SextantError(ErrorCode.Timeout, `dial tcp ${to}: i/o timeout`));
      });
      s.once('error', (e) => reject(new SextantError(ErrorCode.TransportFailed, `dial tcp ${to}: ${e.message}`)));
      s.once('connect', () => {
        s.setTimeout(0);
        resolve(new TcpRawConnection(s));
      });
    });
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
