/**
 * memberlist's TransmitLimitedQueue (queue.go): broadcasts piggy-backed on probes and gossip,
 * each sent at most retransmitMult × ceil(log10(N + 1)) times, fewest-sent first, a newer
 * broadcast about the same node replacing the older one.
 *
 * Like memberlist's btree, items are kept by transmit tier, so taking a packet's worth costs
 * what it takes, not a sort of the whole queue (a node that just joined a 1,000-member pool
 * holds a thousand alive broadcasts and sends a packet of them several times a second).
 */
import { retransmitLimit } from './timing.js';

interface Item {
  key: string | undefined;
  msg: Uint8Array;
  transmits: number;
  id: number;
  /** Replaced by a newer broadcast about the same key, or dropped. */
  dead: boolean;
}

/** A queue of broadcasts with a transmit limit. */
export class TransmitLimitedQueue {
  /** tiers[t]: the live (and lazily removed dead) items sent t times, oldest first. */
  private tiers: Item[][] = [];
  private readonly byKey = new Map<string, Item>();
  private live = 0;
  private seq = 0;
  /** A lower bound of the smallest queued message (stops a walk once nothing more can fit). */
  private minLen = Infinity;

  /** `numNodes` gives the current cluster size for the retransmit limit. */
  constructor(
    private readonly retransmitMult: number,
    private readonly numNodes: () => number,
  ) {}

  /** Queues `msg`; a queued broadcast with the same `key` (a node name) is dropped first. */
  queue(msg: Uint8Array, key?: string): void {
    if (key !== undefined) {
      const old = this.byKey.get(key);
      if (old) this.drop(old);
    }
    const item: Item = { key, msg, transmits: 0, id: this.seq++, dead: false };
    if (key !== undefined) this.byKey.set(key, item);
    (this.tiers[0] ??= []).push(item);
    this.live++;
    this.minLen = Math.min(this.minLen, msg.length);
  }

  /** Broadcasts that fit `limit` bytes with `overhead` bytes each, fewest transmits first (newest first among equals); each counts one transmit. */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.live === 0) return [];
    const max = retransmitLimit(this.retransmitMult, this.numNodes());
    // Tiers at or past the limit (the pool shrank): dropped, as the previous limit would have.
    for (let t = max; t < this.tiers.length; t++) for (const it of this.tiers[t] ?? []) this.drop(it);
    if (this.tiers.length > max) this.tiers.length = Math.max(0, max);
    const out: Uint8Array[] = [];
    const moved: Item[][] = [];
    let used = 0;
    for (let t = 0; t < this.tiers.length; t++) {
      if (limit - used < overhead + this.minLen) break;
      const tier = this.tiers[t];
      if (!tier || tier.length === 0) continue;
      let taken = false;
      for (let i = tier.length - 1; i >= 0; i--) {
        const it = tier[i]!;
        if (it.dead) continue;
        if (limit - used < overhead + this.minLen) break;
        if (used + overhead + it.msg.length > limit) continue;
        used += overhead + it.msg.length;
        out.push(it.msg);
        it.transmits++;
        taken = true;
        if (it.transmits >= max) this.drop(it);
        else {
          it.dead = true; // leaves this tier; revived in the next one below
          (moved[t + 1] ??= []).push(it);
        }
      }
      if (taken || tier.length > 2 * this.live) this.tiers[t] = tier.filter((x) => !x.dead);
    }
    for (let t = 0; t < moved.length; t++) {
      const batch = moved[t];
      if (!batch) continue;
      for (const it of batch) it.dead = false;
      this.tiers[t] = mergeById(this.tiers[t] ?? [], batch.reverse());
    }
    if (this.live === 0) {
      this.tiers = [];
      this.minLen = Infinity;
    }
    return out;
  }

  /** Keeps at most `maxRetain` broadcasts, dropping the most transmitted (oldest first among equals), as memberlist's Prune. */
  prune(maxRetain: number): void {
    for (let t = this.tiers.length - 1; t >= 0 && this.live > maxRetain; t--) {
      for (const it of this.tiers[t] ?? []) {
        if (this.live <= maxRetain) break;
        this.drop(it);
      }
      this.tiers[t] = (this.tiers[t] ?? []).filter((x) => !x.dead);
    }
  }

  /** Queued broadcasts. */
  numQueued(): number {
    return this.live;
  }

  private drop(it: Item): void {
    if (it.dead) return;
    it.dead = true;
    this.live--;
    if (it.key !== undefined && this.byKey.get(it.key) === it) this.byKey.delete(it.key);
  }
}

/** Merges two arrays sorted by ascending id. */
function mergeById(a: Item[], b: Item[]): Item[] {
  if (a.length === 0) return b;
  const out: Item[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(a[i]!.id < b[j]!.id ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
