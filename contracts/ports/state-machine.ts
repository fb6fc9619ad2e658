/**
 * StateMachine port: applies committed Raft entries deterministically. Given the same
 * sequence of entries (or a snapshot plus the tail), every server holds the same state.
 */

export interface AppliedEntry {
  /** The Raft index of the entry; strictly increasing across calls. */
  index: number;
  /** The term of the entry. */
  term: number;
  /** The command bytes as proposed. */
  data: Uint8Array;
}

export interface StateMachine {
  /**
   * Applies one committed command. Synchronous and deterministic: no I/O, no clock, no
   * randomness (time, when needed, travels inside the command). Domain failures (a failed
   * CAS, an invalid session) are returned as values, never thrown; a throw means a corrupt or
   * unknown command and stops the server. The return value is handed to the proposer.
   */
  apply(entry: AppliedEntry): unknown;
  /** The index of the last applied entry (0 initially, or the restored snapshot's index). */
  lastApplied(): number;
  /**
   * Serializes the whole state as of lastApplied() at the call: the view is frozen when
   * snapshot() returns, and entries applied while the promise is pending must not show in the
   * image (the Raft server keeps applying while a snapshot is encoded and saved). A large state
   * may be encoded over several event-loop turns. restore() is not called while one is pending.
   */
  snapshot(): Promise<Uint8Array>;
  /** Replaces the whole state with a snapshot covering entries up to `lastIndex`. Wakes every
   * watcher (indexes may go backwards; clients reset). */
  restore(data: Uint8Array, lastIndex: number): void;
  /**
   * The agent is stopping, after the Raft server that applied entries has stopped: wakes every
   * parked watcher (their blocking reads answer with the current data) and releases what the
   * state machine holds. apply and restore are not called after close. Idempotent; never throws.
   */
  close(): void;
}
