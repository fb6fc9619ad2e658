import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TailBuffer } from '../../../src/plugin-sdk/checks/tail-buffer.js';

describe('TailBuffer (Consul circbuf)', () => {
  it('keeps exactly the last `capacity` bytes of any sequence of writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), (cap, chunks) => {
        const b = new TailBuffer(cap);
        for (const c of chunks) b.write(c);
        const all = Buffer.concat(chunks);
        expect(b.bytes().equals(all.subarray(Math.max(0, all.length - cap)))).toBe(true);
        expect(b.totalWritten).toBe(all.length);
        expect(b.truncated).toBe(all.length > cap);
      }),
    );
  });

  it('capturedText adds Consul prefix only when bytes were dropped', () => {
    const b = new TailBuffer(4);
    b.write(Buffer.from('abcd'));
    expect(b.capturedText()).toBe('abcd');
    b.write(Buffer.from('ef'));
    expect(b.capturedText()).toBe('Captured 4 of 6 bytes\n...\ncdef');
  });

  it('refuses a capacity below 1', () => {
    expect(() => new TailBuffer(0)).toThrow(RangeError);
  });
});
