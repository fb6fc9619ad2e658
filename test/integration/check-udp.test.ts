import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { UdpCheckRunner } from '../../plugins/check-udp/udp-check-runner.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import type { CheckDefinition } from '../../contracts/ports/check-runner.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

const never = new AbortController().signal;
const runner = (): UdpCheckRunner => new UdpCheckRunner({ clock: new SystemClock(), logger: new SilentLogger() });
const def = (fields: Record<string, unknown>): CheckDefinition => ({ id: 'u', name: 'u', ...fields });

async function udpListener(reply: boolean): Promise<{ port: number; received: () => number }> {
  const s = createSocket('udp4');
  sockets.push(s);
  let n = 0;
  s.on('message', (_m, rinfo) => {
    n++;
    if (reply) s.send(Buffer.from('ok'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, received: () => n };
}

async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

describe('udp check', () => {
  it('a listener that answers is passing, and it received the datagram', async () => {
    const l = await udpListener(true);
    const target = `127.0.0.1:${l.port}`;
    expect(await runner().probe(def({ udp: target, timeout: '2s' }), never)).toEqual({ status: 'passing', output: `UDP connect ${target}: Success` });
    expect(l.received()).toBe(1);
  });

  it('a listener that stays silent is passing once the timeout passes (Consul passes on i/o timeout)', async () => {
    const l = await udpListener(false);
    const target = `127.0.0.1:${l.port}`;
    expect(await runner().probe(def({ udp: target, timeout: '200ms' }), never)).toEqual({ status: 'passing', output: `UDP connect ${target}: Success` });
    expect(l.received()).toBe(1);
  });

  it('a closed port (ICMP port unreachable) is critical with Go read error text', async () => {
    const port = await closedUdpPort();
    const r = await runner().probe(def({ udp: `127.0.0.1:${port}`, timeout: '2s' }), never);
    expect(r.status).toBe('critical');
    expect(r.output).toMatch(new RegExp(`^read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: read: connection refused$`));
  });

  it('an unknown host and a missing port are critical with Go dial texts', async () => {
    expect(await runner().probe(def({ udp: 'no-such-host.invalid:53', timeout: '2s' }), never)).toEqual({ status: 'critical', output: 'dial udp: lookup no-such-host.invalid: no such host' });
    expect(await runner().probe(def({ udp: '127.0.0.1', timeout: '2s' }), never)).toEqual({ status: 'critical', output: 'dial udp: address 127.0.0.1: missing port in address' });
  });

  it('accepts only definitions with udp, and validates timeout', () => {
    expect(runner().accepts(def({ udp: '127.0.0.1:53' }))).toBe(true);
    expect(runner().accepts(def({ tcp: '127.0.0.1:53' }))).toBe(false);
    expect(runner().validate(def({ udp: '127.0.0.1:53', timeout: 'soon' }), 'api')).toBe('timeout: time: invalid duration "soon"');
  });
});
