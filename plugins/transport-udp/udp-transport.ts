import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Logger } from '../../contracts/platform.js';
import type { PacketHandler, PacketTransport } from '../../contracts/ports/transport.js';
import { formatHostPort, parseHostPort } from 'sextant/plugin-sdk';

/** Largest UDP payload over IPv4: 65 535 − 20 (IP header) − 8 (UDP header). */
export const MAX_UDP4_PACKET_BYTES = 65_507;
/** Largest UDP payload over IPv6: 65 535 − 8 (UDP header; the IPv6 header is not counted). */
export const MAX_UDP6_PACKET_BYTES = 65_527;

/** Options of a UdpTransport. */
export interface UdpTransportOptions {
  /** IP to bind (`0.0.0.0`, `::`, `127.0.0.1`, `::1`, ...); an IPv6 address binds a udp6 socket. */
  readonly bindAddr: string;
  /** UDP port to bind; 0 picks an ephemeral port (see `localAddress` after start). */
  readonly port: number;
  /** Host peers send to. Default: bindAddr, or loopback when bindAddr is a wildcard. */
  readonly advertiseAddr?: string;
  readonly logger: Logger;
  /** Socket receive/send buffer size to ask the kernel for (best effort). Default 2 MiB, as memberlist. */
  readonly socketBufferBytes?: number;
}

/** Counters for observability and tests. */
export interface UdpTransportStats {
  /** Packets handed to the socket. */
  packetsSent: number;
  /** Packets dropped on send (oversize, bad address, not started/closed, socket error). */
  packetsDropped: number;
  /** Packets received and handed to the handler (or dropped for lack of one). */
  packetsReceived: number;
}

const DEFAULT_SOCKET_BUFFER_BYTES = 2 * 1024 * 1024;

function isWildcard(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';
}

/** `::ffff:1.2.3.4` (an IPv4 peer seen by a dual-stack socket) → `1.2.3.4`. */
function unmapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/**
 * The PacketTransport port over UDP (node:dgram): one socket, udp4 or udp6 after the bind
 * address. Addresses are `host:port` (`[v6]:port`). A received datagram's `from` is its source
 * `ip:port`, which is the sender's `localAddress` when the sender advertises the IP it sends
 * from (memberlist's model). Best effort throughout: `sendPacket` never throws and never
 * blocks; oversize packets, unparsable addresses, sends before start or after close and socket
 * errors (e.g. ICMP unreachable) drop the packet and count it in `stats`.
 */
export class UdpTransport implements PacketTransport {
  private readonly logger: Logger;
  private readonly bindHost: string;
  private readonly advertiseHost: string;
  private readonly v6: boolean;
  private socket: Socket | undefined;
  private boundPort: number;
  private handler: PacketHandler | undefined;
  private started = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** See PacketTransport.maxPacketBytes: 65 507 on udp4, 65 527 on udp6. */
  readonly maxPacketBytes: number;
  /** Counters (read-only for callers). */
  readonly stats: UdpTransportStats = { packetsSent: 0, packetsDropped: 0, packetsReceived: 0 };

  constructor(private readonly opts: UdpTransportOptions) {
    this.logger = opts.logger;
    this.bindHost = opts.bindAddr.replace(/^\[(.*)\]$/, '$1');
    this.v6 = isIPv6(this.bindHost);
    this.maxPacketBytes = this.v6 ? MAX_UDP6_PACKET_BYTES : MAX_UDP4_PACKET_BYTES;
    this.boundPort = opts.port;
    const adv = opts.advertiseAddr && !isWildcard(opts.advertiseAddr) ? opts.advertiseAddr : this.bindHost;
    this.advertiseHost = isWildcard(adv) ? (this.v6 ? '::1' : '127.0.0.1') : adv.replace(/^\[(.*)\]$/, '$1');
  }

  /** `advertiseAddr:port`; the port is the real bound one once `start()` resolved (port 0 → ephemeral). */
  get localAddress(): string {
    return formatHostPort(this.advertiseHost, this.boundPort);
  }

  /** Binds bindAddr:port. Rejects TRANSPORT_FAILED when it cannot be bound, SHUTDOWN after close. Idempotent. */
  async start(): Promise<void> {
    if (this.closed) throw new SextantError(ErrorCode.Shutdown, 'transport is closed');
    if (this.started) return;
    const socket = createSocket({ type: this.v6 ? 'udp6' : 'udp4' });
    const bind = formatHostPort(this.bindHost || '0.0.0.0', this.opts.port);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: this.bindHost || undefined, port: this.opts.port, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      try {
        socket.close();
      } catch {
        // never bound: nothing to release
      }
      const msg = e instanceof Error ? e.message : String(e);
      throw new SextantError(ErrorCode.TransportFailed, `cannot bind udp ${bind}: ${msg}`, undefined, { cause: e });
    }
    socket.on('error', (err) => this.logger.debug('udp socket error', { error: err.message }));
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.receive(msg, rinfo));
    const want = this.opts.socketBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
    try {
      socket.setRecvBufferSize(want);
      socket.setSendBufferSize(want);
    } catch (e) {
      this.logger.debug('could not size the udp socket buffers', { bytes: want, error: e });
    }
    this.socket = socket;
    this.boundPort = socket.address().port;
    if (this.closed) {
      socket.close();
      throw new SextantError(ErrorCode.Shutdown, 'transport closed while starting');
    }
    this.started = true;
    this.logger.debug('udp listening', { bind: formatHostPort(this.bindHost || '0.0.0.0', this.boundPort), advertise: this.localAddress });
  }

  /** See PacketTransport.onPacket: installs the one handler; TRANSPORT_FAILED when one is installed. */
  onPacket(handler: PacketHandler): () => void {
    if (this.handler) throw new SextantError(ErrorCode.TransportFailed, `a packet handler is already installed at ${this.localAddress}`);
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }

  /** Sends one datagram (a copy of `packet`); drops it, counted, in every failure case. Never throws. */
  sendPacket(to: string, packet: Uint8Array): void {
    const socket = this.socket;
    if (!this.started || this.closed || !socket) {
      this.stats.packetsDropped++;
      return;
    }
    if (packet.byteLength > this.maxPacketBytes) {
      this.stats.packetsDropped++;
      this.logger.debug('dropping oversize packet', { to, bytes: packet.byteLength, max: this.maxPacketBytes });
      return;
    }
    const hp = parseHostPort(to);
    if (!hp) {
      this.stats.packetsDropped++;
      this.logger.debug('not a host:port address', { to });
      return;
    }
    try {
      socket.send(Buffer.from(packet), hp.port, hp.host, (err) => {
        if (!err) return;
        this.stats.packetsDropped++;
        this.logger.debug('udp send failed', { to, error: err.message });
      });
      this.stats.packetsSent++;
    } catch (e) {
      this.stats.packetsDropped++;
      this.logger.debug('udp send failed', { to, error: e });
    }
  }

  /** Closes the socket; nothing is delivered afterwards. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.handler = undefined;
    const socket = this.socket;
    this.closing = new Promise<void>((resolve) => {
      if (!socket) {
        resolve();
        return;
      }
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    }).then(() => this.logger.debug('udp closed'));
    return this.closing;
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.stats.packetsReceived++;
    const h = this.handler;
    if (!h) return;
    try {
      h(formatHostPort(unmapped(rinfo.address), rinfo.port), msg);
    } catch (e) {
      this.logger.warn('packet handler threw', { error: e });
    }
  }
}
