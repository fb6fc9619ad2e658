import type { LogEntry, Snapshot } from '../../contracts/ports/log-store.js';

/**
 * The messages Raft servers exchange. Plain objects: the core (RaftNode) produces and consumes
 * them, the driver encodes them with raft-message-codec for the Transport. `from`/`to` are
 * server ids; `term` is the sender's current term (for a pre-vote request: the term the sender
 * would campaign in).
 */
export type RaftMessage =
  | PreVoteRequest
  | PreVoteResponse
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNowRequest;

interface MessageBase {
  from: string;
  to: string;
  term: number;
}

/** Thesis §9.6: "would you vote for me in `term`?" — changes no state on the receiver. */
export interface PreVoteRequest extends MessageBase {
  type: 'preVote';
  lastIndex: number;
  lastTerm: number;
}

/** Answer to a pre-vote; on grant `term` echoes the request's term. */
export interface PreVoteResponse extends MessageBase {
  type: 'preVoteResp';
  reject: boolean;
}

/** RequestVote (§5.2). */
export interface VoteRequest extends MessageBase {
  type: 'vote';
  lastIndex: number;
  lastTerm: number;
  /** Set by a candidate started by TimeoutNow (leadership transfer): voters ignore their leader lease. */
  transfer?: boolean;
}

/** Answer to RequestVote. */
export interface VoteResponse extends MessageBase {
  type: 'voteResp';
  reject: boolean;
}

/** AppendEntries (§5.3): entries follow (prevIndex, prevTerm); `commit` is the leader's commit index. */
export interface AppendRequest extends MessageBase {
  type: 'append';
  prevIndex: number;
  prevTerm: number;
  entries: LogEntry[];
  commit: number;
}

/**
 * Answer to AppendEntries or InstallSnapshot. On success `index` is the follower's match index.
 * On reject `index` is the rejected prevIndex and (hintIndex, hintTerm) the follower's
 * conflict hint: the largest index ≤ min(prevIndex, lastIndex) whose term ≤ the leader's
 * prevTerm, and that term (fast backtracking).
 */
export interface AppendResponse extends MessageBase {
  type: 'appendResp';
  reject: boolean;
  index: number;
  hintIndex: number;
  hintTerm: number;
}

/** Leader heartbeat: asserts leadership, carries a safe commit index and an optional ReadIndex context. */
export interface HeartbeatRequest extends MessageBase {
  type: 'heartbeat';
  commit: number;
  context: string;
}

/** Heartbeat acknowledgement echoing the context. */
export interface HeartbeatResponse extends MessageBase {
  type: 'heartbeatResp';
  context: string;
}

/** InstallSnapshot (§7), in one chunk: metadata, configuration and state machine data. */
export interface SnapshotRequest extends MessageBase {
  type: 'snapshot';
  snapshot: Snapshot;
}

/** Leadership transfer (thesis §3.10): the leader tells an up-to-date voter to start an election now. */
export interface TimeoutNowRequest extends MessageBase {
  type: 'timeoutNow';
}

/** The message type tags. Append-only. */
export const RAFT_MESSAGE_TYPES = [
  'preVote',
  'preVoteResp',
  'vote',
  'voteResp',
  'append',
  'appendResp',
  'heartbeat',
  'heartbeatResp',
  'snapshot',
  'timeoutNow',
] as const;
export type RaftMessageType = (typeof RAFT_MESSAGE_TYPES)[number];
