import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { entryRow, type KvRecord } from '../../../src/state/kv-record.js';
import { KvRowEncoder } from '../../../src/state/kv-row-encoder.js';
import { LazyArray, encodeSliced } from '../../../src/state/sliced-msgpack.js';

const record = (over: Partial<KvRecord>): KvRecord => ({ key: 'k', raw: 'v', flags: '0', createIndex: 1, modifyIndex: 2, lockIndex: 0, session: '', ...over });
const latin1 = (n: number): string => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff)).toString('latin1');
/** What `encoder` writes for `r`'s row, into a buffer of exactly its bound. */
const written = (encoder: KvRowEncoder, r: KvRecord): Buffer => {
  const row = encoder.of(r);
  const buf = Buffer.alloc(row.bound());
  return buf.subarray(0, row.writeInto(buf, 0));
};

describe('KvRowEncoder', () => {
  it('writes exactly the bytes the msgpack library writes for the row, at every header size', () => {
    const cases: Partial<KvRecord>[] = [];
    for (const n of [0, 1, 31, 32, 255, 256, 65535, 65536]) {
      cases.push({ key: 'k'.repeat(n) }, { raw: latin1(n) }, { flags: '9'.repeat(Math.min(n, 20)) }, { session: 's'.repeat(n) });
    }
    for (const i of [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      cases.push({ createIndex: i, modifyIndex: i, lockIndex: i });
    }
    cases.push({ key: 'ключ/日本/🙂', session: 'ß' }, { key: 'é'.repeat(20) }, { key: '日'.repeat(11) }, { key: 'a\u0000b' }, { flags: '18446744073709551615' });
    cases.push({ key: 'lone \ud800 surrogate' }, { session: '\udc00' });
    const encoder = new KvRowEncoder();
    for (const c of cases) {
      const r = record(c);
      expect(written(encoder, r).toString('hex'), JSON.stringify(c).slice(0, 80)).toBe(Buffer.from(encode(entryRow(r))).toString('hex'));
    }
  });

  it('writes a row of hundreds of kilobytes, and a small one after it', () => {
    const encoder = new KvRowEncoder();
    const big = record({ raw: latin1(300_000), key: 'x'.repeat(70_000) });
    expect(written(encoder, big).equals(Buffer.from(encode(entryRow(big))))).toBe(true);
    const small = record({});
    expect(written(encoder, small).equals(Buffer.from(encode(entryRow(small))))).toBe(true);
  });

  it('writes rows straight into encodeSliced\'s output blocks: the library\'s bytes across block ends, a row larger than a block, a lone surrogate', async () => {
    // ~300 KB rows fill 1 MB blocks unevenly, so rows keep meeting a block's end; one is 1.5 MB.
    const rows = Array.from({ length: 12 }, (_, i) => record({ key: `k/${i}`, raw: latin1(i === 7 ? 1_500_000 : 300_000 + i), modifyIndex: i + 2 }));
    rows.push(record({ key: 'lone \ud800', raw: latin1(10) }), record({ key: 'last', raw: '' }));
    const encoder = new KvRowEncoder();
    const image = await encodeSliced({ entries: new LazyArray(rows.length, function* () {
          for (const r of rows) yield encoder.of(r); // one encoder, pointed at each row as the encoder reaches it
        }) });
    expect(Buffer.from(image).equals(Buffer.from(encode({ entries: rows.map(entryRow) })))).toBe(true);
  });
});
