import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { PrefaultedAllocator } from '../../../src/state/prefaulted-allocator.js';
import { LazyArray, encodeSliced } from '../../../src/state/sliced-msgpack.js';

const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

describe('PrefaultedAllocator', () => {
  it('hands out writable buffers of exactly the size asked, small and large, several at once', async () => {
    const a = new PrefaultedAllocator();
    try {
      const sizes = [0, 1, 4096, 5 * 1024 * 1024, 6 * 1024 * 1024 + 3];
      const got = await Promise.all(sizes.map((n) => a.allocate(n)));
      got.forEach((buf, i) => {
        expect(buf.length).toBe(sizes[i]);
        buf.fill(7);
        expect(buf.every((b) => b === 7)).toBe(true);
      });
    } finally {
      a.close();
    }
  });

  it('still allocates after close (in place)', async () => {
    const a = new PrefaultedAllocator();
    await a.allocate(5 * 1024 * 1024);
    a.close();
    const after = await a.allocate(5 * 1024 * 1024);
    expect(after.length).toBe(5 * 1024 * 1024);
  });

  it('gives encodeSliced the buffer of a multi-megabyte image: the same bytes as encode()', async () => {
    const a = new PrefaultedAllocator();
    try {
      const rows = Array.from({ length: 6000 }, (_, i) => [i, new Uint8Array(1024).fill(i & 0xff)]);
      const out = await encodeSliced({ rows: new LazyArray(rows.length, () => rows) }, { allocate: (n) => a.allocate(n) });
      expect(out.length).toBeGreaterThan(4 * 1024 * 1024);
      expect(bytes(out).equals(bytes(encode({ rows })))).toBe(true);
    } finally {
      a.close();
    }
  });
});
