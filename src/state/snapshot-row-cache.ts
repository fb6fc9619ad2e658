import { compareKeys } from './key-order.js';
import type { KvRecord } from './kv-record.js';
import { KvRowEncoder } from './kv-row-encoder.js';
import type { KvFrozenView } from './kv-table.js';
import { LazyArray, RawMsgpack } from './sliced-msgpack.js';

/**
 * The longest run of reused rows handed to the encoder as one RawMsgpack: the producer walks the
 * run (a comparison and at most a lookup per row) before the encoder can yield, so this bounds
 * one turn (1,024 rows, well under a millisecond; 4,096 took 2-4 ms on a loaded 2-core VM).
 */
const RUN_ROWS = 1024;

/** The KV entry rows of the last image a store produced, by position in that image. */
interface PreviousRows {
  /** The whole image (kept by Raft anyway as its latest snapshot). */
  image: Uint8Array;
  /** The rows' keys, in image order. */
  keys: string[];
  /** Each row's ModifyIndex, or -1 when the row may not be reused (see KvRowCache). */
  mods: Float64Array;
  /** Each row's start offset in `image`, then the end of the last row (keys.length + 1 values). */
  offsets: Float64Array;
  /** The store's lastApplied at that image's freeze. */
  applied: number;
  /** The epoch of the frozen view the image was made from (see KvFrozenView.changed). */
  epoch: number;
}

/** One snapshot's KV entry rows (see KvRowCache.entries). */
export interface KvRowsPass {
  /** The `entries` array of the KV table's image, to encode with encodeSliced. */
  rows: LazyArray;
  /**
   * Called with the finished image that `rows` was encoded into: records its rows for the next
   * snapshot, unless the state was replaced (clear()) since the freeze, a newer snapshot was
   * recorded meanwhile, or `rows` was not encoded to its end.
   */
  complete(image: Uint8Array): void;
}

/**
 * Remembers where each KV entry row lies in the last state image, so the next snapshot copies
 * the bytes of rows that did not change instead of encoding them again (encoding a 100,000-key
 * image costs ~0.4 s of the main thread; most rows are untouched between two snapshots).
 *
 * A row is identified by its key and ModifyIndex, and is reused only when its ModifyIndex is at
 * most the lastApplied of the image it comes from. That is sound because every change to an
 * entry (a write, a lock or unlock, a session release) stamps it with the Raft index being
 * applied, indexes only grow, and an entry restored by a transaction's undo is the one that was
 * current when that apply began: so an entry of that key carrying that ModifyIndex after the
 * image can only be the very entry the image encoded. The one way to get entries with arbitrary
 * indexes is to replace the state (restore: clear() first), which is also why indexes above
 * lastApplied, which a restored image may carry, are never reused. When the previous image was
 * made from the table's freeze just before this one, a key the table did not change in between
 * (KvFrozenView.changed; every entry write goes through one place that notes it) still has the
 * entry that image encoded, so its row is reused without looking the entry up. Keys and indexes are kept,
 * not the entry objects, so entries replaced since the last image are not kept alive.
 *
 * Memory: 24 bytes per row (a key reference and two float64s: ~12 MB at 500,000 keys) besides
 * the previous image, which the Raft server keeps anyway as its latest snapshot.
 */
export class KvRowCache {
  private prev: PreviousRows | undefined;
  /** Bumped by clear(): a pass begun before it records nothing. */
  private generation = 0;

  /** Forgets the last image (the state was replaced, or the store is closing); passes in progress will not record theirs. */
  clear(): void {
    this.prev = undefined;
    this.generation++;
  }

  /**
   * The `entries` rows of the KV image of `view` (frozen with the store at `applied`), written as
   * the bytes of the last recorded image for every row whose key and ModifyIndex are unchanged
   * (consecutive ones as one range) and encoded afresh otherwise: byte for byte the rows
   * lazySnapshot writes. Call `complete` with the finished image.
   */
  entries(view: KvFrozenView, applied: number): KvRowsPass {
    const generation = this.generation;
    const last = this.prev;
    const prev = last && last.offsets[last.keys.length]! <= last.image.length ? last : undefined;
    const n = view.entryKeys.reduce((sum, c) => sum + c.length, 0);
    const keys: string[] = [];
    const mods = new Float64Array(n);
    const offsets = new Float64Array(n + 1);
    let finished = false;
    // Keys not changed since the previous image's freeze keep the very entry it encoded: their
    // rows are reused without looking the entry up (the walk's main cost in a large store).
    const changed = prev && prev.epoch === view.epoch - 1 ? view.changed : undefined;

    function* produce(position: () => number): Generator<unknown, void, undefined> {
      const encoder = new KvRowEncoder();
      const pkeys = prev ? prev.keys : [];
      const pn = pkeys.length;
      let i = 0;
      let j = 0;
      // The pending run: previous rows [runFrom, runFrom + runLen) for the new rows from runAt.
      let runFrom = 0;
      let runLen = 0;
      let runAt = 0;
      function* flush(): Generator<unknown, void, undefined> {
        const p = prev!;
        const base = p.offsets[runFrom]!;
        const at = position();
        for (let k = 0; k < runLen; k++) offsets[runAt + k] = at + (p.offsets[runFrom + k]! - base);
        const len = runLen;
        runLen = 0;
        yield new RawMsgpack(p.image.subarray(base, p.offsets[runFrom + len]!), len);
      }
      for (const chunk of view.entryKeys) {
        for (const key of chunk) {
          keys.push(key);
          let reuse = -1;
          let e: KvRecord | undefined;
          if (j < pn && pkeys[j] !== key) while (j < pn && compareKeys(pkeys[j]!, key) < 0) j++;
          const at = j < pn && pkeys[j] === key ? j++ : -1;
          if (at >= 0 && changed && !changed.has(key) && prev!.mods[at]! >= 0) {
            mods[i] = prev!.mods[at]!;
            reuse = at;
          } else {
            e = view.entry(key)!;
            const m = e.modifyIndex;
            mods[i] = m <= applied ? m : -1;
            if (at >= 0 && prev!.mods[at] === m) reuse = at;
          }
          if (reuse >= 0 && runLen > 0 && reuse === runFrom + runLen && runLen < RUN_ROWS) {
            runLen++;
          } else {
            if (runLen > 0) yield* flush();
            if (reuse >= 0) {
              runFrom = reuse;
              runLen = 1;
              runAt = i;
            } else {
              offsets[i] = position();
              yield encoder.of(e!); // written straight into the image; looked up: only a looked-up row can fail to be reused
            }
          }
          i++;
        }
      }
      if (runLen > 0) yield* flush();
      offsets[n] = position();
      finished = i === n;
    }

    return {
      rows: new LazyArray(n, produce),
      complete: (image) => {
        if (!finished || generation !== this.generation || offsets[n]! > image.length) return;
        if (this.prev && this.prev.applied > applied) return;
        this.prev = { image, keys, mods, offsets, applied, epoch: view.epoch };
      },
    };
  }
}
