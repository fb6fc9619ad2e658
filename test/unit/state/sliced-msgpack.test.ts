import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { LazyArray, RawMsgpack, encodeSliced } from '../../../src/state/sliced-msgpack.js';
import { StateStore } from '../../../src/state/state-store.js';

const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Values shaped like state images: objects of tables holding long arrays of row tuples. */
const leaf = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 40 }));
const row = fc.array(fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), leaf, { maxKeys: 3 })), { maxLength: 5 });
const image = fc.record({
  v: fc.integer({ min: 1, max: 3 }),
  table: fc.record({ index: fc.nat(), rows: fc.array(row, { maxLength: 300 }), few: fc.array(row, { maxLength: 20 }) }),
  wide: fc.dictionary(fc.string({ maxLength: 6 }), leaf, { minKeys: 0, maxKeys: 40 }),
  empty: fc.constant([]),
});

describe('encodeSliced', () => {
  it('writes exactly the bytes encode() writes, whatever the slice size', async () => {
    await fc.assert(
      fc.asyncProperty(image, fc.integer({ min: 1, max: 4096 }), async (value, sliceBytes) => {
        let turns = 0;
        const out = await encodeSliced(value, { sliceBytes, yieldTurn: async () => void turns++ });
        expect(bytes(out).equals(bytes(encode(value)))).toBe(true);
        if (out.length > 2 * sliceBytes + 4096) expect(turns).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('writes a LazyArray as the plain array of its items, and rejects one that miscounts them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 200 }), fc.integer({ min: 1, max: 512 }), async (rows, sliceBytes) => {
        const lazy = new LazyArray(rows.length, () => rows.values());
        const out = await encodeSliced({ t: { rows: lazy, n: 1 } }, { sliceBytes, yieldTurn: async () => undefined });
        expect(bytes(out).equals(bytes(encode({ t: { rows, n: 1 } })))).toBe(true);
      }),
      { numRuns: 100 },
    );
    await expect(encodeSliced({ rows: new LazyArray(3, () => [1, 2]) })).rejects.toThrow('declared 3 items and produced 2');
  });

  it('writes RawMsgpack runs of a LazyArray verbatim, each counting as its items, and tells where every item starts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(row, fc.boolean()), { maxLength: 200 }), fc.integer({ min: 1, max: 512 }), async (tagged, sliceBytes) => {
        const rows = tagged.map(([r]) => r);
        // Consecutive rows tagged true go as one pre-encoded run.
        const items: unknown[] = [];
        for (let i = 0; i < tagged.length; ) {
          let j = i;
          while (j < tagged.length && tagged[j]![1]) j++;
          if (j > i) {
            items.push(new RawMsgpack(Buffer.concat(rows.slice(i, j).map((r) => encode(r))), j - i));
            i = j;
          } else items.push(rows[i++]);
        }
        const starts: number[] = [];
        const lazy = new LazyArray(rows.length, function* (position) {
          for (const item of items) {
            starts.push(position());
            yield item;
          }
          starts.push(position());
        });
        const out = await encodeSliced({ t: { n: 1, rows: lazy } }, { sliceBytes, yieldTurn: async () => undefined });
        expect(bytes(out).equals(bytes(encode({ t: { n: 1, rows } })))).toBe(true);
        items.forEach((item, k) => {
          const want = item instanceof RawMsgpack ? item.bytes : encode(item);
          expect(bytes(out.subarray(starts[k]!, starts[k + 1]!)).equals(bytes(want))).toBe(true);
        });
        expect(starts[items.length]).toBe(out.length);
      }),
      { numRuns: 100 },
    );
    await expect(encodeSliced({ rows: new LazyArray(3, () => [new RawMsgpack(encode(1)), new RawMsgpack(Buffer.concat([encode(2), encode(3)]), 2)]) })).resolves.toEqual(encode({ rows: [1, 2, 3] }));
    await expect(encodeSliced({ rows: new LazyArray(3, () => [new RawMsgpack(Buffer.concat([encode(2), encode(3)]), 2)]) })).rejects.toThrow('declared 3 items and produced 2');
    await expect(encodeSliced({ a: { rows: Array.from({ length: 70 }, () => new RawMsgpack(encode([1, 2]), 2)) } })).rejects.toThrow('outside a LazyArray');
    expect(bytes(await encodeSliced({ a: new RawMsgpack(encode({ x: [1] })), b: 2 })).equals(bytes(encode({ a: { x: [1] }, b: 2 })))).toBe(true);
  });

  it('uses the 16- and 32-bit array and map headers as encode() does', async () => {
    const keys = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    const value = { a: { big: Array.from({ length: 70_000 }, (_, i) => i % 7), mid: Array.from({ length: 300 }, (_, i) => [i]), keys: keys(20) }, b: keys(70_000) };
    expect(bytes(await encodeSliced(value)).equals(bytes(encode(value)))).toBe(true);
  });

  it('joins a multi-megabyte image a block per turn (one 28 MB copy held the loop ~80 ms)', async () => {
    const value = { rows: Array.from({ length: 5000 }, (_, i) => [i, new Uint8Array(1024).fill(i & 0xff)]) };
    let turns = 0;
    // No slice yields (one slice is larger than the image): every turn taken is the join's.
    const out = await encodeSliced(value, { sliceBytes: 1 << 30, yieldTurn: async () => void turns++ });
    expect(bytes(out).equals(bytes(encode(value)))).toBe(true);
    expect(out.length).toBeGreaterThan(5_000_000);
    expect(turns).toBeGreaterThanOrEqual(4);
    // Likewise bytes borrowed from a previous image: copied into the image a block per turn.
    let rawTurns = 0;
    const raw = new RawMsgpack(Buffer.concat(value.rows.map((r) => encode(r))), value.rows.length);
    const again = await encodeSliced({ rows: new LazyArray(value.rows.length, () => [raw]) }, { sliceBytes: 1 << 30, yieldTurn: async () => void rawTurns++ });
    expect(bytes(again).equals(bytes(out))).toBe(true);
    expect(rawTurns).toBeGreaterThanOrEqual(4);
  });

  it('lets the event loop run while a large state image is encoded, and the image restores', async () => {
    const store = new StateStore();
    const value = new Uint8Array(1024).fill(7);
    for (let i = 1; i <= 4000; i++) store.apply({ index: i, term: 1, data: encodeCommand({ type: 'kv.set', key: `k/${i}`, value, flags: '0' }) });
    let done = false;
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = !done));
    const image = await store.snapshot();
    done = true;
    expect(image.length).toBeGreaterThan(4_000_000);
    expect(ranMeanwhile).toBe(true);
    const copy = new StateStore();
    copy.restore(image, store.lastApplied());
    expect(copy.kv.list('k/').value).toHaveLength(4000);
    expect(Buffer.from(copy.kv.get('k/4000').value!.value).equals(Buffer.from(value))).toBe(true);
  });
});
