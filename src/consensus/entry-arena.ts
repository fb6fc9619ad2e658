import type { LogEntry } from '../../contracts/ports/log-store.js';

/** Payloads up to this size live on V8's heap already (no ArrayBuffer of their own). */
const ON_HEAP_BYTES = 64;

/**
 * Where the in-memory Raft log keeps its entries' payloads: copied into shared slabs instead of
 * each owning an ArrayBuffer. A busy server holds every entry since its last compaction (30-60 s
 * of writes: hundreds of thousands), and V8 sweeps every live ArrayBuffer after each full GC on a
 * helper thread that the next scavenge waits for, which made young-generation pauses of tens of
 * milliseconds on the write path. Entries leave the log in index order (compaction), so slabs
 * die in order too and at most the current slab is partly unused; a truncated suffix's bytes stay
 * until its slab's older entries are compacted.
 */
export class EntryArena {
  private slab = new Uint8Array(0);
  private used = 0;

  /**
   * @param slabBytes the size of one slab
   * @param maxCopied payloads larger than this keep their own buffer (few, and copying them
   *   would waste the rest of a slab)
   */
  constructor(
    private readonly slabBytes = 1024 * 1024,
    private readonly maxCopied = 64 * 1024,
  ) {}

  /** Moves `e`'s payload into a slab (same bytes, a view of shared memory), unless it is tiny or large; returns `e`. */
  own(e: LogEntry): LogEntry {
    const n = e.data.byteLength;
    if (n <= ON_HEAP_BYTES || n > this.maxCopied) return e;
    if (this.used + n > this.slab.byteLength) {
      this.slab = new Uint8Array(this.slabBytes);
      this.used = 0;
    }
    this.slab.set(e.data, this.used);
    e.data = this.slab.subarray(this.used, this.used + n);
    this.used += n;
    return e;
  }
}
