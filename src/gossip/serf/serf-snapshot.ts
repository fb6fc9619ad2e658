/**
 * What serf writes to `data_dir/serf/local.snapshot` so a restarted agent rejoins the members it
 * knew (serf's snapshotter, snapshot.go). The Serf class records into it; the file format and
 * its compaction are the snapshotter's business (serf-snapshotter.ts).
 */

/** What a snapshot file held when it was opened. */
export interface SerfSnapshotState {
  /** Members last recorded alive, each with its `host:port` gossip address, to rejoin. Empty when the file ends with a leave and rejoin-after-leave is off. */
  readonly aliveNodes: ReadonlyArray<{ readonly name: string; readonly addr: string }>;
  /** The member (Lamport) clock last recorded. */
  readonly lastClock: number;
  /** The user event clock last recorded. */
  readonly lastEventClock: number;
  /** The query clock last recorded. */
  readonly lastQueryClock: number;
  /** Whether the file ends with a graceful leave. */
  readonly leftBefore: boolean;
}

/** The recording side: serf calls these as its state changes. None of them throws; write errors are logged. */
export interface SerfSnapshot {
  /** The state recovered when the snapshot was opened. */
  recovered(): SerfSnapshotState;
  /** A member is alive at `addr` (`host:port`). */
  memberAlive(name: string, addr: string): void;
  /** A member failed, left or was reaped. */
  memberNotAlive(name: string): void;
  /** The member clock moved to `ltime`. */
  updateClock(ltime: number): void;
  /** The user event clock moved to `ltime`. */
  updateEventClock(ltime: number): void;
  /** The query clock moved to `ltime`. */
  updateQueryClock(ltime: number): void;
  /** This agent left gracefully: a restart does not rejoin (unless rejoin-after-leave). */
  leave(): void;
  /** Flushes and closes the file. Idempotent. */
  close(): Promise<void>;
}
