/**
 * memberlist's TransmitLimitedQueue (queue.go): broadcasts piggy-backed on probes and gossip,
 * each sent at most retransmitMult × ceil(log10(N + 1)) times, fewest-sent first, a newer
 * broadcast about the same node replacing the older one.
 */
import { retransmitLimit } from './timing.js';

interface Item {
  key: string | undefined;
  msg: Uint8Array;
  transmits: number;
  id: number;
}

/** A queue of broadcasts with a transmit limit. */
export class TransmitLimitedQueue {
  private items: Item[] = [];
  private seq = 0;

  /** `numNodes` gives the current cluster size for the retransmit limit. */
  constructor(
    private readonly retransmitMult: number,
    private readonly numNodes: () => number,
  ) {}

  /** Queues `msg`; a queued broadcast with the same `key` (a node name) is dropped first. */
  queue(msg: Uint8Array, key?: string): void {
    if (key !== undefined) this.items = this.items.filter((i) => i.key !== key);
    this.items.push({ key, msg, transmits: 0, id: this.seq++ });
  }

  /** Broadcasts that fit `limit` bytes with `overhead` bytes each, fewest transmits first (newest first among equals); each counts one transmit. */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.items.length === 0) return [];
    const max = retransmitLimit(this.retransmitMult, this.numNodes());
    const sorted = [...this.items].sort((a, b) => a.transmits - b.transmits || b.id - a.id);
    const out: Uint8Array[] = [];
    let used = 0;
    for (const it of sorted) {
      if (used + overhead + it.msg.length > limit) continue;
      used += overhead + it.msg.length;
      out.push(it.msg);
      it.transmits++;
    }
    this.items = this.items.filter((i) => i.transmits < max);
    return out;
  }

  /** Keeps the `maxRetain` newest broadcasts and drops the rest (memberlist's Prune). */
  prune(maxRetain: number): void {
    if (this.items.length <= maxRetain) return;
    this.items = [...this.items].sort((a, b) => b.id - a.id).slice(0, Math.max(0, maxRetain));
  }

  /** Queued broadcasts. */
  numQueued(): number {
    return this.items.length;
  }
}
