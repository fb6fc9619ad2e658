import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../../../src/state/key-order.js';
import { SortedKeySet } from '../../../src/state/sorted-key-set.js';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('SortedKeySet and key order', () => {
  it('compareKeys agrees with UTF-8 byte order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(Buffer.compare(utf8(a), utf8(b))));
      }),
      { numRuns: 2000 },
    );
  });

  it('behaves like a sorted array under random adds/deletes, prefix scans included (chunk splits too)', () => {
    const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', '/', 'é'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), keyArb), { maxLength: 3000 }), keyArb, (ops, prefix) => {
        const set = new SortedKeySet();
        const model = new Set<string>();
        for (const [add, k] of ops) {
          if (add) expect(set.add(k)).toBe(!model.has(k)), model.add(k);
          else expect(set.delete(k)).toBe(model.has(k)), model.delete(k);
        }
        const sorted = [...model].sort(compareKeys);
        expect(set.size).toBe(model.size);
        expect([...set.withPrefix('')]).toEqual(sorted);
        expect([...set.withPrefix(prefix)]).toEqual(sorted.filter((k) => k.startsWith(prefix)));
      }),
      { numRuns: 100 },
    );
  });

  it('handles many keys (several chunks) in order', () => {
    const set = new SortedKeySet();
    const keys = Array.from({ length: 5000 }, (_, i) => `k/${(i * 7919) % 5000}`);
    for (const k of keys) set.add(k);
    for (let i = 0; i < 5000; i += 2) set.delete(`k/${i}`);
    const out = [...set.withPrefix('k/')];
    expect(out).toEqual(keys.filter((k) => Number(k.slice(2)) % 2 === 1).sort(compareKeys));
    expect([...set.withPrefix('k/4999')]).toEqual(['k/4999']);
  });
});
