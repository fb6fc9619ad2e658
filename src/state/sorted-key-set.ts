import { compareKeys } from './key-order.js';

/** Keys per chunk before a chunk is split in two. */
const MAX_CHUNK = 1024;

/**
 * A set of strings kept in key order (see compareKeys), stored as a list of sorted chunks so
 * that insert and delete cost O(log n + chunk size) and a prefix scan visits only the keys it
 * returns. Used for the ordered indexes of a table (entries, tombstones).
 */
export class SortedKeySet {
  private chunks: string[][] = [];
  private count = 0;

  /** Number of keys in the set. */
  get size(): number {
    return this.count;
  }

  /** Adds `key`; returns false when it was already present. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    let ci = this.chunkFor(key);
    if (ci === this.chunks.length) ci--; // larger than every key: append to the last chunk
    const chunk = this.chunks[ci]!;
    const pos = lowerBound(chunk, key);
    if (pos < chunk.length && chunk[pos] === key) return false;
    chunk.splice(pos, 0, key);
    this.count++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >> 1));
    return true;
  }

  /** Removes `key`; returns false when it was absent. */
  delete(key: string): boolean {
    const ci = this.chunkFor(key);
    if (ci === this.chunks.length) return false;
    const chunk = this.chunks[ci]!;
    const pos = lowerBound(chunk, key);
    if (chunk[pos] !== key) return false;
    chunk.splice(pos, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** Removes every key. */
  clear(): void {
    this.chunks = [];
    this.count = 0;
  }

  /** Every key in order, as a list of arrays that later changes to the set do not touch (cheap: one pointer copy per key). */
  copyChunks(): string[][] {
    return this.chunks.map((c) => c.slice());
  }

  /** Keys that start with `prefix` (a pure string prefix; '' yields every key), in order. */
  *withPrefix(prefix: string): IterableIterator<string> {
    let ci = this.chunkFor(prefix);
    if (ci === this.chunks.length) return;
    let pos = lowerBound(this.chunks[ci]!, prefix);
    for (; ci < this.chunks.length; ci++, pos = 0) {
      const chunk = this.chunks[ci]!;
      for (; pos < chunk.length; pos++) {
        const key = chunk[pos]!;
        if (!key.startsWith(prefix)) return;
        yield key;
      }
    }
  }

  /** Index of the first chunk whose last key is ≥ `key` (chunks.length when none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (compareKeys(chunk[chunk.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(arr[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
