import type { KvChange } from '../../contracts/hooks.js';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { LeaderJob } from '../kernel/leadership.js';
import { encodeCommand } from '../state/command-codec.js';
import type { KvReader } from '../state/kv-reader.js';

/** Consul's TombstoneTTL: how long a KV tombstone is kept before the leader reaps it. */
export const TOMBSTONE_TTL_MS = 15 * 60_000;
/** Consul's TombstoneTTLGranularity: deletes within one window are reaped by one Raft entry. */
export const TOMBSTONE_GRANULARITY_MS = 30_000;

/** Constructor dependencies of TombstoneGc. */
export interface TombstoneGcDeps {
  /** The local replicated state: its KV side tells deletions apart, lastApplied() bounds the tombstones a new leader inherits. */
  store: { readonly kv: Pick<KvReader, 'get'>; lastApplied(): number };
  raft: Pick<RaftApi, 'propose'>;
  clock: Clock;
  logger: Logger;
  ttlMs?: number;
  granularityMs?: number;
}

/**
 * The leader's KV tombstone collector (Consul's state/tombstone_gc.go). Deletes leave
 * tombstones so prefix indexes never go backwards; without reaping, every key ever deleted
 * would stay in memory and in every snapshot. While this server leads, each commit that
 * deleted keys is a hint: its index goes into the bucket of the granularity window in which it
 * turns `ttlMs` old, and when that window ends one `kv.tombstone-reap` entry drops every
 * tombstone at or below the bucket's highest index, on every server alike. A new leader hints
 * its applied index, so tombstones it inherits are reaped one TTL later. Followers keep no
 * timers. A failed reap is logged and left to the next one, which covers it (indexes only grow).
 * A LeaderJob: established with leadership, revoked when it ends.
 */
export class TombstoneGc implements LeaderJob {
  readonly name = 'tombstone GC';
  private readonly buckets = new Map<number, { index: number; timer: TimerHandle }>();
  private leading = false;
  private readonly ttlMs: number;
  private readonly granularityMs: number;

  constructor(private readonly deps: TombstoneGcDeps) {
    this.ttlMs = deps.ttlMs ?? TOMBSTONE_TTL_MS;
    this.granularityMs = deps.granularityMs ?? TOMBSTONE_GRANULARITY_MS;
  }

  /** This server leads: hints the applied index, so inherited tombstones are reaped one TTL later. */
  establish(): void {
    if (this.leading) return;
    this.leading = true;
    this.cancelAll();
    const applied = this.deps.store.lastApplied();
    if (applied > 0) this.hint(applied);
  }

  /** Leadership ended (or the agent stops): cancels every window. Idempotent. */
  revoke(): void {
    this.leading = false;
    this.cancelAll();
  }

  /**
   * Observes one applied KV change (the kvChanged hook): when it deleted a key (one of its keys
   * is now absent), its index is a hint. Never throws; cheap, as it runs on the apply path.
   */
  observe(change: KvChange): void {
    if (!this.leading) return;
    for (const key of change.keys) {
      if (this.deps.store.kv.get(key).value === null) {
        this.hint(change.index);
        return;
      }
    }
  }

  /** Number of pending reap windows (0 on a follower). */
  pending(): number {
    return this.buckets.size;
  }

  private hint(index: number): void {
    const now = this.deps.clock.now();
    const g = this.granularityMs;
    const expires = Math.ceil((now + this.ttlMs) / g) * g;
    const bucket = this.buckets.get(expires);
    if (bucket) {
      bucket.index = Math.max(bucket.index, index);
      return;
    }
    const timer = this.deps.clock.setTimeout(() => void this.reap(expires), Math.max(0, expires - now));
    this.buckets.set(expires, { index, timer });
  }

  private async reap(expires: number): Promise<void> {
    const bucket = this.buckets.get(expires);
    this.buckets.delete(expires);
    if (!bucket || !this.leading) return;
    try {
      await this.deps.raft.propose(encodeCommand({ type: 'kv.tombstone-reap', index: bucket.index }));
      this.deps.logger.debug('reaped KV tombstones', { upTo: bucket.index });
    } catch (e) {
      if (this.leading) this.deps.logger.warn('reaping KV tombstones failed; the next reap covers them', { upTo: bucket.index, error: e });
    }
  }

  private cancelAll(): void {
    for (const b of this.buckets.values()) b.timer.cancel();
    this.buckets.clear();
  }
}
