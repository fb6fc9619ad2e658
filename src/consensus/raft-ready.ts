import type { HardState, LogEntry, Snapshot } from '../../contracts/ports/log-store.js';
import type { RaftMessage } from './raft-message.js';

/** The role of a Raft server. */
export type RaftRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the driver reports to observers (leadership hooks, status). */
export interface SoftState {
  role: RaftRole;
  /** The known leader's id, or '' when unknown. */
  leader: string;
  term: number;
}

/** A ReadIndex request that has been confirmed by a quorum: serve it once applied ≥ index. */
export interface ReadState {
  id: string;
  index: number;
}

/**
 * Everything the core wants done, handed out by RaftNode.ready(). The driver must, in order:
 * 1. persist: `snapshot` (saveSnapshot, then delete the whole log), delete log entries from
 *    `truncateFrom` to +∞, store `entries` (one storeLogs call), store `hardState`;
 * 2. send `messages`;
 * 3. restore the state machine from `snapshot` if present, then apply `committedEntries` in order;
 * 4. call RaftNode.advance(ready).
 */
export interface Ready {
  /** Set when role, leader or term changed since the previous Ready. */
  softState: SoftState | undefined;
  /** Set when term or vote changed since it was last persisted. */
  hardState: HardState | undefined;
  /** A snapshot received from the leader that replaces the log and the state machine. */
  snapshot: Snapshot | undefined;
  /** Delete stored entries with index ≥ truncateFrom before storing `entries`. */
  truncateFrom: number | undefined;
  /** Entries to persist, contiguous and ascending. */
  entries: LogEntry[];
  /** Committed entries to apply, contiguous and ascending, all durable by the end of step 1. */
  committedEntries: LogEntry[];
  /** Messages to send once step 1 is durable. */
  messages: RaftMessage[];
  /** ReadIndex requests confirmed by a quorum. */
  readStates: ReadState[];
  /** ReadIndex requests that can no longer be served here (leadership lost or not leader). */
  failedReads: string[];
}
