import type { Random } from '../../contracts/platform.js';
import type { HardState, LogEntry, Snapshot } from '../../contracts/ports/log-store.js';
import { LogEntryType } from '../../contracts/ports/log-store.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { AppendRequest, AppendResponse, HeartbeatRequest, HeartbeatResponse, RaftMessage, SnapshotRequest } from './raft-message.js';
import {
  decodeConfiguration,
  emptyConfiguration,
  encodeConfiguration,
  isVoter,
  quorumSize,
  voterIds,
  type RaftConfiguration,
} from './raft-configuration.js';
import { RaftLog } from './raft-log.js';
import { RaftProgress } from './raft-progress.js';
import { RaftReadOnly } from './raft-read-only.js';
import type { RaftRole, ReadState, Ready, SoftState } from './raft-ready.js';

/** Construction options of the pure Raft core. */
export interface RaftNodeOptions {
  /** This server's id. */
  id: string;
  /** Base election timeout in ticks (T); each round waits a random number of ticks in [T, 2T). */
  electionTicks: number;
  /** Leader heartbeat interval in ticks (< electionTicks). */
  heartbeatTicks: number;
  /** Source of election-timeout jitter. */
  random: Random;
  /** Pre-vote (thesis §9.6); default true. */
  preVote?: boolean;
  /** Check-quorum / leader lease: a leader steps down after an election timeout without hearing
   * from a quorum, and followers ignore vote requests while they hear from a leader; default true. */
  checkQuorum?: boolean;
  /** Most entries per AppendEntries message; default 64. */
  maxAppendEntries?: number;
  /** Most unacknowledged AppendEntries per follower while pipelining; default 64. */
  maxInflight?: number;
  /** Persisted term and vote (restart). */
  hardState?: HardState;
  /** The latest snapshot (restart); the log starts after its lastIndex. */
  snapshot?: Snapshot;
  /** Persisted log entries after the snapshot (or from index 1), contiguous. */
  entries?: LogEntry[];
  /** Index the state machine has applied (≥ the snapshot's lastIndex); known committed. */
  applied?: number;
  /** Test-only fault injection: disables safety rules so simulations can prove they catch bugs. */
  unsafe?: { disableElectionRestriction?: boolean; commitOlderTermsByCount?: boolean };
}

/** Thrown by propose/readIndex on a non-leader: NOT_LEADER (details.leader = leader id) or NO_LEADER. */
function notLeader(leader: string): SextantError {
  return leader
    ? new SextantError(ErrorCode.NotLeader, 'this server is not the raft leader', { leader })
    : new SextantError(ErrorCode.NoLeader, 'no raft leader is known');
}

/**
 * A pure, deterministic Raft state machine in the style of etcd's RawNode: no timers, sockets
 * or storage. Inputs are `tick()`, `step(message)`, `propose()`, `readIndex()`; output is
 * collected with `ready()` and acknowledged with `advance()` once the driver has persisted,
 * sent and applied it (see Ready for the required order).
 */
export class RaftNode {
  readonly id: string;
  private term = 0;
  private vote = '';
  private lead = '';
  private role: RaftRole = 'follower';
  private readonly log: RaftLog;
  /** The configuration as of log.prevIndex. */
  private baseConfig: RaftConfiguration;
  /** Indexes of Configuration entries held in the log, ascending. */
  private configIndexes: number[] = [];
  /** The effective configuration: the latest appended (committed or not). */
  private config: RaftConfiguration;
  /** The log entry `config` was decoded from (undefined: it is baseConfig). */
  private configEntry: LogEntry | undefined;
  private progress = new Map<string, RaftProgress>();
  /** The voter a leadership transfer goes to ('' when none is in progress). */
  private leadTransferee = '';
  /** Leader ticks since the transfer started (aborted after an election timeout). */
  private transferElapsed = 0;
  /** This candidacy was started by TimeoutNow: its vote requests say so. */
  private transferCampaign = false;
  private votes = new Map<string, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private msgs: RaftMessage[] = [];
  private readOnly = new RaftReadOnly();
  private readsAwaitingCommit: string[] = [];
  private readStates: ReadState[] = [];
  private failedReads: string[] = [];
  private latestSnapshot: Snapshot | undefined;
  private pendingInstall: Snapshot | undefined;
  private snapshotWait = new Map<string, number>();
  private pendingBroadcast = false;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding: Ready | undefined;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly random: Random;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxAppendEntries: number;
  private readonly maxInflight: number;
  private readonly unsafeNoElectionRestriction: boolean;
  private readonly unsafeCommitOlderTerms: boolean;

  constructor(opts: RaftNodeOptions) {
    this.id = opts.id;
    this.electionTicks = Math.max(2, opts.electionTicks);
    this.heartbeatTicks = Math.max(1, Math.min(opts.heartbeatTicks, this.electionTicks - 1));
    this.random = opts.random;
    this.preVote = opts.preVote ?? true;
    this.checkQuorum = opts.checkQuorum ?? true;
    this.maxAppendEntries = Math.max(1, opts.maxAppendEntries ?? 64);
    this.maxInflight = Math.max(1, opts.maxInflight ?? 64);
    this.unsafeNoElectionRestriction = opts.unsafe?.disableElectionRestriction ?? false;
    this.unsafeCommitOlderTerms = opts.unsafe?.commitOlderTermsByCount ?? false;
    const snap = opts.snapshot;
    this.latestSnapshot = snap;
    const prevIndex = snap?.meta.lastIndex ?? 0;
    const prevTerm = snap?.meta.lastTerm ?? 0;
    const entries = (opts.entries ?? []).filter((e) => e.index > prevIndex);
    const applied = Math.max(prevIndex, opts.applied ?? 0);
    this.log = new RaftLog(prevIndex, prevTerm, entries, applied);
    this.log.applied = Math.min(applied, this.log.lastIndex());
    this.baseConfig = snap ? decodeConfiguration(snap.meta.configuration) : emptyConfiguration();
    for (const e of entries) if (e.type === LogEntryType.Configuration) this.configIndexes.push(e.index);
    this.config = this.baseConfig;
    this.refreshConfig();
    if (opts.hardState) {
      this.term = opts.hardState.currentTerm;
      this.vote = opts.hardState.votedFor;
    }
    this.prevHard = { currentTerm: this.term, votedFor: this.vote };
    this.prevSoft = this.softState();
    this.resetTimers();
  }

  // ---------------------------------------------------------------- inspection

  /** Current term. */
  currentTerm(): number {
    return this.term;
  }
  /** Current role. */
  currentRole(): RaftRole {
    return this.role;
  }
  /** Known leader id, or ''. */
  leaderId(): string {
    return this.lead;
  }
  /** Candidate voted for in the current term, or ''. */
  votedFor(): string {
    return this.vote;
  }
  /** Commit index. */
  commitIndex(): number {
    return this.log.committed;
  }
  /** Index of the last entry handed out for applying. */
  appliedIndex(): number {
    return this.log.applied;
  }
  /** Index of the last log entry. */
  lastIndex(): number {
    return this.log.lastIndex();
  }
  /** Term of the last log entry. */
  lastTerm(): number {
    return this.log.lastTerm();
  }
  /** Index before the first entry held in memory (compaction point). */
  firstIndex(): number {
    return this.log.firstIndex();
  }
  /** Term of the entry at index, if held. */
  termAt(index: number): number | undefined {
    return this.log.term(index);
  }
  /** Entries lo..hi held in memory. */
  entries(lo: number, hi: number): LogEntry[] {
    return this.log.slice(lo, hi);
  }
  /** The effective (latest appended) configuration. */
  configuration(): RaftConfiguration {
    return this.config;
  }
  /** Index of the latest Configuration entry, or the compaction point when it predates the log. */
  configurationIndex(): number {
    return this.configIndexes.length > 0 ? this.configIndexes[this.configIndexes.length - 1]! : this.log.prevIndex;
  }
  /** The configuration in effect at `index` (≥ the compaction point). */
  configurationAt(index: number): RaftConfiguration {
    for (let i = this.configIndexes.length - 1; i >= 0; i--) {
      const ci = this.configIndexes[i]!;
      if (ci <= index) return decodeConfiguration(this.log.entry(ci)!.data);
    }
    return this.baseConfig;
  }
  /** The newest snapshot this node knows (taken locally or installed). */
  snapshot(): Snapshot | undefined {
    return this.latestSnapshot;
  }
  /** The leader's view of a follower's match index (undefined when not leader or unknown peer). */
  matchIndex(peer: string): number | undefined {
    return this.role === 'leader' ? this.progress.get(peer)?.match : undefined;
  }
  /** Volatile state: role, leader, term. */
  softState(): SoftState {
    return { role: this.role, leader: this.lead, term: this.term };
  }
  /** True when this node is the only voter of its configuration. */
  isSingleVoter(): boolean {
    const v = voterIds(this.config);
    return v.length === 1 && v[0] === this.id;
  }
  /** True when the leader has committed an entry of its current term (ReadIndex and config changes need it). */
  committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  // ---------------------------------------------------------------- inputs

  /** Advances logical time by one tick: election timeouts, heartbeats, check-quorum. */
  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (pre-vote first when enabled). A no-op for leaders and non-voters. */
  campaign(): void {
    this.hup();
  }

  /**
   * Appends a command (or other entry type) as leader and returns its position. Entries
   * proposed before the next ready() travel in one batch. Throws NOT_LEADER / NO_LEADER.
   */
  propose(data: Uint8Array, type: LogEntryType = LogEntryType.Command): { index: number; term: number } {
    if (this.role !== 'leader') throw notLeader(this.lead);
    if (type === LogEntryType.Configuration) throw new SextantError(ErrorCode.BadRequest, 'use proposeConfiguration');
    this.refuseDuringTransfer();
    return this.appendAsLeader(type, data);
  }

  /**
   * Proposes a new configuration (single-server change: at most one voter added or removed).
   * Takes effect when appended. Throws NOT_LEADER / NO_LEADER, or BAD_REQUEST when the leader
   * has not committed an entry of its term yet, another change is uncommitted, or the change
   * touches more than one voter.
   */
  proposeConfiguration(next: RaftConfiguration): { index: number; term: number } {
    if (this.role !== 'leader') throw notLeader(this.lead);
    if (!this.committedInCurrentTerm()) {
      throw new SextantError(ErrorCode.BadRequest, 'the leader has not committed an entry in its term yet');
    }
    this.refuseDuringTransfer();
    if (this.configurationIndex() > this.log.committed) {
      throw new SextantError(ErrorCode.BadRequest, 'a configuration change is already in progress');
    }
    const before = new Set(voterIds(this.config));
    const after = new Set(voterIds(next));
    let changed = 0;
    for (const v of before) if (!after.has(v)) changed++;
    for (const v of after) if (!before.has(v)) changed++;
    if (changed > 1) throw new SextantError(ErrorCode.BadRequest, 'only one voter may change at a time');
    return this.appendAsLeader(LogEntryType.Configuration, encodeConfiguration(next));
  }

  /**
   * Leadership transfer (thesis §3.10, hashicorp/raft's LeadershipTransfer): picks `to` (a voter
   * other than this leader) or else the voter with the highest match index, stops accepting
   * proposals, brings the target up to date and sends it TimeoutNow, on which it campaigns at
   * once (no pre-vote; voters ignore their lease). Returns the target's id. The transfer is
   * abandoned after an election timeout (proposals are accepted again). Throws NOT_LEADER /
   * NO_LEADER, BAD_REQUEST when `to` is not another voter, there is none, or a transfer is in progress.
   */
  transferLeadership(to?: string): string {
    if (this.role !== 'leader') throw notLeader(this.lead);
    if (this.leadTransferee !== '') throw new SextantError(ErrorCode.BadRequest, 'leadership transfer already in progress');
    const others = voterIds(this.config).filter((v) => v !== this.id);
    let target = to;
    if (target !== undefined && target !== '') {
      if (!others.includes(target)) throw new SextantError(ErrorCode.BadRequest, `cannot transfer leadership to ${target}: not another voter of the configuration`);
    } else {
      let best = -1;
      target = undefined;
      for (const v of others) {
        const match = this.progress.get(v)?.match ?? 0;
        if (match > best) {
          best = match;
          target = v;
        }
      }
      if (target === undefined) throw new SextantError(ErrorCode.BadRequest, 'cannot find a peer to transfer leadership to');
    }
    this.leadTransferee = target;
    this.transferElapsed = 0;
    if ((this.progress.get(target)?.match ?? 0) >= this.log.lastIndex()) this.sendTimeoutNow(target);
    else this.sendAppend(target, true);
    return target;
  }

  /** The voter a leadership transfer is going to, or undefined. */
  transferTarget(): string | undefined {
    return this.leadTransferee === '' ? undefined : this.leadTransferee;
  }

  private refuseDuringTransfer(): void {
    if (this.leadTransferee !== '') throw new SextantError(ErrorCode.NotLeader, 'leadership transfer in progress');
  }

  private sendTimeoutNow(to: string): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /**
   * Requests a linearizable read (ReadIndex, thesis §6.4) under `id`. Once a quorum confirms
   * leadership, a ReadState {id, index} appears in a Ready: serve the read when applied ≥ index.
   * If leadership is lost first, `id` appears in Ready.failedReads. Throws NOT_LEADER / NO_LEADER.
   */
  readIndex(id: string): void {
    if (this.role !== 'leader') throw notLeader(this.lead);
    if (!this.committedInCurrentTerm()) {
      this.readsAwaitingCommit.push(id);
      return;
    }
    this.startRead(id);
  }

  /** Processes one message from a peer. */
  step(m: RaftMessage): void {
    if (m.term > this.term) {
      if (m.type === 'preVote' || m.type === 'vote') {
        const inLease = this.checkQuorum && this.lead !== '' && this.electionElapsed < this.electionTicks;
        const transfer = m.type === 'vote' && m.transfer === true;
        if (inLease && !transfer) return; // leader stickiness (thesis §4.2.3)
      }
      if (m.type === 'preVote') {
        // never changes our term
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // a grant carries the future term we campaign in
      } else {
        const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
        this.becomeFollower(m.term, fromLeader ? m.from : '');
      }
    } else if (m.term < this.term) {
      if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        // tell the stale leader about the newer term so it steps down
        this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject: true, index: 0, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'preVote' || m.type === 'vote') {
      const isPre = m.type === 'preVote';
      const canVote = this.vote === m.from || (this.vote === '' && this.lead === '') || (isPre && m.term > this.term);
      const upToDate = this.unsafeNoElectionRestriction || this.log.isUpToDate(m.lastIndex, m.lastTerm);
      if (canVote && upToDate) {
        this.send({ type: isPre ? 'preVoteResp' : 'voteResp', from: this.id, to: m.from, term: m.term, reject: false });
        if (!isPre) {
          this.electionElapsed = 0;
          this.vote = m.from;
        }
      } else {
        this.send({ type: isPre ? 'preVoteResp' : 'voteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------- output

  /** True when ready() has something to hand out. */
  hasReady(): boolean {
    if (this.outstanding) return false;
    this.flushBroadcast();
    const soft = this.softState();
    return (
      soft.role !== this.prevSoft.role ||
      soft.leader !== this.prevSoft.leader ||
      soft.term !== this.prevSoft.term ||
      this.term !== this.prevHard.currentTerm ||
      this.vote !== this.prevHard.votedFor ||
      this.pendingInstall !== undefined ||
      this.log.hasUnstable() ||
      this.log.committed > this.log.applied ||
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.failedReads.length > 0
    );
  }

  /** Hands out the pending work. Must be followed by advance(ready) before the next ready(). */
  ready(): Ready {
    if (this.outstanding) throw new SextantError(ErrorCode.Internal, 'raft ready() called before advance()');
    this.flushBroadcast();
    const soft = this.softState();
    const softChanged = soft.role !== this.prevSoft.role || soft.leader !== this.prevSoft.leader || soft.term !== this.prevSoft.term;
    const hardChanged = this.term !== this.prevHard.currentTerm || this.vote !== this.prevHard.votedFor;
    const snapshot = this.pendingInstall;
    const truncateFrom = this.log.truncateFrom;
    this.log.truncateFrom = undefined;
    const entries = this.log.takeUnstable();
    const committedEntries = this.log.slice(this.log.applied + 1, this.log.committed);
    if (this.log.committed > this.log.applied) this.log.applied = this.log.committed;
    const rd: Ready = {
      softState: softChanged ? soft : undefined,
      hardState: hardChanged ? { currentTerm: this.term, votedFor: this.vote } : undefined,
      snapshot,
      truncateFrom: snapshot ? undefined : truncateFrom,
      entries,
      committedEntries,
      messages: this.msgs,
      readStates: this.readStates,
      failedReads: this.failedReads,
    };
    this.prevSoft = soft;
    if (hardChanged) this.prevHard = { currentTerm: this.term, votedFor: this.vote };
    this.pendingInstall = undefined;
    this.msgs = [];
    this.readStates = [];
    this.failedReads = [];
    this.outstanding = rd;
    return rd;
  }

  /**
   * Committed entries that no Ready has handed out yet, handed out now, while a Ready may be
   * outstanding (a leader whose own log write is in flight when the followers' acknowledgements
   * commit entries). The next Ready leaves them out; they must be applied after the outstanding
   * Ready's committed entries.
   */
  takeCommitted(): LogEntry[] {
    if (this.log.committed <= this.log.applied) return [];
    const entries = this.log.slice(this.log.applied + 1, this.log.committed);
    this.log.applied = this.log.committed;
    return entries;
  }

  /** Acknowledges that `rd` was persisted, sent and applied. */
  advance(rd: Ready): void {
    if (this.outstanding !== rd) throw new SextantError(ErrorCode.Internal, 'raft advance() with a foreign ready');
    this.outstanding = undefined;
    const last = rd.entries[rd.entries.length - 1];
    if (last) this.log.stableTo(last.index, last.term);
    if (this.role === 'leader' && this.maybeCommit()) this.bcastAppend();
  }

  /**
   * Records a snapshot the driver has durably saved (taken at an applied index) and drops
   * in-memory entries up to `compactTo` (≤ the snapshot's lastIndex, ≤ applied).
   */
  compact(snapshot: Snapshot, compactTo: number): void {
    if (!this.latestSnapshot || snapshot.meta.lastIndex >= this.latestSnapshot.meta.lastIndex) this.latestSnapshot = snapshot;
    const to = Math.min(compactTo, snapshot.meta.lastIndex, this.log.applied);
    if (to <= this.log.prevIndex) return;
    this.baseConfig = this.configurationAt(to);
    this.configIndexes = this.configIndexes.filter((i) => i > to);
    this.log.compactTo(to);
  }

  // ---------------------------------------------------------------- roles

  private becomeFollower(term: number, lead: string): void {
    const wasLeader = this.role === 'leader';
    if (term !== this.term) {
      this.term = term;
      this.vote = '';
    }
    this.role = 'follower';
    this.lead = lead;
    this.resetTimers();
    this.votes.clear();
    if (wasLeader) this.dropLeaderState();
  }

  private dropLeaderState(): void {
    this.leadTransferee = '';
    this.progress.clear();
    this.snapshotWait.clear();
    this.pendingBroadcast = false;
    this.failedReads.push(...this.readOnly.clear(), ...this.readsAwaitingCommit);
    this.readsAwaitingCommit = [];
  }

  /** TimeoutNow from our leader: campaign now, skipping pre-vote, with votes that ignore leases. */
  private campaignForTransfer(): void {
    if (this.role === 'leader' || !isVoter(this.config, this.id)) return;
    this.transferCampaign = true;
    try {
      this.runCampaign(false);
    } finally {
      this.transferCampaign = false;
    }
  }

  private becomePreCandidate(): void {
    this.role = 'preCandidate';
    this.lead = '';
    this.votes.clear();
  }

  private becomeCandidate(): void {
    this.term += 1;
    this.vote = this.id;
    this.role = 'candidate';
    this.lead = '';
    this.votes.clear();
    this.resetTimers();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.lead = this.id;
    this.resetTimers();
    this.syncProgress();
    this.appendAsLeader(LogEntryType.Noop, new Uint8Array(0));
    this.flushBroadcast();
  }

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTicks + this.random.int(this.electionTicks);
  }

  private hup(): void {
    if (this.role === 'leader' || !isVoter(this.config, this.id)) return;
    if (this.preVote) this.runCampaign(true);
    else this.runCampaign(false);
  }

  private runCampaign(pre: boolean): void {
    let voteTerm: number;
    if (pre) {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (this.tally() === 'won') {
      if (pre) this.runCampaign(false);
      else this.becomeLeader();
      return;
    }
    for (const v of voterIds(this.config)) {
      if (v === this.id) continue;
      this.send({
        type: pre ? 'preVote' : 'vote',
        from: this.id,
        to: v,
        term: voteTerm,
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        ...(!pre && this.transferCampaign ? { transfer: true } : {}),
      });
    }
  }

  private tally(): 'won' | 'lost' | 'pending' {
    const voters = voterIds(this.config);
    const q = quorumSize(voters.length);
    let granted = 0;
    let rejected = 0;
    for (const v of voters) {
      const r = this.votes.get(v);
      if (r === true) granted++;
      else if (r === false) rejected++;
    }
    if (granted >= q) return 'won';
    if (rejected > voters.length - q) return 'lost';
    return 'pending';
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (isVoter(this.config, this.id) && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.resetTimers();
      this.hup();
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.leadTransferee !== '' && ++this.transferElapsed >= this.electionTicks) this.leadTransferee = ''; // abandoned
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, '');
          return;
        }
        for (const pr of this.progress.values()) pr.recentActive = false;
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext());
    }
  }

  private quorumActive(): boolean {
    const voters = voterIds(this.config);
    let active = 0;
    for (const v of voters) if (v === this.id || this.progress.get(v)?.recentActive) active++;
    return active >= quorumSize(voters.length);
  }

  // ---------------------------------------------------------------- leader

  private appendAsLeader(type: LogEntryType, data: Uint8Array): { index: number; term: number } {
    const entry: LogEntry = { index: this.log.lastIndex() + 1, term: this.term, type, data };
    this.log.append([entry]);
    if (type === LogEntryType.Configuration) {
      this.configIndexes.push(entry.index);
      this.refreshConfig();
    }
    this.pendingBroadcast = true;
    return { index: entry.index, term: entry.term };
  }

  private flushBroadcast(): void {
    if (this.pendingBroadcast && this.role === 'leader') this.bcastAppend();
    this.pendingBroadcast = false;
  }

  /** Keeps one progress per server of the configuration other than ourselves. */
  private syncProgress(): void {
    if (this.role !== 'leader') return;
    const ids = new Set(this.config.servers.map((s) => s.id));
    for (const id of [...this.progress.keys()]) {
      if (ids.has(id)) continue;
      this.sendFinalAppend(id);
      this.progress.delete(id);
    }
    for (const id of ids) {
      if (id === this.id || this.progress.has(id)) continue;
      const pr = new RaftProgress(this.log.lastIndex() + 1, this.maxInflight);
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
  }

  /**
   * A server leaving the configuration gets one last AppendEntries carrying the log up to the
   * entry that removes it (as hashicorp/raft's replication does when it stops): it then knows it
   * was removed (a leaving server waits for that) and does not campaign. Best effort.
   */
  private sendFinalAppend(to: string): void {
    const pr = this.progress.get(to);
    if (!pr) return;
    const prevIndex = pr.match;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return;
    const entries = this.log.slice(prevIndex + 1, this.log.lastIndex(), this.maxAppendEntries);
    this.send({ type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: Math.min(pr.match, this.log.committed) });
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) this.sendAppend(id, true);
  }

  private bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.progress) {
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit: Math.min(pr.match, this.log.committed), context });
      pr.onHeartbeat();
      if (pr.state === 'snapshot') {
        const waited = (this.snapshotWait.get(id) ?? 0) + this.heartbeatTicks;
        if (waited >= this.electionTicks) {
          this.snapshotWait.delete(id);
          pr.becomeProbe();
        } else this.snapshotWait.set(id, waited);
      }
    }
  }

  /** Sends the next AppendEntries (or InstallSnapshot) to `to`. Returns true when an append went out. */
  private sendAppend(to: string, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) {
      this.sendSnapshot(to, pr);
      return false;
    }
    const entries = this.log.slice(pr.next, this.log.lastIndex(), this.maxAppendEntries);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed });
    pr.sentEntries(prevIndex + entries.length, entries.length);
    return true;
  }

  private sendSnapshot(to: string, pr: RaftProgress): void {
    const snap = this.latestSnapshot;
    if (!snap) throw new SextantError(ErrorCode.Internal, 'raft log is compacted but no snapshot is known');
    this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot: snap });
    pr.becomeSnapshot(snap.meta.lastIndex);
    this.snapshotWait.set(to, 0);
  }

  /** Raises the commit index to the quorum match index if that entry is from the current term (§5.4.2). */
  private maybeCommit(): boolean {
    const voters = voterIds(this.config);
    if (voters.length === 0) return false;
    const matches = voters.map((v) => (v === this.id ? this.log.stabled : (this.progress.get(v)?.match ?? 0)));
    matches.sort((a, b) => b - a);
    const q = matches[quorumSize(voters.length) - 1]!;
    if (q <= this.log.committed || (this.log.term(q) !== this.term && !this.unsafeCommitOlderTerms)) return false;
    this.log.commitTo(q);
    this.afterCommit();
    return true;
  }

  private afterCommit(): void {
    if (this.role !== 'leader' || !this.committedInCurrentTerm()) return;
    if (this.readsAwaitingCommit.length > 0) {
      const ids = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const id of ids) this.startRead(id);
    }
    // a leader removed by a committed configuration steps down
    if (this.configurationIndex() <= this.log.committed && !isVoter(this.config, this.id)) {
      this.bcastAppend();
      this.becomeFollower(this.term, '');
    }
  }

  private startRead(id: string): void {
    if (quorumSize(voterIds(this.config).length) <= 1) {
      this.readStates.push({ id, index: this.log.committed });
      return;
    }
    this.readOnly.add(id, this.log.committed, this.id);
    this.bcastHeartbeat(id);
  }

  private stepLeader(m: RaftMessage): void {
    switch (m.type) {
      case 'appendResp':
        this.onAppendResponse(m);
        return;
      case 'heartbeatResp':
        this.onHeartbeatResponse(m);
        return;
      default:
        return; // stale votes, or messages a leader of this term cannot receive
    }
  }

  private onAppendResponse(m: AppendResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.hintIndex;
      if (m.hintTerm > 0) nextProbe = this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
      if (pr.maybeDecrease(m.index, nextProbe)) this.sendAppend(m.from, true);
      return;
    }
    const wasPaused = pr.isPaused();
    if (pr.maybeUpdate(m.index) || pr.state === 'snapshot') {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
        this.snapshotWait.delete(m.from);
        pr.becomeReplicate();
      }
      if (this.maybeCommit()) {
        this.bcastAppend();
        if (this.role !== 'leader') return;
      } else if (wasPaused) this.sendAppend(m.from, true);
    }
    while (this.sendAppend(m.from, false)) {
      // keep the pipeline full
    }
    if (m.from === this.leadTransferee && pr.match >= this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private onHeartbeatResponse(m: HeartbeatResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (m.context) {
      const voters = new Set(voterIds(this.config));
      const q = quorumSize(voters.size);
      const done = this.readOnly.ack(m.context, m.from, (acks) => {
        let n = 0;
        for (const a of acks) if (voters.has(a)) n++;
        return n >= q;
      });
      this.readStates.push(...done);
    }
  }

  // ---------------------------------------------------------------- candidate / follower

  private stepCandidate(m: RaftMessage): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        if ((m.type === 'preVoteResp') !== (this.role === 'preCandidate')) return;
        if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
        const r = this.tally();
        if (r === 'won') {
          if (this.role === 'preCandidate') this.runCampaign(false);
          else this.becomeLeader();
        } else if (r === 'lost') {
          this.becomeFollower(this.term, '');
        }
        return;
      }
      default:
        return;
    }
  }

  private stepFollower(m: RaftMessage): void {
    switch (m.type) {
      case 'timeoutNow':
        if (m.from === this.lead) this.campaignForTransfer();
        return;
      case 'append':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      default:
        return;
    }
  }

  private handleAppend(m: AppendRequest): void {
    const reply = (reject: boolean, index: number, hintIndex = 0, hintTerm = 0): void =>
      this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject, index, hintIndex, hintTerm });
    if (m.prevIndex < this.log.committed) {
      reply(false, this.log.committed);
      return;
    }
    if (this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      const hadConfigAfter = this.configIndexes.length;
      const lastNew = this.log.appendFromLeader(m.prevIndex, m.entries);
      this.afterLogChange(hadConfigAfter, m.entries);
      this.log.commitTo(Math.min(m.commit, lastNew));
      reply(false, lastNew);
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.prevIndex, this.log.lastIndex()), m.prevTerm);
    reply(true, m.prevIndex, hint.index, hint.term);
  }

  /** Keeps configIndexes/config in step with the log after a follower append (possibly truncating). */
  private afterLogChange(_before: number, appended: LogEntry[]): void {
    const last = this.log.lastIndex();
    while (this.configIndexes.length > 0 && this.configIndexes[this.configIndexes.length - 1]! > last) this.configIndexes.pop();
    // drop indexes whose entry was replaced by a non-configuration entry
    this.configIndexes = this.configIndexes.filter((i) => this.log.entry(i)?.type === LogEntryType.Configuration);
    const known = new Set(this.configIndexes);
    for (const e of appended) {
      if (e.type === LogEntryType.Configuration && !known.has(e.index) && this.log.entry(e.index) === e) {
        this.configIndexes.push(e.index);
      }
    }
    this.configIndexes.sort((a, b) => a - b);
    this.refreshConfig();
  }

  private handleHeartbeat(m: HeartbeatRequest): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  private handleSnapshot(m: SnapshotRequest): void {
    const meta = m.snapshot.meta;
    const reply = (index: number): void =>
      this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject: false, index, hintIndex: 0, hintTerm: 0 });
    if (meta.lastIndex <= this.log.committed) {
      reply(this.log.committed);
      return;
    }
    if (this.log.matchTerm(meta.lastIndex, meta.lastTerm)) {
      this.log.commitTo(meta.lastIndex);
      reply(meta.lastIndex);
      return;
    }
    this.log.resetTo(meta.lastIndex, meta.lastTerm);
    this.baseConfig = decodeConfiguration(meta.configuration);
    this.configIndexes = [];
    this.refreshConfig();
    this.latestSnapshot = m.snapshot;
    this.pendingInstall = m.snapshot;
    reply(meta.lastIndex);
  }

  private refreshConfig(): void {
    const ci = this.configIndexes[this.configIndexes.length - 1];
    const entry = ci !== undefined ? this.log.entry(ci)! : undefined;
    // Every follower append lands here: decode only when the newest configuration entry changed.
    if (entry === undefined) this.config = this.baseConfig;
    else if (entry !== this.configEntry) this.config = decodeConfiguration(entry.data);
    this.configEntry = entry;
    this.syncProgress();
  }

  private send(m: RaftMessage): void {
    this.msgs.push(m);
  }
}
