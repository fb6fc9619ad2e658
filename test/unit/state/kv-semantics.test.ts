import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import { StateHarness, bytes, text } from './state-harness.js';

describe('KV state machine semantics (Consul state/kvs.go)', () => {
  it('set creates, then updates keeping CreateIndex; always answers true', () => {
    const h = new StateHarness();
    expect(h.set('a', 'one', '42')).toBe(true);
    expect(h.store.kv.get('a').value).toMatchObject({ key: 'a', flags: '42', createIndex: 1, modifyIndex: 1, lockIndex: 0, session: '' });
    h.skip(3);
    expect(h.set('a', 'two')).toBe(true);
    const e = h.store.kv.get('a');
    expect(e.value).toMatchObject({ createIndex: 1, modifyIndex: 5, flags: '0' });
    expect(text(e.value?.value)).toBe('two');
    expect(e.index).toBe(5);
    expect(h.store.lastApplied()).toBe(5);
  });

  it('an identical rewrite (same bytes and flags) writes nothing and bumps no index', () => {
    const h = new StateHarness();
    h.set('a', 'v', '7');
    h.set('other', 'x');
    expect(h.set('a', 'v', '7')).toBe(true);
    expect(h.store.kv.get('a').value?.modifyIndex).toBe(1);
    expect(h.store.kv.tableIndex()).toBe(2);
    expect(h.store.lastApplied()).toBe(3);
    // different flags or different bytes is a write
    expect(h.set('a', 'v', '8')).toBe(true);
    expect(h.store.kv.get('a').value?.modifyIndex).toBe(4);
    expect(h.set('a', 'w', '8')).toBe(true);
    expect(h.store.kv.get('a').value?.modifyIndex).toBe(5);
  });

  it("set keeps the Session of a locked key (locks are advisory) and, like Consul's kvsSetTxn, takes LockIndex from the write (0)", () => {
    const h = new StateHarness();
    const snap = encode({
      v: 1,
      lastApplied: 10,
      kv: { index: 10, entries: [['lock', new Uint8Array([1]), '0', 3, 10, 2, 'sess-1']], tombstones: [] },
    });
    h.store.restore(snap, 10);
    h.skip(10);
    expect(h.set('lock', 'new')).toBe(true);
    expect(h.store.kv.get('lock').value).toMatchObject({ session: 'sess-1', lockIndex: 0, createIndex: 3, modifyIndex: 11 });
  });

  it('values keep every byte value exactly through writes, reads and a snapshot, and a read hands out a copy', async () => {
    const h = new StateHarness();
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 0xff);
    h.set('all', all);
    h.set('big', big);
    h.set('empty', new Uint8Array(0));
    expect(h.store.kv.get('all').value?.value).toEqual(all);
    expect(h.store.kv.list('').value.map((e) => e.value)).toEqual([all, big, new Uint8Array(0)]);
    // an identical rewrite of binary bytes writes nothing; one changed byte does
    h.set('all', Uint8Array.from(all));
    expect(h.store.kv.get('all').value?.modifyIndex).toBe(1);
    const changed = Uint8Array.from(all);
    changed[255] = 0;
    h.set('all', changed);
    expect(h.store.kv.get('all').value?.modifyIndex).toBe(5);
    // a caller changing what it read changes nothing stored
    h.store.kv.get('big').value!.value.fill(0);
    expect(h.store.kv.get('big').value?.value).toEqual(big);
    const copy = new StateHarness();
    copy.store.restore(await h.store.snapshot(), h.store.lastApplied());
    expect(copy.store.kv.list('').value.map((e) => e.value)).toEqual([changed, big, new Uint8Array(0)]);
  });

  it('cas=0 is create-only', () => {
    const h = new StateHarness();
    expect(h.cas('k', 'first', 0)).toBe(true);
    expect(h.cas('k', 'second', 0)).toBe(false);
    expect(text(h.store.kv.get('k').value?.value)).toBe('first');
    expect(h.store.kv.tableIndex()).toBe(1);
  });

  it('cas=N sets only when the ModifyIndex matches; a missing key fails', () => {
    const h = new StateHarness();
    expect(h.cas('missing', 'x', 5)).toBe(false);
    expect(h.store.kv.get('missing').value).toBeNull();
    h.set('k', 'v1'); // index 2
    expect(h.cas('k', 'v2', 1)).toBe(false);
    expect(h.cas('k', 'v2', 2)).toBe(true); // index 4
    expect(h.store.kv.get('k').value).toMatchObject({ createIndex: 2, modifyIndex: 4 });
    expect(h.cas('k', 'v3', 2)).toBe(false);
  });

  it('delete always answers true and leaves a tombstone only for a key that existed', () => {
    const h = new StateHarness();
    expect(h.del('never')).toBe(true);
    expect(h.store.kv.tombstoneCount()).toBe(0);
    expect(h.store.kv.tableIndex()).toBe(1); // nothing written: forced to 1
    h.set('k', 'v'); // 2
    expect(h.del('k')).toBe(true); // 3
    expect(h.store.kv.get('k')).toEqual({ value: null, index: 3 });
    expect(h.store.kv.tombstoneCount()).toBe(1);
  });

  it('delete-cas: 0 never deletes an existing key, N deletes on match, a missing key answers true', () => {
    const h = new StateHarness();
    h.set('k', 'v'); // 1
    expect(h.delCas('k', 0)).toBe(false);
    expect(h.delCas('k', 7)).toBe(false);
    expect(h.store.kv.get('k').value).not.toBeNull();
    expect(h.delCas('k', 1)).toBe(true);
    expect(h.store.kv.get('k').value).toBeNull();
    expect(h.delCas('k', 1)).toBe(true);
    expect(h.delCas('never-existed', 0)).toBe(true);
  });

  it('delete-tree removes a pure string prefix ("foo" takes "food") and "" removes everything', () => {
    const h = new StateHarness();
    for (const k of ['foo', 'foo/a', 'food', 'fo', 'bar']) h.set(k, k);
    expect(h.delTree('foo')).toBe(true);
    expect(h.store.kv.list('').value.map((e) => e.key)).toEqual(['bar', 'fo']);
    expect(h.delTree('nothing-here')).toBe(true);
    expect(h.delTree('')).toBe(true);
    expect(h.store.kv.list('').value).toEqual([]);
    expect(h.store.kv.tombstoneCount()).toBe(5);
  });

  it('lists in key order with a pure string prefix', () => {
    const h = new StateHarness();
    for (const k of ['b', 'a/2', 'a/10', 'a', 'ab', 'a/1']) h.set(k, k);
    expect(h.store.kv.list('a').value.map((e) => e.key)).toEqual(['a', 'a/1', 'a/10', 'a/2', 'ab']);
    expect(h.store.kv.list('a/').value.map((e) => e.key)).toEqual(['a/1', 'a/10', 'a/2']);
    expect(h.store.kv.list('zzz').value).toEqual([]);
  });

  it('orders keys by UTF-8 bytes like Consul, not by UTF-16 units', () => {
    const h = new StateHarness();
    h.set('k/\u{1F600}', 'emoji'); // U+1F600: F0 9F 98 80
    h.set('k/\uFF21', 'fullwidth'); // U+FF21: EF BC A1
    expect(h.store.kv.list('k/').value.map((e) => e.key)).toEqual(['k/\uFF21', 'k/\u{1F600}']);
  });

  it('keys with a separator: the Consul documentation example', () => {
    const h = new StateHarness();
    for (const k of ['/web/bar', '/web/foo', '/web/subdir/a', '/web/subdir/b', '/web/subdir/c/d', '/webx']) h.set(k, 'v');
    expect(h.store.kv.keys('/web/', '/').value).toEqual(['/web/bar', '/web/foo', '/web/subdir/']);
    expect(h.store.kv.keys('/web/', '').value).toEqual(['/web/bar', '/web/foo', '/web/subdir/a', '/web/subdir/b', '/web/subdir/c/d']);
    expect(h.store.kv.keys('', '/').value).toEqual(['/']);
    expect(h.store.kv.keys('/web', '/').value).toEqual(['/web/', '/webx']);
    expect(h.store.kv.keys('/nope/', '/').value).toEqual([]);
  });

  it('indexes: key → ModifyIndex, missing key → table index, prefix → max of entries and tombstones', () => {
    const h = new StateHarness();
    expect(h.store.kv.get('x').index).toBe(1); // empty table: never 0
    expect(h.store.kv.list('').index).toBe(1);
    expect(h.store.kv.keys('p/', '/').index).toBe(1);
    h.set('p/a', '1'); // 1
    h.set('q/a', '1'); // 2
    h.set('p/b', '1'); // 3
    h.set('q/b', '1'); // 4
    expect(h.store.kv.get('p/a').index).toBe(1);
    expect(h.store.kv.get('nope').index).toBe(4);
    expect(h.store.kv.list('p/').index).toBe(3);
    expect(h.store.kv.keys('q/', '').index).toBe(4);
    expect(h.store.kv.list('').index).toBe(4);
    expect(h.store.kv.list('r/').index).toBe(4); // nothing under the prefix: table index
  });

  it('tombstones keep a prefix index from going backwards when the highest-index key is deleted', () => {
    const h = new StateHarness();
    h.set('p/a', '1'); // 1
    h.set('p/b', '1'); // 2
    h.set('other', '1'); // 3
    expect(h.store.kv.list('p/').index).toBe(2);
    h.del('p/b'); // 4
    expect(h.store.kv.list('p/').index).toBe(4);
    expect(h.store.kv.keys('p/', '/').index).toBe(4);
    h.set('other', '2'); // 5
    expect(h.store.kv.list('p/').index).toBe(4);
    h.delTree('p/'); // 6
    expect(h.store.kv.list('p/').index).toBe(6);
    // recreating a deleted key drops its tombstone, the index still only moves forward
    h.set('p/b', 'again'); // 7
    expect(h.store.kv.list('p/').index).toBe(7);
    expect(h.store.kv.tombstoneCount()).toBe(1);
  });

  it('tombstone reaping drops tombstones up to an index without waking or bumping anything', () => {
    const h = new StateHarness();
    h.set('p/a', '1'); // 1
    h.set('p/b', '1'); // 2
    h.del('p/a'); // 3
    h.del('p/b'); // 4
    let woke = 0;
    h.store.kv.watchPrefix('p/', () => woke++);
    expect(h.apply({ type: 'kv.tombstone-reap', index: 3 })).toBe(true);
    expect(h.store.kv.tombstoneCount()).toBe(1);
    expect(h.store.kv.list('p/').index).toBe(4);
    expect(h.store.kv.tableIndex()).toBe(4);
    expect(woke).toBe(0);
  });

  it('stores a copy of binary values', () => {
    const h = new StateHarness();
    const raw = new Uint8Array([0, 255, 1]);
    h.set('bin', raw);
    raw[0] = 9;
    expect(Array.from(h.store.kv.get('bin').value!.value)).toEqual([0, 255, 1]);
    expect(bytes('x')).toEqual(new Uint8Array([0x78]));
  });

  it('rejects an unknown command or a non-increasing index without changing state', () => {
    const h = new StateHarness();
    h.set('a', '1');
    const err = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = err(() => h.store.apply({ index: 5, term: 1, data: encode([250, 1]) }));
    expect(isSextantError(e1, ErrorCode.CommandInvalid)).toBe(true);
    expect(h.store.lastApplied()).toBe(1);
    const e2 = err(() => h.store.apply({ index: 1, term: 1, data: encode([3, 1, 'a']) }));
    expect(isSextantError(e2, ErrorCode.Internal)).toBe(true);
    expect(h.store.kv.get('a').value).not.toBeNull();
  });
});
