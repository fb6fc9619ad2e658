import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { KernelServices, PluginContext, PortName, ProviderFactory } from '../../contracts/plugin.js';
import plugin from '../../plugins/transport-tcp/index.js';
import { TcpTransport, type TcpTransportOptions } from '../../plugins/transport-tcp/tcp-transport.js';
import { RawTcpConnectionTransport } from '../../plugins/transport-tcp/raw-connection-transport.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { TextLogger } from '../../src/platform/text-logger.js';
import { describeStreamTransportConformance } from '../conformance/transport.conformance.js';
import { TEST_PROTOCOL, handlersOf } from '../support/protocol-handlers.js';
import { closeAfterEach, until } from '../support/socket-test-helpers.js';

const clock = new SystemClock();
const logger = TextLogger.create({ level: 'error', sink: () => undefined, clock });
const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tcp(opts: Partial<TcpTransportOptions> = {}): TcpTransport {
  return new TcpTransport({ bindAddr: '127.0.0.1', port: 0, logger, clock, ...opts });
}

/** A loopback port with nothing listening (bound, read, released). */
async function deadAddress(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describeStreamTransportConformance('tcp (loopback, ephemeral ports)', async () => {
  const a = tcp();
  const b = tcp();
  await a.start();
  await b.start();
  return { a, b, unreachable: await deadAddress(), cleanup: async () => undefined };
});

describe('transport-tcp specifics', () => {
  const track = closeAfterEach();

  it('binds an ephemeral port for port 0 and reports advertiseAddr:realPort', async () => {
    const t = track(tcp({ advertiseAddr: '127.0.0.2' }));
    await t.start();
    const m = /^127\.0\.0\.2:(\d+)$/.exec(t.localAddress);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
  });

  it('passes the advertised address from the hello as `from`, not the socket peer', async () => {
    const a = track(tcp({ advertiseAddr: '127.0.0.2' }));
    const b = track(tcp());
    await a.start();
    await b.start();
    const from: string[] = [];
    handlersOf(b).onMessage((f) => from.push(f));
    handlersOf(b).onRequest(async (f) => bytes(f));
    a.send(b.localAddress, TEST_PROTOCOL, bytes('hi'));
    const resp = await a.request(b.localAddress, TEST_PROTOCOL, bytes('who am i'), { timeoutMs: 5000 });
    await until(() => from.length === 1);
    expect(from).toEqual([a.localAddress]);
    expect(text(resp)).toBe(a.localAddress);
    expect(a.localAddress.startsWith('127.0.0.2:')).toBe(true);
  });

  it('start rejects with TRANSPORT_FAILED when the port is taken', async () => {
    const a = track(tcp());
    await a.start();
    const port = Number(a.localAddress.split(':')[1]);
    const clash = track(tcp({ port }));
    const err = await rejection(clash.start());
    expect(isSextantError(err, ErrorCode.TransportFailed), String(err)).toBe(true);
    expect((err as Error).message).toContain(String(port));
  });

  it('reports why a connection could not be made', async () => {
    const a = track(tcp());
    await a.start();
    const dead = await deadAddress();
    const err = await rejection(a.request(dead, TEST_PROTOCOL, bytes('x'), { timeoutMs: 5000 }));
    expect(isSextantError(err, ErrorCode.TransportFailed), String(err)).toBe(true);
    expect((err as Error).message).toContain(`cannot connect to ${dead}`);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('uses one pooled connection per peer for messages and requests', async () => {
    const a = track(tcp());
    const b = track(tcp());
    await a.start();
    await b.start();
    const got: string[] = [];
    handlersOf(b).onMessage((_f, m) => got.push(text(m)));
    handlersOf(b).onRequest(async (_f, m) => m);
    for (let i = 0; i < 20; i++) a.send(b.localAddress, TEST_PROTOCOL, bytes(`m${i}`));
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.request(b.localAddress, TEST_PROTOCOL, bytes(`r${i}`), { timeoutMs: 5000 })));
    await until(() => got.length === 20);
    expect(a.stats.connectionsDialed).toBe(1);
    expect(b.stats.connectionsAccepted).toBe(1);
  });

  it('fails a pending request with TRANSPORT_FAILED as soon as the peer goes away, well before the timeout', async () => {
    const a = track(tcp());
    const b = tcp();
    await a.start();
    await b.start();
    let arrived = false;
    handlersOf(b).onRequest(() => {
      arrived = true;
      return new Promise<Uint8Array>(() => undefined);
    });
    const t0 = performance.now();
    const p = rejection(a.request(b.localAddress, TEST_PROTOCOL, bytes('x'), { timeoutMs: 20_000 }));
    await until(() => arrived);
    await b.close();
    const err = await p;
    expect(isSextantError(err, ErrorCode.TransportFailed), String(err)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('reconnects lazily after the peer restarts on the same address', async () => {
    const a = track(tcp());
    const b1 = tcp();
    await a.start();
    await b1.start();
    const addr = b1.localAddress;
    handlersOf(b1).onRequest(async () => bytes('one'));
    expect(text(await a.request(addr, TEST_PROTOCOL, bytes('x'), { timeoutMs: 5000 }))).toBe('one');
    await b1.close();
    await sleep(20);
    expect(isSextantError(await rejection(a.request(addr, TEST_PROTOCOL, bytes('x'), { timeoutMs: 5000 })), ErrorCode.TransportFailed)).toBe(true);
    const b2 = track(tcp({ port: Number(addr.split(':')[1]) }));
    await b2.start();
    handlersOf(b2).onRequest(async () => bytes('two'));
    const got: string[] = [];
    handlersOf(b2).onMessage((_f, m) => got.push(text(m)));
    expect(text(await a.request(addr, TEST_PROTOCOL, bytes('x'), { timeoutMs: 5000 }))).toBe('two');
    a.send(addr, TEST_PROTOCOL, bytes('back again'));
    await until(() => got.length === 1);
    expect(got).toEqual(['back again']);
  });

  it('drops messages instead of buffering without bound when the peer stops reading', async () => {
    // A peer that accepts but never reads: the kernel buffers fill, then our queue limit applies.
    const sockets: Socket[] = [];
    const stuck: Server = createServer((s) => {
      s.pause();
      sockets.push(s);
    });
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    track({ close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); stuck.close(() => r()); }) });
    const addr = `127.0.0.1:${(stuck.address() as AddressInfo).port}`;
    const a = track(tcp({ maxBufferedBytes: 1024 * 1024 }));
    await a.start();
    const mb = new Uint8Array(1024 * 1024);
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      a.send(addr, TEST_PROTOCOL, mb);
      if (i % 20 === 0) await sleep(5);
    }
    expect(performance.now() - t0).toBeLessThan(3000);
    // 200 MiB were offered; at most ~1 MiB queued plus what the kernel socket buffers absorbed.
    expect(a.stats.messagesDropped).toBeGreaterThan(100);
    const err = await rejection(a.request(addr, TEST_PROTOCOL, mb, { timeoutMs: 2000 }));
    expect(isSextantError(err, ErrorCode.TransportFailed), String(err)).toBe(true);
    expect((err as Error).message).toContain('full');
  });

  it('refuses frames above maxFrameBytes: TOO_LARGE for requests, a counted drop for messages', async () => {
    const a = track(tcp({ maxFrameBytes: 1000 }));
    const b = track(tcp());
    await a.start();
    await b.start();
    const err = await rejection(a.request(b.localAddress, TEST_PROTOCOL, new Uint8Array(1001), { timeoutMs: 1000 }));
    expect(isSextantError(err, ErrorCode.TooLarge), String(err)).toBe(true);
    a.send(b.localAddress, TEST_PROTOCOL, new Uint8Array(1001));
    expect(a.stats.messagesDropped).toBe(1);
  });

  it('answers with TRANSPORT_FAILED when a response exceeds the responder maxFrameBytes', async () => {
    const a = track(tcp());
    const b = track(tcp({ maxFrameBytes: 1000 }));
    await a.start();
    await b.start();
    handlersOf(b).onRequest(async () => new Uint8Array(5000));
    const err = await rejection(a.request(b.localAddress, TEST_PROTOCOL, bytes('x'), { timeoutMs: 5000 }));
    expect(isSextantError(err, ErrorCode.TransportFailed), String(err)).toBe(true);
    expect((err as Error).message).toContain('exceeds the maximum frame size');
  });

  it('drops (never throws on) sends and requests to addresses that are not host:port', async () => {
    const a = track(tcp());
    await a.start();
    expect(() => a.send('not-an-address', TEST_PROTOCOL, bytes('x'))).not.toThrow();
    expect(() => a.send('[::1', TEST_PROTOCOL, bytes('x'))).not.toThrow();
    expect(a.stats.messagesDropped).toBe(2);
    const err = await rejection(a.request('node-b', TEST_PROTOCOL, bytes('x'), { timeoutMs: 1000 }));
    expect(isSextantError(err, ErrorCode.TransportFailed), String(err)).toBe(true);
  });

  it('works over IPv6 loopback with bracketed addresses', async () => {
    const a = track(tcp({ bindAddr: '::1' }));
    const b = track(tcp({ bindAddr: '::1' }));
    try {
      await a.start();
      await b.start();
    } catch (e) {
      // No IPv6 on this host: the bind failure must still be a typed error.
      expect(isSextantError(e, ErrorCode.TransportFailed)).toBe(true);
      return;
    }
    expect(b.localAddress).toMatch(/^\[::1\]:\d+$/);
    handlersOf(b).onRequest(async (from) => bytes(from));
    expect(text(await a.request(b.localAddress, TEST_PROTOCOL, bytes('x'), { timeoutMs: 5000 }))).toBe(a.localAddress);
  });

  it('the plugin provides transport and connectionTransport "tcp" built from the runtime config', async () => {
    const provided: { port: PortName; id: string; factory: ProviderFactory<PortName> }[] = [];
    const ctx = {
      name: plugin.name,
      pluginConfig: {},
      provide: (port: PortName, id: string, factory: ProviderFactory<PortName>) => provided.push({ port, id, factory }),
    } as unknown as PluginContext;
    await plugin.register(ctx);
    expect(plugin.name).toBe('transport-tcp');
    expect(plugin.kernel).toBe('^1.0.0');
    expect(provided.map((p) => [p.port, p.id])).toEqual([
      ['transport', 'tcp'],
      ['connectionTransport', 'tcp'],
    ]);
    const services = {
      config: { bindAddr: '127.0.0.1', advertiseAddr: '127.0.0.1', ports: { server: 0, serfLan: 0 } },
      logger,
      clock,
    } as unknown as KernelServices;
    const t = track((await provided[0]!.factory(services)) as TcpTransport);
    expect(t).toBeInstanceOf(TcpTransport);
    await t.start();
    expect(t.localAddress).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    const raw = (await provided[1]!.factory(services)) as RawTcpConnectionTransport;
    expect(raw).toBeInstanceOf(RawTcpConnectionTransport);
    await raw.start();
    expect(raw.localAddress).toMatch(/^127\.0\.0\.1:[1-9]\d*$/); // bound on the serf LAN port (ephemeral here)
    await raw.close();
  });
});
