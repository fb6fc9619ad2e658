import { createServer, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { ErrorCode } from '../../../contracts/errors.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { DnsSurface } from '../../../plugins/surface-dns/dns-surface.js';
import { dig } from './dig.js';
import { dnsHarness, dnsRuntimeConfig } from './dns-harness.js';

const surfaces: DnsSurface[] = [];
afterEach(async () => {
  for (const s of surfaces.splice(0)) await s.stop();
});

function surface(config: RuntimeConfig, tcpIdleMs = 1000, tcp: { tcpMessageDeadlineMs?: number; tcpMaxConnections?: number } = {}) {
  const h = dnsHarness();
  const hooks = createHooks();
  const logger = TextLogger.create({ level: 'error', sink: () => {}, clock: h.clock });
  const s = new DnsSurface({ config, resolver: h.resolver, hooks, clock: h.clock, random: new SeededRandom(1), logger, tcpIdleMs, ...tcp });
  surfaces.push(s);
  return { h, s, hooks };
}

const withPort = (dns: number, extra: Record<string, unknown> = {}): RuntimeConfig => ({ ...dnsRuntimeConfig(), ports: { dns }, ...extra }) as unknown as RuntimeConfig;

describe('DnsSurface', () => {
  it('binds UDP and TCP on one ephemeral port and reports it', async () => {
    const { h, s } = surface(withPort(0));
    await s.start();
    const [addr] = s.addresses();
    const port = Number(addr!.split(':')[1]);
    expect(addr).toBe(`127.0.0.1:${port}`);
    await h.register({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'web', Port: 1 } as never });
    expect((await dig(port, ['web.service.consul'])).answer[0]!.data).toBe('10.0.0.1');
    expect((await dig(port, ['+tcp', 'web.service.consul'])).answer[0]!.data).toBe('10.0.0.1');
  });

  it('is disabled by ports.dns = -1', async () => {
    const { s } = surface(withPort(-1));
    await s.start();
    expect(s.addresses()).toEqual([]);
  });

  it('fails with LISTEN_FAILED naming the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const { s } = surface(withPort(port));
    await expect(s.start()).rejects.toMatchObject({ code: ErrorCode.ListenFailed, message: expect.stringContaining(`127.0.0.1:${port}`) });
    expect(s.addresses()).toEqual([]);
    await new Promise<void>((r) => blocker.close(() => r()));
  });

  it('listens on addresses.dns when set', async () => {
    const { s } = surface(withPort(0, { extra: { dns_config: {}, addresses: { dns: '127.0.0.1' } }, clientAddrs: ['0.0.0.0'] }));
    await s.start();
    expect(s.addresses()[0]).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('closes idle TCP connections after the idle timeout (on the Clock)', async () => {
    const { h, s } = surface(withPort(0), 1000);
    await s.start();
    const port = Number(s.addresses()[0]!.split(':')[1]);
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    let ended = false;
    sock.on('end', () => (ended = true));
    sock.on('error', () => {});
    await new Promise((r) => setTimeout(r, 50));
    h.clock.advance(500);
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(false);
    h.clock.advance(600);
    await expect.poll(() => ended, { timeout: 2000 }).toBe(true);
    sock.destroy();
  });

  it('closes a TCP connection whose message trickles in for longer than the message deadline, however steady the trickle', async () => {
    const { h, s } = surface(withPort(0), 8000, { tcpMessageDeadlineMs: 2000 });
    await s.start();
    const port = Number(s.addresses()[0]!.split(':')[1]);
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    let closed = false;
    sock.on('close', () => (closed = true));
    sock.on('error', () => {});
    sock.write(Buffer.from([0, 40])); // a 40-byte message announced...
    for (let i = 0; i < 9; i++) {
      // ...and one byte every 250 ms: activity all the time, never a whole message.
      await new Promise((r) => setTimeout(r, 20));
      sock.write(Buffer.from([i]));
      h.clock.advance(250);
    }
    await new Promise((r) => setTimeout(r, 50));
    await expect.poll(() => closed, { timeout: 2000 }).toBe(true);
  });

  it('closes a new TCP connection that sends no whole message within the message deadline, and keeps one that did', async () => {
    const { h, s } = surface(withPort(0), 8000, { tcpMessageDeadlineMs: 2000 });
    await s.start();
    const port = Number(s.addresses()[0]!.split(':')[1]);
    const open = async (): Promise<{ sock: ReturnType<typeof connect>; closed: () => boolean; data: () => number }> => {
      const sock = connect(port, '127.0.0.1');
      let closed = false;
      let data = 0;
      sock.on('close', () => (closed = true));
      sock.on('data', (d: Buffer) => (data += d.length));
      sock.on('error', () => {});
      await new Promise<void>((r) => sock.once('connect', () => r()));
      return { sock, closed: () => closed, data: () => data };
    };
    const silent = await open();
    const talker = await open();
    const query = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'consul.' }] });
    const framed = Buffer.alloc(2 + query.length);
    framed.writeUInt16BE(query.length, 0);
    query.copy(framed, 2);
    talker.sock.write(framed);
    await expect.poll(() => talker.data(), { timeout: 2000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    h.clock.advance(1500);
    await new Promise((r) => setTimeout(r, 50));
    expect([silent.closed(), talker.closed()]).toEqual([false, false]);
    h.clock.advance(600);
    await expect.poll(() => silent.closed(), { timeout: 2000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(talker.closed()).toBe(false); // answered once: the idle wait (8 s) applies now
    talker.sock.destroy();
  });

  it('serves at most tcpMaxConnections TCP connections at once; the next is closed on accept', async () => {
    const { s } = surface(withPort(0), 8000, { tcpMaxConnections: 2 });
    await s.start();
    const port = Number(s.addresses()[0]!.split(':')[1]);
    const open = async (): Promise<{ sock: ReturnType<typeof connect>; closed: () => boolean }> => {
      const sock = connect(port, '127.0.0.1');
      let closed = false;
      sock.on('close', () => (closed = true));
      sock.on('error', () => {});
      await new Promise<void>((r) => sock.once('connect', () => r()));
      return { sock, closed: () => closed };
    };
    const a = await open();
    const b = await open();
    const c = await open();
    await expect.poll(() => c.closed(), { timeout: 2000 }).toBe(true);
    expect(a.closed() || b.closed()).toBe(false);
    a.sock.destroy();
    await expect.poll(() => a.closed()).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const d = await open();
    await new Promise((r) => setTimeout(r, 100));
    expect(d.closed()).toBe(false);
    b.sock.destroy();
    d.sock.destroy();
  });

  it('takes new dns_config on reload', async () => {
    const { h, s, hooks } = surface(withPort(0));
    await s.start();
    const port = Number(s.addresses()[0]!.split(':')[1]);
    await h.register({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'web', Port: 1 } as never });
    expect((await dig(port, ['web.service.consul'])).answer[0]!.ttl).toBe(0);
    const next = { ...withPort(0), domain: 'other.', extra: { dns_config: { service_ttl: { web: '9s' } } } } as unknown as RuntimeConfig;
    await hooks.reload.promise(next, withPort(0));
    expect((await dig(port, ['web.service.consul'])).answer[0]!.ttl).toBe(9);
    // The domain is restart-only.
    expect((await dig(port, ['web.service.other'])).status).toBe('REFUSED');
  });
});
