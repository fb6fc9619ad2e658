import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { KernelServices, PluginContext, PortName, ProviderFactory } from '../../contracts/plugin.js';
import plugin from '../../plugins/transport-udp/index.js';
import { MAX_UDP4_PACKET_BYTES, MAX_UDP6_PACKET_BYTES, UdpTransport, type UdpTransportOptions } from '../../plugins/transport-udp/udp-transport.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { TextLogger } from '../../src/platform/text-logger.js';
import { describePacketTransportConformance } from '../conformance/transport.conformance.js';
import { closeAfterEach, until } from '../support/socket-test-helpers.js';

const clock = new SystemClock();
const logger = TextLogger.create({ level: 'error', sink: () => undefined, clock });
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function udp(opts: Partial<UdpTransportOptions> = {}): UdpTransport {
  return new UdpTransport({ bindAddr: '127.0.0.1', port: 0, logger, ...opts });
}

/** A loopback UDP port with nothing bound (bound, read, released). */
async function deadAddress(): Promise<string> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}

describePacketTransportConformance('udp (loopback, ephemeral ports)', async () => {
  const a = udp();
  const b = udp();
  await a.start();
  await b.start();
  return { a, b, unreachable: await deadAddress(), cleanup: async () => undefined };
});

describe('transport-udp specifics', () => {
  const track = closeAfterEach();

  it('binds an ephemeral port for port 0 and reports advertiseAddr:realPort; IPv4 packets up to 65 507 bytes', async () => {
    const t = track(udp({ advertiseAddr: '127.0.0.2' }));
    await t.start();
    const m = /^127\.0\.0\.2:(\d+)$/.exec(t.localAddress);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(t.maxPacketBytes).toBe(MAX_UDP4_PACKET_BYTES);
  });

  it('start rejects with TRANSPORT_FAILED naming the port when it is taken', async () => {
    const a = track(udp());
    await a.start();
    const port = Number(a.localAddress.split(':')[1]);
    const clash = track(udp({ port }));
    const err = await clash.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSextantError(err, ErrorCode.TransportFailed), String(err)).toBe(true);
    expect((err as Error).message).toContain(String(port));
  });

  it('drops (never throws on) sends before start, and counts oversize and malformed sends', async () => {
    const a = track(udp());
    const b = track(udp());
    await b.start();
    expect(() => a.sendPacket(b.localAddress, new Uint8Array([1]))).not.toThrow();
    expect(a.stats.packetsDropped).toBe(1);
    await a.start();
    a.sendPacket(b.localAddress, new Uint8Array(MAX_UDP4_PACKET_BYTES + 1));
    a.sendPacket('node-b', new Uint8Array([1]));
    a.sendPacket('[::1', new Uint8Array([1]));
    expect(a.stats.packetsDropped).toBe(4);
    expect(a.stats.packetsSent).toBe(0);
  });

  it('works over IPv6 loopback with bracketed addresses and the IPv6 packet limit', async () => {
    const a = track(udp({ bindAddr: '::1' }));
    const b = track(udp({ bindAddr: '::1' }));
    try {
      await a.start();
      await b.start();
    } catch (e) {
      // No IPv6 on this host: the bind failure must still be a typed error.
      expect(isSextantError(e, ErrorCode.TransportFailed)).toBe(true);
      return;
    }
    expect(b.localAddress).toMatch(/^\[::1\]:\d+$/);
    expect(b.maxPacketBytes).toBe(MAX_UDP6_PACKET_BYTES);
    const got: [string, string][] = [];
    b.onPacket((from, m) => got.push([from, text(m)]));
    a.sendPacket(b.localAddress, new TextEncoder().encode('over v6'));
    await until(() => got.length === 1);
    expect(got).toEqual([[a.localAddress, 'over v6']]);
  });

  it('the plugin provides packetTransport "udp" bound at ports.serfLan', async () => {
    const provided: { port: PortName; id: string; factory: ProviderFactory<PortName> }[] = [];
    const ctx = {
      name: plugin.name,
      pluginConfig: {},
      provide: (port: PortName, id: string, factory: ProviderFactory<PortName>) => provided.push({ port, id, factory }),
    } as unknown as PluginContext;
    await plugin.register(ctx);
    expect(plugin.name).toBe('transport-udp');
    expect(plugin.kernel).toBe('^1.0.0');
    expect(provided.map((p) => [p.port, p.id])).toEqual([['packetTransport', 'udp']]);
    const services = {
      config: { bindAddr: '127.0.0.1', advertiseAddr: '127.0.0.1', ports: { serfLan: 0, server: 1 } },
      logger,
      clock,
    } as unknown as KernelServices;
    const t = track((await provided[0]!.factory(services)) as UdpTransport);
    expect(t).toBeInstanceOf(UdpTransport);
    await t.start();
    expect(t.localAddress).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
  });
});
