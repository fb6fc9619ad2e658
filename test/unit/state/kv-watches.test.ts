import { describe, expect, it } from 'vitest';
import type { WakeReason } from '../../../src/state/watch-registry.js';
import { WatchRegistry } from '../../../src/state/watch-registry.js';
import { StateHarness } from './state-harness.js';

describe('KV watches', () => {
  it('a write to key A never wakes a watcher of key B', () => {
    const h = new StateHarness();
    const woke: string[] = [];
    h.store.kv.watchKey('b', () => woke.push('b'));
    h.store.kv.watchKey('a', () => woke.push('a'));
    h.set('a', '1');
    expect(woke).toEqual(['a']);
    expect(h.store.watcherCount()).toBe(1);
  });

  it('a prefix watcher wakes on a child key, not on a sibling prefix', () => {
    const h = new StateHarness();
    const woke: string[] = [];
    h.store.kv.watchPrefix('web/', () => woke.push('web/'));
    h.store.kv.watchPrefix('web/x/', () => woke.push('web/x/'));
    h.store.kv.watchPrefix('db/', () => woke.push('db/'));
    h.store.kv.watchPrefix('', () => woke.push('<all>'));
    h.set('web/a', '1');
    expect(woke.sort()).toEqual(['<all>', 'web/']);
    expect(h.store.watcherCount()).toBe(2);
    h.set('webx', '1'); // not under "web/"
    expect(woke).toHaveLength(2);
  });

  it('a watcher is one-shot and is woken once per wake even when several of its keys change', () => {
    const h = new StateHarness();
    h.set('t/a', '1');
    h.set('t/b', '1');
    let n = 0;
    h.store.kv.watchPrefix('t/', () => n++);
    h.delTree('t/');
    expect(n).toBe(1);
    h.set('t/c', '1');
    expect(n).toBe(1);
    expect(h.store.watcherCount()).toBe(0);
  });

  it('an identical rewrite, a failed CAS and a delete of a missing key wake nobody', () => {
    const h = new StateHarness();
    h.set('k', 'v', '3');
    let n = 0;
    h.store.kv.watchKey('k', () => n++);
    h.store.kv.watchKey('missing', () => n++);
    h.store.kv.watchPrefix('', () => n++);
    h.set('k', 'v', '3');
    h.cas('k', 'other', 999);
    h.cas('k', 'other', 0);
    h.delCas('k', 0);
    h.del('missing');
    h.delTree('missing/');
    expect(n).toBe(0);
    expect(h.store.watcherCount()).toBe(3);
  });

  it('deletes wake the watchers of the deleted keys, delete-tree wakes nested prefix watchers', () => {
    const h = new StateHarness();
    h.set('a/b/c', '1');
    h.set('a/x', '1');
    const woke: string[] = [];
    h.store.kv.watchKey('a/b/c', () => woke.push('key a/b/c'));
    h.store.kv.watchPrefix('a/b/', () => woke.push('prefix a/b/'));
    h.store.kv.watchKey('a/none', () => woke.push('key a/none'));
    h.delTree('a/');
    expect(woke.sort()).toEqual(['key a/b/c', 'prefix a/b/']);
  });

  it('a key watcher of a missing key wakes when the key is created', () => {
    const h = new StateHarness();
    let n = 0;
    h.store.kv.watchKey('later', () => n++);
    h.set('later', 'now');
    expect(n).toBe(1);
  });

  it('restore wakes every watcher with reason reset', async () => {
    const h = new StateHarness();
    h.set('a', '1');
    const snap = await h.store.snapshot();
    const reasons: WakeReason[] = [];
    h.store.kv.watchKey('a', (r) => reasons.push(r));
    h.store.kv.watchKey('zzz', (r) => reasons.push(r));
    h.store.kv.watchPrefix('q', (r) => reasons.push(r));
    h.store.restore(snap, 1);
    expect(reasons).toEqual(['reset', 'reset', 'reset']);
    expect(h.store.watcherCount()).toBe(0);
  });

  it('close wakes the parked watchers of every table, so blocking reads end at shutdown', () => {
    const h = new StateHarness();
    const reasons: WakeReason[] = [];
    h.store.kv.watchKey('a', (r) => reasons.push(r));
    h.store.kv.watchPrefix('q', (r) => reasons.push(r));
    h.store.catalog.watchService('web', (r) => reasons.push(r));
    h.store.catalog.watchNode('n1', (r) => reasons.push(r));
    h.store.sessions.watchTable((r) => reasons.push(r));
    h.store.close();
    expect(reasons).toEqual(['reset', 'reset', 'reset', 'reset', 'reset']);
    expect(h.store.watcherCount()).toBe(0);
    h.store.close();
    expect(reasons).toHaveLength(5);
  });

  it('cancel leaves nothing behind and is idempotent', () => {
    const reg = new WatchRegistry();
    const handles = [reg.watchKey('a', () => {}), reg.watchKey('a', () => {}), reg.watchPrefix('p/', () => {}), reg.watchPrefix('', () => {})];
    expect(reg.count()).toBe(4);
    for (const hd of handles) hd.cancel();
    for (const hd of handles) hd.cancel();
    expect(reg.count()).toBe(0);
    const internals = reg as unknown as { exact: Map<string, unknown>; prefixes: Map<string, unknown>; prefixLengths: Map<number, number> };
    expect(internals.exact.size + internals.prefixes.size + internals.prefixLengths.size).toBe(0);
    let fired = 0;
    reg.watchKey('a', () => fired++);
    reg.notify(['a', 'p/x']);
    expect(fired).toBe(1);
    expect(reg.count()).toBe(0);
  });

  it('a throwing watcher callback does not stop the others or the write', () => {
    const errors: unknown[] = [];
    const reg = new WatchRegistry((e) => errors.push(e));
    let ok = 0;
    reg.watchKey('a', () => {
      throw new Error('boom');
    });
    reg.watchKey('a', () => ok++);
    reg.notify(['a']);
    expect(ok).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('10,000 watchers on 10,000 keys: one write wakes exactly one, quickly', () => {
    const h = new StateHarness();
    const N = 10_000;
    const woke: number[] = [];
    for (let i = 0; i < N; i++) h.set(`svc/${i}/leader`, 'x');
    for (let i = 0; i < N; i++) h.store.kv.watchKey(`svc/${i}/leader`, () => woke.push(i));
    // prefix watchers on many distinct prefixes too, none of which contain the written key
    for (let i = 0; i < N; i++) h.store.kv.watchPrefix(`cfg/${i}/`, () => woke.push(-i));
    expect(h.store.watcherCount()).toBe(2 * N);

    const t0 = performance.now();
    const writes = 1000;
    for (let w = 0; w < writes; w++) {
      const before = woke.length;
      h.set(`svc/${w}/leader`, 'y');
      expect(woke.length - before).toBe(1);
    }
    const perWriteMs = (performance.now() - t0) / writes;
    expect(woke.slice(0, 3)).toEqual([0, 1, 2]);
    expect(h.store.watcherCount()).toBe(2 * N - writes);
    // generous bound: the point is that it does not scan 20,000 watchers per write
    expect(perWriteMs).toBeLessThan(0.5);
  });
});
