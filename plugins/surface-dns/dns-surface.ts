import type { Metrics } from '../../contracts/ports/metrics.js';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server } from 'node:net';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { PluginHooks } from '../../contracts/hooks.js';
import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { ApiSurface } from '../../contracts/ports/api-surface.js';
import type { Resolver } from '../../contracts/ports/resolver.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { DnsResponder } from './dns-responder.js';
import { dnsSettingsFrom, type DnsSettings } from './dns-settings.js';
import { FastShuffle } from './fast-shuffle.js';
import { RecursorClient } from './recursor-client.js';
import { TcpDnsConnection } from './tcp-connection.js';
import { listenHosts } from 'sextant/plugin-sdk';

/** RFC 7766 asks for at least a few seconds; Consul (miekg/dns) uses 8 s. */
export const DEFAULT_TCP_IDLE_MS = 8_000;
/** How long one DNS-over-TCP message may take to arrive, first byte to last (miekg/dns's 2 s read timeout). */
export const DEFAULT_TCP_MESSAGE_DEADLINE_MS = 2_000;
/** Concurrent DNS-over-TCP connections served; more are closed at once (each costs a socket and buffers). */
export const DEFAULT_TCP_MAX_CONNECTIONS = 1_024;
/** How many times an ephemeral port is tried before giving up (the UDP port must also be free for TCP). */
const EPHEMERAL_ATTEMPTS = 20;

/** What the DNS surface is built from. */
export interface DnsSurfaceDeps {
  config: RuntimeConfig;
  resolver: Resolver;
  hooks: PluginHooks;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Where `dns.domain_query` times go; nothing is recorded when absent. */
  metrics?: Metrics;
  /** Idle TCP connections are closed after this long (default 8 s). */
  tcpIdleMs?: number;
  /** A TCP connection whose message takes longer than this to arrive is closed (default 2 s). */
  tcpMessageDeadlineMs?: number;
  /** Connections beyond this many are closed on accept (default 1,024). */
  tcpMaxConnections?: number;
}

interface Listener {
  host: string;
  udp: UdpSocket;
  tcp: Server;
}

/**
 * The DNS ApiSurface (Consul's DNS interface): UDP and TCP on `ports.dns` (0: one ephemeral port
 * shared by both protocols; -1: disabled) on `addresses.dns`, else every client address.
 * Questions are answered by DnsResponder; `dns_config` and `recursors` follow a reload (domain,
 * alt_domain, ports and addresses need a restart, as in Consul).
 */
export class DnsSurface implements ApiSurface {
  readonly name = 'dns';
  private settings: DnsSettings;
  private readonly responder: DnsResponder;
  private listeners: Listener[] = [];
  private readonly connections = new Set<TcpDnsConnection>();
  private port = 0;
  private stopped = false;
  private started = false;

  constructor(private readonly deps: DnsSurfaceDeps) {
    this.settings = dnsSettingsFrom(deps.config);
    const shuffle = new FastShuffle(deps.random);
    this.responder = new DnsResponder({
      resolver: deps.resolver,
      settings: () => this.settings,
      clock: deps.clock,
      shuffle,
      recursors: new RecursorClient(deps.clock, shuffle, deps.logger.child('recursor')),
      logger: deps.logger,
      ...(deps.metrics ? { metrics: { sink: deps.metrics, nodeName: deps.config.nodeName } } : {}),
    });
  }

  /** Binds UDP and TCP on every DNS address; rejects with LISTEN_FAILED naming the address (and binds nothing) on failure. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.reportBadRecursors(this.settings);
    this.deps.hooks.reload.tapPromise('surface-dns', async (next) => {
      if (this.stopped) return;
      // domain and alt_domain (like ports and addresses) take effect only after a restart; the agent warns about them.
      this.settings = dnsSettingsFrom({ ...next, domain: this.deps.config.domain, altDomain: this.deps.config.altDomain });
      this.reportBadRecursors(this.settings);
      this.deps.logger.info('DNS settings reloaded');
    });
    const port = this.deps.config.ports.dns;
    if (port < 0) {
      this.deps.logger.info('DNS interface disabled (ports.dns = -1)');
      return;
    }
    const hosts = dnsHosts(this.deps.config);
    try {
      this.port = port === 0 ? await this.bindEphemeral(hosts[0]!) : port;
      for (const host of hosts) {
        if (this.listeners.some((l) => l.host === host)) continue;
        this.listeners.push(await this.bind(host, this.port));
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.deps.logger.info('DNS interface listening', { addresses: this.addresses().join(',') });
  }

  /** `host:port` per bound address (IPv6 in brackets); UDP and TCP share it. */
  addresses(): string[] {
    return this.listeners.map((l) => (isIP(l.host) === 6 ? `[${l.host}]:${this.port}` : `${l.host}:${this.port}`));
  }

  /** Closes the sockets and every TCP connection. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const c of [...this.connections]) c.destroy();
    await Promise.all(
      listeners.map(async (l) => {
        await new Promise<void>((resolve) => {
          try {
            l.udp.close(() => resolve());
          } catch {
            resolve();
          }
        });
        await new Promise<void>((resolve) => l.tcp.close(() => resolve()));
      }),
    );
  }

  private reportBadRecursors(s: DnsSettings): void {
    for (const r of s.badRecursors) this.deps.logger.warn('ignoring a recursor that is not ip[:port]', { recursor: r });
  }

  private async bindEphemeral(host: string): Promise<number> {
    for (let i = 0; i < EPHEMERAL_ATTEMPTS; i++) {
      const udp = await this.bindUdp(host, 0);
      const port = udp.address().port;
      try {
        const tcp = await this.bindTcp(host, port);
        this.listeners.push({ host, udp, tcp });
        return port;
      } catch (e) {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        if ((e as SextantError).details?.errno !== 'EADDRINUSE') throw e;
      }
    }
    throw new SextantError(ErrorCode.ListenFailed, `DNS: no free port for both UDP and TCP on ${host}`);
  }

  private async bind(host: string, port: number): Promise<Listener> {
    const udp = await this.bindUdp(host, port);
    try {
      return { host, udp, tcp: await this.bindTcp(host, port) };
    } catch (e) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      throw e;
    }
  }

  private bindUdp(host: string, port: number): Promise<UdpSocket> {
    const sock = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        sock.close();
        reject(listenFailed('UDP', host, port, e));
      };
      sock.once('error', onError);
      sock.bind(port, host, () => {
        sock.off('error', onError);
        sock.on('error', (e) => this.deps.logger.debug('DNS UDP send failed', { error: e.message }));
        sock.on('message', (msg, rinfo) => {
          this.responder.handle(msg, 'udp').then(
            (out) => {
              // No callback: Node then tries the send synchronously (uv_udp_try_send) and reports
              // failures as socket 'error' events, which costs a third of a callback per answer.
              if (out && !this.stopped) sock.send(out, rinfo.port, rinfo.address);
            },
            (e: unknown) => this.deps.logger.error('DNS UDP handler failed', { error: e }),
          );
        });
        resolve(sock);
      });
    });
  }

  private bindTcp(host: string, port: number): Promise<Server> {
    const server = createServer((socket) => {
      if (this.stopped) {
        socket.destroy();
        return;
      }
      if (this.connections.size >= (this.deps.tcpMaxConnections ?? DEFAULT_TCP_MAX_CONNECTIONS)) {
        this.deps.logger.debug('too many DNS TCP connections, closing a new one', { max: this.deps.tcpMaxConnections ?? DEFAULT_TCP_MAX_CONNECTIONS });
        socket.destroy();
        return;
      }
      const conn = new TcpDnsConnection(
        socket,
        (msg) => this.responder.handle(msg, 'tcp'),
        this.deps.clock,
        this.deps.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS,
        this.deps.tcpMessageDeadlineMs ?? DEFAULT_TCP_MESSAGE_DEADLINE_MS,
        this.deps.logger,
        () => this.connections.delete(conn),
      );
      this.connections.add(conn);
    });
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => reject(listenFailed('TCP', host, port, e));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (e) => this.deps.logger.warn('DNS TCP server error', { error: e.message }));
        resolve(server);
      });
    });
  }
}

/** `addresses.dns` (space-separated) when set, else the client addresses. */
export function dnsHosts(config: RuntimeConfig): string[] {
  return listenHosts(config, 'dns');
}

function listenFailed(proto: string, host: string, port: number, e: NodeJS.ErrnoException): SextantError {
  const where = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return new SextantError(ErrorCode.ListenFailed, `DNS: cannot listen on ${proto} ${where}: ${e.message}`, { errno: e.code }, { cause: e });
}
