/** Tunables of a RaftServer. Every field is optional; defaults follow hashicorp/raft. */
export interface RaftServerOptions {
  /** Base election timeout T in ms (a follower that hears no leader for a random time in [T, 2T)
   * campaigns). Default 1000 (hashicorp HeartbeatTimeout/ElectionTimeout), times `multiplier`. */
  electionMs?: number;
  /** Leader heartbeat interval in ms. Default 100 (hashicorp sends heartbeats every
   * HeartbeatTimeout/10), times `multiplier`. Must be below electionMs. */
  heartbeatMs?: number;
  /** hashicorp's LeaderLeaseTimeout in ms: a leader that has not heard from a quorum of voters
   * within this long no longer answers default reads from its lease (it confirms leadership with
   * a quorum round first). Default 500, times `multiplier`; at most electionMs. */
  leaderLeaseMs?: number;
  /** Consul's performance.raft_multiplier: scales electionMs, heartbeatMs and leaderLeaseMs. Default 1. */
  multiplier?: number;
  /** Take a snapshot once this many entries were applied since the last one. Default 8192.
   * `Infinity` disables snapshots (the log is then never compacted). */
  snapshotThreshold?: number;
  /** Consul's raft_snapshot_interval (hashicorp SnapshotInterval): the threshold is checked only
   * this often, at a random time between this and twice this since the last check, so a busy
   * server snapshots at most about once per interval instead of every `snapshotThreshold`
   * entries. The log compaction behind a snapshot is spread over half of it. Default 0: checked
   * after every applied batch, and compaction runs its chunks back to back. */
  snapshotIntervalMs?: number;
  /** Log entries deleted per storage call when compacting behind a snapshot. Default 256: an
   * append queued behind a chunk waits for it (~2-3 ms under load on a 2-core VM). */
  compactionChunk?: number;
  /** Entries kept in the log behind a snapshot for slow followers. Default 10240. */
  trailingLogs?: number;
  /** Most entries per AppendEntries message. Default 64. */
  maxAppendEntries?: number;
  /** Most unacknowledged AppendEntries per follower while pipelining. Default 64. */
  maxInflight?: number;
  /** A leader sends AppendEntries for new entries before its own write of them completes, so
   * its disk write and the followers' overlap (thesis §10.2.1; etcd does the same), and entries
   * already committed and durable are applied before the next write completes. Its own match
   * index still counts only once the write is durable. Default true; false persists first, then
   * sends and applies (scripted fault scenarios that cut a leader off right after it appends,
   * and the schedules their seeds were picked for, use that). */
  parallelLeaderWrite?: boolean;
  /** hashicorp's CommitTimeout: a leader's Ready that only commits sends followers appends that
   * carry nothing but the new commit index; they wait this long, and an append sent to the same
   * follower meanwhile (which carries the commit too) replaces its wait. Sequential writes then
   * tell followers each commit with the next write's append instead of two more messages and two
   * answers each. Followers apply (and serve stale reads) up to this much later. Default 50
   * (hashicorp's); 0 sends them right after the answers of the turn. */
  commitTimeoutMs?: number;
  /** Consistent reads share ReadIndex rounds: one round (one heartbeat broadcast and quorum
   * ack) in flight at a time, reads arriving meanwhile go in the next (etcd's read loop).
   * Default true; false starts a round per read. */
  batchReadIndex?: boolean;
  /** Pre-vote (thesis §9.6). Default true. */
  preVote?: boolean;
  /** Check-quorum and leader stickiness. Default true. */
  checkQuorum?: boolean;
  /** Test-only fault injection; never set outside tests. */
  unsafe?: { disableElectionRestriction?: boolean; commitOlderTermsByCount?: boolean };
}

/** RaftServerOptions with defaults applied and timings turned into ticks. */
export interface ResolvedRaftTiming {
  tickMs: number;
  /** The leader lease in ms (see RaftServerOptions.leaderLeaseMs). */
  leaseMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  snapshotThreshold: number;
  trailingLogs: number;
  snapshotIntervalMs: number;
  compactionChunk: number;
  maxAppendEntries: number;
  maxInflight: number;
  commitTimeoutMs: number;
}

/** Applies defaults: the tick is the heartbeat interval (but at most a tenth of the election timeout). */
export function resolveRaftTiming(o: RaftServerOptions = {}): ResolvedRaftTiming {
  const mult = o.multiplier ?? 1;
  const electionMs = (o.electionMs ?? 1000) * mult;
  const heartbeatMs = Math.min((o.heartbeatMs ?? 100) * mult, electionMs / 2);
  const tickMs = Math.max(1, Math.min(heartbeatMs, electionMs / 10));
  return {
    tickMs,
    leaseMs: Math.min((o.leaderLeaseMs ?? 500) * mult, electionMs),
    electionTicks: Math.max(2, Math.round(electionMs / tickMs)),
    heartbeatTicks: Math.max(1, Math.round(heartbeatMs / tickMs)),
    snapshotThreshold: Math.max(1, o.snapshotThreshold ?? 8192),
    trailingLogs: Math.max(0, o.trailingLogs ?? 10240),
    snapshotIntervalMs: Math.max(0, o.snapshotIntervalMs ?? 0),
    compactionChunk: Math.max(1, Math.floor(o.compactionChunk ?? 256)),
    maxAppendEntries: Math.max(1, o.maxAppendEntries ?? 64),
    maxInflight: Math.max(1, o.maxInflight ?? 64),
    commitTimeoutMs: Math.max(0, o.commitTimeoutMs ?? 50),
  };
}
