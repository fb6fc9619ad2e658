import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import { encodeFrame, FrameKind, type Frame } from '../../plugins/transport-tcp/frame.js';
import { FrameDecoder } from '../../plugins/transport-tcp/frame-decoder.js';
import { formatHostPort, parseHostPort } from '../../src/plugin-sdk/host-port.js';

const kinds = [FrameKind.Hello, FrameKind.Message, FrameKind.Request, FrameKind.Response, FrameKind.ErrorResponse] as const;
const arbFrame = fc.record({
  kind: fc.constantFrom(...kinds),
  id: fc.nat({ max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: 3000 }),
});

/** Splits `buf` at the given fractional cut points. */
function chunk(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('transport-tcp framing', () => {
  it('decodes any sequence of frames however the byte stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(arbFrame, { maxLength: 12 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.kind, f.id, f.payload)));
        const dec = new FrameDecoder(4096);
        const got: Frame[] = [];
        for (const c of chunk(stream, cuts)) got.push(...dec.push(c));
        expect(dec.pendingBytes).toBe(0);
        expect(got.map((f) => ({ kind: f.kind, id: f.id, payload: Buffer.from(f.payload).toString('hex') }))).toEqual(
          frames.map((f) => ({ kind: f.kind, id: f.id, payload: Buffer.from(f.payload).toString('hex') })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an oversize length as soon as the prefix arrives, without buffering the body', () => {
    const dec = new FrameDecoder(100);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(106);
    let err: unknown;
    try {
      dec.push(head);
    } catch (e) {
      err = e;
    }
    expect(isSextantError(err, ErrorCode.TooLarge)).toBe(true);
    expect(new FrameDecoder(100).push(encodeFrame(FrameKind.Message, 0, new Uint8Array(100)))[0]!.payload.byteLength).toBe(100);
  });

  it('rejects lengths below 5 and unknown kinds as malformed', () => {
    for (const bad of [Buffer.from([0, 0, 0, 4]), Buffer.from([0, 0, 0, 9, 6])]) {
      expect(() => new FrameDecoder(100).push(bad)).toThrow(/malformed/);
    }
  });

  it('copies the payload at encode time', () => {
    const p = new Uint8Array([1, 2, 3]);
    const f = encodeFrame(FrameKind.Message, 0, p);
    p[0] = 9;
    expect([...new FrameDecoder(10).push(f)[0]!.payload]).toEqual([1, 2, 3]);
  });

  it('parses and formats host:port, including bracketed IPv6, and refuses non-addresses', () => {
    expect(parseHostPort('10.0.0.1:8300')).toEqual({ host: '10.0.0.1', port: 8300 });
    expect(parseHostPort('[::1]:8300')).toEqual({ host: '::1', port: 8300 });
    expect(parseHostPort('consul.internal:1')).toEqual({ host: 'consul.internal', port: 1 });
    for (const bad of ['node-a', '::1:8300', '1.2.3.4:0', '1.2.3.4:65536', ':80', '1.2.3.4:', '[::1]', '1.2.3.4:8x']) {
      expect(parseHostPort(bad), bad).toBeUndefined();
    }
    expect(formatHostPort('::1', 5)).toBe('[::1]:5');
    expect(formatHostPort('127.0.0.1', 5)).toBe('127.0.0.1:5');
  });
});
