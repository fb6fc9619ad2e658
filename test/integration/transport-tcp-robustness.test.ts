import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameKind, encodeFrame } from '../../plugins/transport-tcp/frame.js';
import { TcpTransport } from '../../plugins/transport-tcp/tcp-transport.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { TextLogger } from '../../src/platform/text-logger.js';
import { TEST_PROTOCOL, handlersOf } from '../support/protocol-handlers.js';

const clock = new SystemClock();
const lines: string[] = [];
const logger = TextLogger.create({ level: 'warn', sink: (l) => lines.push(l), clock });
const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw socket to `addr` that has sent its protocol byte (TEST_PROTOCOL), with a promise for its close. */
async function raw(addr: string): Promise<{ sock: Socket; closed: Promise<void>; received: Buffer[] }> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const sock = connect({ host, port });
  const received: Buffer[] = [];
  sock.on('data', (d: Buffer) => received.push(d));
  sock.on('error', () => undefined);
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  await new Promise<void>((r, j) => {
    sock.once('connect', r);
    sock.once('error', j);
  });
  sock.write(Buffer.from([TEST_PROTOCOL]));
  return { sock, closed, received };
}

/** Resolves true when `p` settles within `ms`, false otherwise. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
  clearTimeout(timer);
  return r;
}

function header(length: number, kind: number, id = 0): Buffer {
  const h = Buffer.alloc(9);
  h.writeUInt32BE(length >>> 0, 0);
  h.writeUInt8(kind, 4);
  h.writeUInt32BE(id, 5);
  return h;
}

describe('transport-tcp robustness against hostile bytes', () => {
  let a: TcpTransport;
  let b: TcpTransport;
  const messages: [string, string][] = [];

  beforeAll(async () => {
    a = new TcpTransport({ bindAddr: '127.0.0.1', port: 0, logger, clock, maxFrameBytes: 1024 * 1024 });
    b = new TcpTransport({ bindAddr: '127.0.0.1', port: 0, logger, clock, maxFrameBytes: 1024 * 1024 });
    await a.start();
    await b.start();
    handlersOf(b).onMessage((from, m) => messages.push([from, text(m)]));
    handlersOf(b).onRequest(async (_f, m) => {
      return bytes(`ok:${text(m)}`);
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  /** The well-behaved a → b connection still answers (same pooled connection throughout). */
  async function healthy(tag: string): Promise<void> {
    expect(text(await a.request(b.localAddress, TEST_PROTOCOL, bytes(tag), { timeoutMs: 2000 }))).toBe(`ok:${tag}`);
  }

  it('survives random garbage on fresh connections while a well-behaved peer keeps working', async () => {
    await healthy('before');
    const dialed = a.stats.connectionsDialed;
    const accepted = b.stats.connectionsAccepted;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), fc.boolean(), async (garbage, endAfter) => {
        const r = await raw(b.localAddress);
        r.sock.write(garbage);
        if (endAfter) r.sock.end();
        await sleep(1);
        r.sock.destroy();
        await r.closed;
        await healthy('during');
      }),
      { numRuns: 150 },
    );
    await healthy('after');
    // every garbage connection was accepted and torn down; `a` never had to redial
    expect(b.stats.connectionsAccepted - accepted).toBe(150);
    expect(a.stats.connectionsDialed).toBe(dialed);
  });

  it('closes, on its own, every connection whose garbage starts with an invalid header', async () => {
    const max = 1024 * 1024;
    const invalidHeader = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })),
      fc.tuple(fc.integer({ min: max + 6, max: 0xffffffff }), fc.integer({ min: 0, max: 255 })),
      fc.tuple(fc.integer({ min: 5, max: max + 5 }), fc.integer({ min: 6, max: 255 })), // kinds 0-5 exist (5: Cancel)
    );
    await fc.assert(
      fc.asyncProperty(invalidHeader, fc.uint8Array({ maxLength: 512 }), async ([len, kind], rest) => {
        const r = await raw(b.localAddress);
        const head = Buffer.alloc(5);
        head.writeUInt32BE(len, 0);
        head.writeUInt8(kind, 4);
        r.sock.write(Buffer.concat([head, rest]));
        const closedByServer = await within(r.closed, 2000);
        r.sock.destroy();
        expect(closedByServer).toBe(true);
      }),
      { numRuns: 60 },
    );
    await healthy('after invalid headers');
  });

  it('closes a connection announcing an oversize frame at once and logs it', async () => {
    const r = await raw(b.localAddress);
    const errorsBefore = b.stats.protocolErrors;
    r.sock.write(header(0xffffffff, FrameKind.Message));
    expect(await within(r.closed, 2000)).toBe(true);
    expect(b.stats.protocolErrors).toBe(errorsBefore + 1);
    expect(lines.some((l) => l.includes('frame too large'))).toBe(true);
    await healthy('after oversize');
  });

  it('closes connections with a length below the minimum, an unknown kind or a misplaced hello', async () => {
    const cases: Buffer[] = [
      header(4, FrameKind.Message).subarray(0, 8),
      header(9, 0xee),
      Buffer.concat([encodeFrame(FrameKind.Message, 0, bytes('fine')), encodeFrame(FrameKind.Hello, 0, bytes('1.2.3.4:5'))]),
      encodeFrame(FrameKind.Hello, 0, new Uint8Array(0)),
    ];
    for (const c of cases) {
      const r = await raw(b.localAddress);
      r.sock.write(c);
      expect(await within(r.closed, 2000), `closed after ${c.toString('hex').slice(0, 40)}`).toBe(true);
    }
    await healthy('after malformed');
  });

  it('discards a truncated frame without calling a handler when the sender disconnects', async () => {
    const before = messages.length;
    const r = await raw(b.localAddress);
    const frame = encodeFrame(FrameKind.Message, 0, bytes('truncated message body'));
    r.sock.write(frame.subarray(0, frame.length - 5));
    await sleep(20);
    r.sock.end();
    await r.closed;
    await sleep(20);
    expect(messages.length).toBe(before);
    await healthy('after truncated');
  });

  it('decodes frames split at every byte boundary and batched together; `from` is ip:port without a hello', async () => {
    const r = await raw(b.localAddress);
    const stream = Buffer.concat([
      encodeFrame(FrameKind.Message, 0, bytes('one')),
      encodeFrame(FrameKind.Request, 7, bytes('two')),
      encodeFrame(FrameKind.Message, 0, bytes('three')),
    ]);
    for (const byte of stream) {
      r.sock.write(Buffer.from([byte]));
      await new Promise((res) => setImmediate(res));
    }
    const expectedFrom = `127.0.0.1:${r.sock.localPort}`;
    for (let i = 0; i < 200 && !messages.some(([, m]) => m === 'three'); i++) await sleep(5);
    expect(messages.filter(([, m]) => m === 'one' || m === 'three')).toEqual([
      [expectedFrom, 'one'],
      [expectedFrom, 'three'],
    ]);
    // the response to request 7 came back on the raw socket
    for (let i = 0; i < 200 && Buffer.concat(r.received).length < 9 + 6; i++) await sleep(5);
    const resp = Buffer.concat(r.received);
    expect(resp.readUInt32BE(0)).toBe(5 + 6);
    expect(resp[4]).toBe(FrameKind.Response);
    expect(resp.readUInt32BE(5)).toBe(7);
    expect(resp.subarray(9).toString()).toBe('ok:two');
    r.sock.destroy();
  });

  it('uses the address from a hello as `from`, and ignores unsolicited responses', async () => {
    const r = await raw(b.localAddress);
    r.sock.write(
      Buffer.concat([
        encodeFrame(FrameKind.Hello, 0, bytes('10.9.8.7:8300')),
        encodeFrame(FrameKind.Response, 99, bytes('nobody asked')),
        encodeFrame(FrameKind.ErrorResponse, 98, bytes('nobody asked either')),
        encodeFrame(FrameKind.Message, 0, bytes('announced')),
      ]),
    );
    for (let i = 0; i < 200 && !messages.some(([, m]) => m === 'announced'); i++) await sleep(5);
    expect(messages.find(([, m]) => m === 'announced')).toEqual(['10.9.8.7:8300', 'announced']);
    expect(await within(r.closed, 50)).toBe(false);
    r.sock.destroy();
  });

  it('survives many concurrent hostile connections mixed with valid traffic', async () => {
    const hostile = await Promise.all(Array.from({ length: 30 }, () => raw(b.localAddress)));
    const junk = Buffer.alloc(4096, 0x41); // length prefix 0x41414141 → oversize → closed
    hostile.forEach((r, i) => r.sock.write(i % 2 ? junk : header(1024, FrameKind.Message).subarray(0, 7)));
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => a.request(b.localAddress, TEST_PROTOCOL, bytes(`c${i}`), { timeoutMs: 3000 })));
    expect(answers.map(text)).toEqual(Array.from({ length: 50 }, (_, i) => `ok:c${i}`));
    for (const r of hostile) r.sock.destroy();
    await Promise.all(hostile.map((r) => r.closed));
    await healthy('after the storm');
  });
});
