import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import type { Command } from '../../../src/state/command.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { kvCommandArbitraries } from '../../support/kv-command-arbitrary.js';
import { observeKv } from '../../support/observe-kv.js';

const key = fc.constantFrom('a', 'a/', 'a/b', 'a/c', 'ab', 'b', 'b/x/y', '', 'é', '\u{1F600}');
const value = fc.uint8Array({ maxLength: 8 });
const flags = fc.constantFrom('0', '1', '18446744073709551615');
const idx = fc.integer({ min: 0, max: 40 });
const op: fc.Arbitrary<Command> = fc.oneof(...kvCommandArbitraries({ key, value, flags, idx }));

function run(store: StateStore, ops: Command[], from: number): unknown[] {
  return ops.map((c, i) => store.apply({ index: from + i, term: 1, data: encodeCommand(c) }));
}

/** Everything a client can observe of the KV table. */
function observe(s: StateStore): unknown {
  const prefixes = ['', 'a', 'a/', 'b', 'z'];
  return {
    ...observeKv(s, prefixes),
    keys: prefixes.map((p) => s.kv.keys(p, '/')),
    gets: ['a', 'a/b', 'missing'].map((k) => s.kv.get(k)),
  };
}

describe('state snapshot and restore', () => {
  it('restore(snapshot()) reproduces the state, and both copies evolve identically', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 15 }), async (prefix, tail) => {
        const a = new StateStore();
        run(a, prefix, 1);
        const snap = await a.snapshot();
        const b = new StateStore();
        b.restore(snap, a.lastApplied());
        expect(observe(b)).toEqual(observe(a));
        expect(await b.snapshot()).toEqual(snap);
        const from = a.lastApplied() + 1;
        expect(run(b, tail, from)).toEqual(run(a, tail, from));
        expect(observe(b)).toEqual(observe(a));
      }),
      { numRuns: 300 },
    );
  });

  it('snapshot() freezes the state at the call: entries applied while it is encoded are not in the image', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.array(op, { minLength: 1, maxLength: 15 }), async (prefix, tail) => {
        const a = new StateStore();
        const twin = new StateStore();
        run(a, prefix, 1);
        run(twin, prefix, 1);
        const pending = a.snapshot();
        run(a, tail, a.lastApplied() + 1);
        const b = new StateStore();
        b.restore(await pending, twin.lastApplied());
        expect(observe(b)).toEqual(observe(twin));
      }),
      { numRuns: 300 },
    );
  });

  it('snapshot() freezes the state even when the encode yields before reaching a row: rows written meanwhile are read as they were', async () => {
    // 200 rows of 200 bytes that sort before every generated key: the encode yields (every 16 KB)
    // before it reads the generated keys, so the tail's writes land while the view is read.
    const fill: Command[] = Array.from({ length: 200 }, (_, i) => ({ type: 'kv.set', key: `!fill/${String(i).padStart(3, '0')}`, value: new Uint8Array(200).fill(i), flags: '0' }));
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.array(op, { minLength: 1, maxLength: 15 }), async (prefix, tail) => {
        const a = new StateStore();
        const twin = new StateStore();
        for (const s of [a, twin]) run(s, [...fill, ...prefix], 1);
        let encoded = false;
        const pending = a.snapshot().finally(() => (encoded = true));
        run(a, [...tail, ...fill.slice(0, 3)], a.lastApplied() + 1);
        expect(encoded).toBe(false);
        const b = new StateStore();
        b.restore(await pending, twin.lastApplied());
        expect(observe(b)).toEqual(observe(twin));
      }),
      { numRuns: 60 },
    );
  });

  it('the image carries tombstones and the table index', async () => {
    const a = new StateStore();
    run(a, [{ type: 'kv.set', key: 'p/x', value: new Uint8Array([1]), flags: '0' }, { type: 'kv.delete', key: 'p/x' }], 1);
    const b = new StateStore();
    b.restore(await a.snapshot(), 2);
    expect(b.kv.tombstoneCount()).toBe(1);
    expect(b.kv.list('p/').index).toBe(2);
    expect(b.lastApplied()).toBe(2);
  });

  it('rejects a corrupt or unknown-version image with STORAGE_CORRUPT and keeps the state', () => {
    const s = new StateStore();
    run(s, [{ type: 'kv.set', key: 'keep', value: new Uint8Array([1]), flags: '0' }], 1);
    const bad = [
      new Uint8Array([0xc1]),
      encode({ v: 2, kv: {} }),
      encode({ v: 1, kv: { index: 1, entries: [['k', 'not-bytes', '0', 1, 1, 0, '']], tombstones: [] } }),
      encode({ v: 1, kv: { index: -1, entries: [], tombstones: [] } }),
    ];
    for (const img of bad) {
      let err: unknown;
      try {
        s.restore(img, 9);
      } catch (e) {
        err = e;
      }
      expect(isSextantError(err, ErrorCode.StorageCorrupt)).toBe(true);
    }
    expect(s.kv.get('keep').value).not.toBeNull();
    expect(s.lastApplied()).toBe(1);
  });
});
