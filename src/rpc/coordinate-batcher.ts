import type { NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { LeaderJob } from '../kernel/leadership.js';
import { encodeCommand } from '../state/command-codec.js';

/** Consul's coordinate_update_period: how often the leader writes the pending updates. */
export const COORDINATE_UPDATE_PERIOD_MS = 5_000;
/** Consul's coordinate_update_batch_size: updates per Raft entry. */
export const COORDINATE_UPDATE_BATCH_SIZE = 128;
/** Consul's coordinate_update_max_batches: Raft entries per period; updates beyond are discarded. */
export const COORDINATE_UPDATE_MAX_BATCHES = 5;

/** What a CoordinateBatcher is built from. */
export interface CoordinateBatcherDeps {
  raft: Pick<RaftApi, 'propose'>;
  clock: Clock;
  logger: Logger;
  periodMs?: number;
  batchSize?: number;
  maxBatches?: number;
}

/**
 * The server side of Coordinate.Update (Consul's Coordinate.batchUpdate): updates are kept in
 * memory, the latest per node and segment, and every coordinate_update_period the pending ones
 * are written through Raft as `coordinate.batch-update` entries of at most batch-size updates,
 * at most max-batches entries per period; the rest are discarded with a warning ("Discarded
 * coordinate updates"), as Consul's rate limit does. A LeaderJob: the period runs while this
 * server leads (updates only reach the leader: Coordinate.Update is a write); losing leadership
 * drops what is pending.
 */
export class CoordinateBatcher implements LeaderJob {
  readonly name = 'coordinate batching';
  private pending = new Map<string, NodeCoordinate>();
  private timer: TimerHandle | undefined;
  private leading = false;
  private readonly periodMs: number;
  private readonly batchSize: number;
  private readonly maxBatches: number;

  constructor(private readonly deps: CoordinateBatcherDeps) {
    this.periodMs = deps.periodMs ?? COORDINATE_UPDATE_PERIOD_MS;
    this.batchSize = deps.batchSize ?? COORDINATE_UPDATE_BATCH_SIZE;
    this.maxBatches = deps.maxBatches ?? COORDINATE_UPDATE_MAX_BATCHES;
  }

  /** Queues `update` for the next flush, replacing a pending one of the same node and segment (Consul keys them `node:segment`). */
  add(update: NodeCoordinate): void {
    const key = `${update.Node}:${update.Segment}`;
    this.pending.delete(key); // keep insertion order = arrival order of the latest update
    this.pending.set(key, update);
  }

  /** Number of updates waiting for the next flush. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** This server leads: starts the period. */
  establish(): void {
    if (this.leading) return;
    this.leading = true;
    this.arm();
  }

  /** Leadership ended (or the server stops): stops the period and drops what is pending. Idempotent. */
  revoke(): void {
    this.leading = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.pending = new Map();
  }

  /**
   * Writes what is pending now (Consul's batchApplyUpdates): at most batch-size × max-batches
   * updates, in Raft entries of batch-size; the rest are discarded. Resolves once every entry
   * was applied; a failed proposal is logged and ends this flush (its updates are gone, as in
   * Consul: the agents send again).
   */
  async flush(): Promise<void> {
    const pending = [...this.pending.values()];
    this.pending = new Map();
    const limit = this.batchSize * this.maxBatches;
    if (pending.length > limit) {
      this.deps.logger.warn('Discarded coordinate updates', { number_discarded: pending.length - limit });
    }
    const size = Math.min(pending.length, limit);
    for (let start = 0; start < size; start += this.batchSize) {
      const updates = pending.slice(start, Math.min(start + this.batchSize, size));
      try {
        await this.deps.raft.propose(encodeCommand({ type: 'coordinate.batch-update', updates }));
      } catch (e) {
        this.deps.logger.warn('Batch update failed', { error: e });
        return;
      }
    }
  }

  private arm(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.leading) return;
      void this.flush().finally(() => {
        if (this.leading && this.timer === undefined) this.arm();
      });
    }, this.periodMs);
  }
}
