/**
 * LogStore port (with StableStore and SnapshotStore): the durable memory of a Raft server.
 * All three are usually provided by one adapter over one database. Every write method
 * resolves only once the data is durable (fsync'd): Raft acknowledges, votes and counts
 * itself in a quorum on the strength of that promise.
 */

/** What a log entry carries. Append-only numbering: never renumber, only add. */
export const LogEntryType = {
  /** An application command for the StateMachine. */
  Command: 0,
  /** The no-op a new leader appends at the start of its term. */
  Noop: 1,
  /** A cluster configuration (the voter set), encoded by the consensus module. */
  Configuration: 2,
} as const;
export type LogEntryType = (typeof LogEntryType)[keyof typeof LogEntryType];

export interface LogEntry {
  /** 1-based, contiguous within the store. */
  index: number;
  /** The leader term the entry was created in; ≥ 1. */
  term: number;
  type: LogEntryType;
  /** Opaque payload (empty for Noop). The store owns its copy once `storeLogs` resolves. */
  data: Uint8Array;
}

export interface LogStore {
  /** Index of the first stored entry, or 0 when the store is empty. */
  firstIndex(): Promise<number>;
  /** Index of the last stored entry, or 0 when the store is empty. */
  lastIndex(): Promise<number>;
  /** The entry at `index`, or undefined when absent (compacted, never written or truncated). */
  getLog(index: number): Promise<LogEntry | undefined>;
  /** Entries with lo ≤ index ≤ hi in ascending order; absent indexes are skipped, so the
   * caller checks the length when it needs a contiguous run. */
  getLogs(lo: number, hi: number): Promise<LogEntry[]>;
  /**
   * Appends (or overwrites) entries, durably. Entries at indexes already stored replace them,
   * and an adapter may also drop every entry after the call's last (a Raft caller truncates a
   * conflicting suffix first anyway). Calls made in the same event-loop turn may be
   * group-committed in one transaction and one fsync; each call's promise resolves only once
   * its entries are durable, and calls resolve in the order they were made. Entries within a
   * call must be contiguous and ascending. Rejects with STORAGE_FAILED, having written none of
   * that call's entries.
   */
  storeLogs(entries: readonly LogEntry[]): Promise<void>;
  /** Durably removes entries with min ≤ index ≤ max (used for conflict truncation with
   * max = +Infinity, and for compaction with min = first index). */
  deleteRange(min: number, max: number): Promise<void>;
  /** Flushes and releases the store. Further calls reject with SHUTDOWN. Idempotent. */
  close(): Promise<void>;
}

/** Raft's persistent, non-log state. */
export interface HardState {
  /** Latest term this server has seen (0 initially). */
  currentTerm: number;
  /** The candidate id voted for in currentTerm, or '' for none. */
  votedFor: string;
}

export interface StableStore {
  /** The stored hard state, or `{currentTerm: 0, votedFor: ''}` when never written. */
  getHardState(): Promise<HardState>;
  /** Durably replaces the hard state; resolves only once fsync'd. */
  setHardState(state: HardState): Promise<void>;
  /** A small durable key/value slot for other persistent scalars (node id, etc.); undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Durably sets a key in the slot. */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Releases the store. Idempotent. */
  close(): Promise<void>;
}

export interface SnapshotMeta {
  /** Index of the last entry the snapshot covers. */
  lastIndex: number;
  /** Term of that entry. */
  lastTerm: number;
  /** The cluster configuration as of lastIndex, encoded by the consensus module. */
  configuration: Uint8Array;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** The StateMachine's serialized state. */
  data: Uint8Array;
}

export interface SnapshotStore {
  /** Durably stores a snapshot; on resolve it replaces older ones (older may be pruned). */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** The newest complete snapshot, or undefined when none was ever saved. A snapshot whose write
   * was interrupted by a crash is never returned. */
  latestSnapshot(): Promise<Snapshot | undefined>;
  /** Releases the store. Idempotent. */
  close(): Promise<void>;
}

/** What a log-store adapter provides: the three stores, usually over one database. */
export interface RaftStorage {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
  /** Closes all three. Idempotent. */
  close(): Promise<void>;
}
