import type { Clock, Logger, Random, TimerHandle } from '../../contracts/platform.js';
import type { LogEntry, RaftStorage, Snapshot } from '../../contracts/ports/log-store.js';
import { LogEntryType } from '../../contracts/ports/log-store.js';
import type { StateMachine } from '../../contracts/ports/state-machine.js';
import { StreamProtocol, type StreamTransport } from '../../contracts/ports/transport.js';
import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { RaftApi, RaftPeer } from './raft-api.js';
import { encodeConfiguration } from './raft-configuration.js';
import type { RaftMessage } from './raft-message.js';
import { RAFT_FRAME_TAG, decodeRaftMessage, encodeRaftMessage } from './raft-message-codec.js';
import { RaftNode } from './raft-node.js';
import type { Ready } from './raft-ready.js';
import { resolveRaftTiming, type RaftServerOptions, type ResolvedRaftTiming } from './raft-server-options.js';

/** What a RaftServer is built from. */
export interface RaftServerDeps {
  /** This server's stable id (the node id). */
  id: string;
  /** This server's transport address (as peers reach it). */
  address: string;
  /**
   * The initial configuration, used only when storage is empty (first start): it is written as
   * a Configuration entry at index 1, term 1. A dev agent passes `[{id, address, voter: true}]`.
   * Leave undefined for a server that joins an existing cluster.
   */
  bootstrap?: RaftPeer[];
  /** Durable log, hard state and snapshots. Owned by the caller (not closed by stop()). */
  storage: RaftStorage;
  /** The replicated state. Owned by the caller. */
  stateMachine: StateMachine;
  /** Carries Raft frames (stream protocol Raft). Owned and started by the caller; start() registers the Raft handler, stop() removes it. */
  transport: Pick<StreamTransport, 'handle' | 'send'>;
  clock: Clock;
  random: Random;
  logger: Logger;
  options?: RaftServerOptions;
}

/** A RaftServer's counters, as stats() reports them. */
export interface RaftServerStats {
  term: number;
  role: string;
  /** True once stop() ran or a fatal error stopped the server. */
  stopped: boolean;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  lastTerm: number;
  firstIndex: number;
  snapshotIndex: number;
  snapshotTerm: number;
  /** Index of the latest configuration entry (or the compaction point when it predates the log). */
  configurationIndex: number;
  /** Milliseconds since the leader was last heard from: 0 when leading, undefined when never heard from. */
  lastContactMs: number | undefined;
}

interface PendingProposal {
  term: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Waiter {
  index: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Longest pause between two chunks of a paced log compaction (see compactLog), so that a stop
 * waits at most this long for the compaction to notice it. */
const MAX_COMPACTION_GAP_MS = 250;

/**
 * The Raft driver: owns a RaftNode and does its I/O in etcd's order — persist entries and
 * hard state (one storeLogs call per Ready), send messages, apply committed entries to the
 * StateMachine (resolving proposals with apply()'s result), advance. Ticks on the Clock.
 * Proposals made while a write is in flight (or in the same turn) are group-committed.
 */
export class RaftServer implements RaftApi {
  private readonly id: string;
  private readonly address: string;
  private readonly deps: RaftServerDeps;
  private readonly timing: ResolvedRaftTiming;
  private readonly log: Logger;
  private readonly parallelLeaderWrite: boolean;
  private readonly batchReadIndex: boolean;
  private node: RaftNode | undefined;
  private ticker: TimerHandle | undefined;
  /** Removes the Raft protocol handler from the transport (set by start). */
  private unhandle: (() => void) | undefined;
  private started = false;
  private stopped = false;
  private fatal: Error | undefined;
  private scheduled = false;
  private running: Promise<void> | undefined;
  /** A leader's Ready whose log write the loop awaits (see applyWhileWriting). */
  private writing: Ready | undefined;
  private applied = 0;
  private snapshotIndex = 0;
  /** The snapshot being encoded, saved and compacted behind, if any (one at a time). */
  private snapshotTask: Promise<void> | undefined;
  /** A saved snapshot whose in-memory compaction waits for the loop to be between Ready cycles. */
  private pendingCompaction: { snapshot: Snapshot; compactTo: number } | undefined;
  /** When the snapshot threshold is next checked (with snapshotIntervalMs), in Clock ms. */
  private nextSnapshotCheck: number | undefined;
  /** The storage part (save, compaction) of the snapshot in progress, while it runs. */
  private snapshotIo: Promise<void> | undefined;
  /** Set to end the paced compaction early: an installed snapshot replaces the whole log. */
  private compactionCancelled = false;
  private isLeaderNow = false;
  private termStartIndex = Infinity;
  private lastLeaderContact: number | undefined;
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly applyWaiters: Waiter[] = [];
  private readonly leaderWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly learnedAddresses = new Map<string, string>();
  /** When a Raft message from each server last arrived (clock ms). */
  private readonly peerHeard = new Map<string, number>();
  private readonly listeners = new Set<(isLeader: boolean) => void>();
  private readonly leaderListeners = new Set<() => void>();
  /** The leader id last reported to leaderListeners. */
  private reportedLeader = '';
  /** While leading: when each voter last answered an append or heartbeat of this term (Clock ms). */
  private readonly peerContact = new Map<string, number>();
  private readSeq = 0;
  /** Consistent reads waiting for the next ReadIndex round. */
  private readonly readQueue: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** True while a ReadIndex round is in flight (see startReadRound). */
  private readRound = false;
  /** Commit-only appends held for commitTimeoutMs, by follower id (see holdCommitNotices). */
  private readonly commitNotices = new Map<string, RaftMessage>();
  private commitTimer: TimerHandle | undefined;
  /** True while bootstrapCluster swaps the core: frames and the loop wait. */
  private bootstrapping = false;

  /** Creates a stopped server; call start(). */
  constructor(deps: RaftServerDeps) {
    this.deps = deps;
    this.id = deps.id;
    this.address = deps.address;
    this.timing = resolveRaftTiming(deps.options);
    this.parallelLeaderWrite = deps.options?.parallelLeaderWrite ?? true;
    this.batchReadIndex = deps.options?.batchReadIndex ?? true;
    this.log = deps.logger.child('raft');
  }

  // ---------------------------------------------------------------- lifecycle

  /** Restores snapshot, hard state and log tail (bootstrapping empty storage from `bootstrap`),
   * installs the transport handler and starts ticking. A sole voter campaigns at once. */
  async start(): Promise<void> {
    if (this.started) throw new SextantError(ErrorCode.Internal, 'raft server already started');
    this.started = true;
    const { storage, stateMachine: sm } = this.deps;
    const snap = await storage.snapshots.latestSnapshot();
    let hard = await storage.stable.getHardState();
    const first = await storage.log.firstIndex();
    const last = await storage.log.lastIndex();
    let entries: LogEntry[] = [];
    if (!snap && hard.currentTerm === 0 && last === 0 && this.deps.bootstrap && this.deps.bootstrap.length > 0) {
      const entry: LogEntry = {
        index: 1,
        term: 1,
        type: LogEntryType.Configuration,
        data: encodeConfiguration({ servers: this.deps.bootstrap }),
      };
      await storage.log.storeLogs([entry]);
      hard = { currentTerm: 1, votedFor: '' };
      await storage.stable.setHardState(hard);
      entries = [entry];
      this.log.info('bootstrapped raft configuration', { servers: this.deps.bootstrap.map((s) => s.id).join(',') });
    } else if (last > 0) {
      entries = await this.loadTail(snap, first, last);
    }
    if (snap) {
      if (sm.lastApplied() < snap.meta.lastIndex) sm.restore(snap.data, snap.meta.lastIndex);
      this.snapshotIndex = snap.meta.lastIndex;
      this.log.info('restored state from snapshot', { index: snap.meta.lastIndex, term: snap.meta.lastTerm });
    }
    const lastLogIndex = entries.length > 0 ? entries[entries.length - 1]!.index : (snap?.meta.lastIndex ?? 0);
    this.applied = Math.min(sm.lastApplied(), lastLogIndex);
    if (snap) this.applied = Math.max(this.applied, snap.meta.lastIndex);
    this.node = this.createNode(hard, snap, entries);
    this.unhandle = this.deps.transport.handle(StreamProtocol.Raft, { onMessage: (from, frame) => this.handleFrame(from, frame) });
    this.ticker = this.deps.clock.setInterval(() => this.onTick(), this.timing.tickMs);
    if (this.node.isSingleVoter()) this.node.campaign();
    this.log.debug('raft server started', { term: hard.currentTerm, lastIndex: lastLogIndex, applied: this.applied });
    this.kick();
  }

  /** Stops ticking, fails pending proposals and reads with SHUTDOWN, and waits for the in-flight
   * storage write. Does not close storage or transport. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) {
      await this.running;
      return;
    }
    this.stopped = true;
    this.ticker?.cancel();
    this.dropCommitNotices();
    this.unhandle?.();
    this.unhandle = undefined;
    this.failAll(() => new SextantError(ErrorCode.Shutdown, 'raft server is shutting down'));
    await this.running;
    // A snapshot still being encoded is dropped (it never touches storage after stop); one being
    // written is waited for, its compaction cut short.
    await this.snapshotIo?.catch(() => undefined);
    if (this.isLeaderNow) this.setLeader(false);
  }

  /** The error that stopped this server (storage failure, state machine throw, internal bug), if any. */
  failure(): Error | undefined {
    return this.fatal;
  }

  // ---------------------------------------------------------------- RaftApi

  /** See RaftApi.propose. */
  propose(data: Uint8Array): Promise<unknown> {
    const node = this.node;
    if (this.stopped || !node) return Promise.reject(this.notRunning());
    let pos: { index: number; term: number };
    try {
      pos = node.propose(data);
    } catch (e) {
      return Promise.reject(this.withLeaderAddress(e));
    }
    const p = new Promise<unknown>((resolve, reject) => {
      this.proposals.set(pos.index, { term: pos.term, resolve, reject });
    });
    this.kick();
    return p;
  }

  /** See RaftApi.readBarrier. 'default' also waits (briefly) until a new leader has applied its
   * term's first entry, so it never serves state older than what it committed as leader; without
   * the lease it takes the 'consistent' path (Consul's VerifyLeader). */
  readBarrier(mode: 'default' | 'consistent'): Promise<void> {
    const node = this.node;
    if (this.stopped || !node) return Promise.reject(this.notRunning());
    if (node.currentRole() !== 'leader') return Promise.reject(this.notLeaderError());
    if (mode === 'default' && this.leaseHeld()) {
      if (this.applied >= this.termStartIndex) return Promise.resolve();
      return new Promise((resolve, reject) => this.leaderWaiters.push({ resolve, reject }));
    }
    const p = new Promise<void>((resolve, reject) => this.readQueue.push({ resolve, reject }));
    this.startReadRound();
    return p;
  }

  /**
   * Batches ReadIndex requests as etcd's linearizableReadLoop does: at most one round (one
   * heartbeat broadcast and quorum ack) is in flight; reads that arrive meanwhile wait for the
   * next round, whose read index is recorded after they arrived, so each is still linearizable.
   */
  private startReadRound(): void {
    const node = this.node;
    if ((this.readRound && this.batchReadIndex) || this.readQueue.length === 0 || !node || this.stopped) return;
    const group = this.readQueue.splice(0);
    const id = `${this.id}/${++this.readSeq}`;
    this.reads.set(id, {
      resolve: () => {
        for (const g of group) g.resolve();
      },
      reject: (e) => {
        for (const g of group) g.reject(e);
      },
    });
    try {
      node.readIndex(id);
    } catch (e) {
      this.reads.delete(id);
      const err = this.withLeaderAddress(e);
      for (const g of group) g.reject(err);
      return;
    }
    this.readRound = true;
    this.kick();
  }

  /** See RaftApi.isLeader. */
  isLeader(): boolean {
    return this.node?.currentRole() === 'leader' && !this.stopped;
  }

  /** See RaftApi.leader. */
  leader(): RaftPeer | undefined {
    const lead = this.node?.leaderId();
    if (!lead || this.stopped) return undefined;
    return this.peer(lead);
  }

  /** See RaftApi.lastContactMs: 0 when leading or when no leader was ever heard from. */
  lastContactMs(): number {
    if (this.isLeader() || this.lastLeaderContact === undefined) return 0;
    return Math.max(0, this.deps.clock.now() - this.lastLeaderContact);
  }

  /** See RaftApi.configuration. */
  configuration(): RaftPeer[] {
    return (this.node?.configuration().servers ?? []).map((s) => ({ ...s }));
  }

  /** See RaftApi.onLeaderChange. */
  onLeaderChange(fn: () => void): () => void {
    this.leaderListeners.add(fn);
    return () => this.leaderListeners.delete(fn);
  }

  /**
   * hashicorp's leader lease: true while this server leads and a quorum of voters (itself
   * included) answered an append or heartbeat of its term within the lease, measured on the
   * Clock, and no leadership transfer is under way. A leader that was paused (SIGSTOP) or cut off
   * loses it however few ticks it ran.
   */
  leaseHeld(): boolean {
    const node = this.node;
    if (!node || this.stopped || node.currentRole() !== 'leader') return false;
    // TimeoutNow lets the target win votes that ignore leases: no lease while a transfer runs.
    if (node.transferTarget() !== undefined) return false;
    const voters = node.configuration().servers.filter((s) => s.voter);
    const quorum = Math.floor(voters.length / 2) + 1;
    const now = this.deps.clock.now();
    let fresh = 0;
    for (const v of voters) {
      if (v.id === this.id) fresh++;
      else if (now - (this.peerContact.get(v.id) ?? -Infinity) < this.timing.leaseMs) fresh++;
    }
    return fresh >= quorum;
  }

  /** See RaftApi.onLeadershipChange. */
  onLeadershipChange(fn: (isLeader: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---------------------------------------------------------------- extras

  /** Proposes a new configuration (single-server change) and resolves once it is applied. */
  changeConfiguration(servers: RaftPeer[]): Promise<void> {
    const node = this.node;
    if (this.stopped || !node) return Promise.reject(this.notRunning());
    let pos: { index: number; term: number };
    try {
      pos = node.proposeConfiguration({ servers });
    } catch (e) {
      return Promise.reject(this.withLeaderAddress(e));
    }
    const p = new Promise<void>((resolve, reject) => {
      this.proposals.set(pos.index, { term: pos.term, resolve: () => resolve(), reject });
    });
    this.kick();
    return p;
  }

  /**
   * hashicorp/raft's BootstrapCluster on a running server: writes `servers` as the first
   * configuration (index 1, term 1) and restarts the core from it. Refuses with CANT_BOOTSTRAP when
   * this server already has Raft state (a log, a term or a snapshot), so a bootstrap never
   * overwrites a cluster it belongs to; SHUTDOWN when not running.
   */
  async bootstrapCluster(servers: RaftPeer[]): Promise<void> {
    if (this.stopped || !this.node) throw this.notRunning();
    if (servers.length === 0) throw new SextantError(ErrorCode.BadRequest, 'a bootstrap configuration needs at least one server');
    this.bootstrapping = true;
    try {
      await this.running;
      if (this.stopped) throw this.notRunning();
      if (this.hasState()) throw new SextantError(ErrorCode.CantBootstrap, 'bootstrap only works on new clusters: this server already has raft state');
      const entry: LogEntry = { index: 1, term: 1, type: LogEntryType.Configuration, data: encodeConfiguration({ servers }) };
      await this.deps.storage.log.storeLogs([entry]);
      const hard = { currentTerm: 1, votedFor: '' };
      await this.deps.storage.stable.setHardState(hard);
      this.node = this.createNode(hard, undefined, [entry]);
      this.log.info('bootstrapped raft configuration', { servers: servers.map((x) => x.id).join(',') });
      if (this.node.isSingleVoter()) this.node.campaign();
    } finally {
      this.bootstrapping = false;
    }
    this.kick();
  }

  /**
   * hashicorp/raft's LeadershipTransfer(WithID): hands leadership to voter `id` (or the most
   * up-to-date voter) with TimeoutNow, and resolves with the new leader's id once this server is
   * no longer leader. Rejects with NOT_LEADER on a follower, BAD_REQUEST for a bad target (or a
   * transfer already in progress), and TIMEOUT when leadership has not moved within two election
   * timeouts (this server then keeps leading and accepts proposals again).
   */
  transferLeadership(id?: string): Promise<string> {
    const node = this.node;
    if (this.stopped || !node) return Promise.reject(this.notRunning());
    let target: string;
    try {
      target = node.transferLeadership(id);
    } catch (e) {
      return Promise.reject(this.withLeaderAddress(e));
    }
    this.log.info('starting leadership transfer', { id: target });
    this.peerContact.clear(); // the lease restarts from acks that come after the transfer began
    const p = new Promise<string>((resolve, reject) => {
      const timer = this.deps.clock.setTimeout(() => {
        off();
        reject(new SextantError(ErrorCode.Timeout, `leadership transfer to ${target} timed out`));
      }, 2 * this.timing.electionTicks * this.timing.tickMs);
      const off = this.onLeadershipChange((leading) => {
        if (leading) return;
        timer.cancel();
        off();
        resolve(this.node?.leaderId() || target);
      });
    });
    this.kick();
    return p;
  }

  /** True when this server has any Raft state: a term, a log entry or a snapshot. */
  hasState(): boolean {
    const n = this.node;
    if (!n) return false;
    return n.currentTerm() > 0 || n.lastIndex() > 0 || n.snapshot() !== undefined;
  }

  /** See RaftApi.addVoter. */
  addVoter(id: string, address: string): Promise<void> {
    return this.changeServer((servers) => [...servers.filter((s) => s.id !== id), { id, address, voter: true }]);
  }

  /** See RaftApi.addNonvoter. */
  addNonvoter(id: string, address: string): Promise<void> {
    return this.changeServer((servers) => {
      const existing = servers.find((s) => s.id === id);
      return [...servers.filter((s) => s.id !== id), { id, address, voter: existing?.voter ?? false }];
    });
  }

  /** See RaftApi.removeServer. */
  removeServer(id: string): Promise<void> {
    return this.changeServer((servers) => {
      if (!servers.some((s) => s.id === id)) throw new SextantError(ErrorCode.NotFound, `no raft server with id ${id} in the configuration`);
      return servers.filter((s) => s.id !== id);
    });
  }

  private changeServer(next: (servers: RaftPeer[]) => RaftPeer[]): Promise<void> {
    if (this.stopped || !this.node) return Promise.reject(this.notRunning());
    if (!this.isLeader()) return Promise.reject(this.notLeaderError());
    let servers: RaftPeer[];
    try {
      servers = next(this.configuration());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return this.changeConfiguration(servers);
  }

  /** Internal state for tests and status endpoints (/v1/agent/self Stats.raft). */
  stats(): RaftServerStats {
    const n = this.node;
    const leading = this.isLeader();
    return {
      term: n?.currentTerm() ?? 0,
      role: n?.currentRole() ?? 'follower',
      stopped: this.stopped,
      commitIndex: n?.commitIndex() ?? 0,
      appliedIndex: this.applied,
      lastIndex: n?.lastIndex() ?? 0,
      lastTerm: n?.lastTerm() ?? 0,
      firstIndex: n?.firstIndex() ?? 0,
      snapshotIndex: this.snapshotIndex,
      snapshotTerm: n?.snapshot()?.meta.lastTerm ?? 0,
      configurationIndex: n?.configurationIndex() ?? 0,
      lastContactMs: leading ? 0 : this.lastLeaderContact === undefined ? undefined : Math.max(0, this.deps.clock.now() - this.lastLeaderContact),
    };
  }

  /**
   * Milliseconds since a Raft message from server `id` last arrived here (on a leader: its
   * replies to appends and heartbeats; autopilot's LastContact), undefined when none ever did.
   */
  peerLastContactMs(id: string): number | undefined {
    const at = this.peerHeard.get(id);
    return at === undefined ? undefined : Math.max(0, this.deps.clock.now() - at);
  }

  /** The leader's heartbeat interval in ms (100 × raft_multiplier by default). */
  heartbeatIntervalMs(): number {
    return this.timing.tickMs * this.timing.heartbeatTicks;
  }

  /** The pure core (read-only use in tests and invariant checkers). */
  core(): RaftNode | undefined {
    return this.node;
  }

  /** Feeds one frame received from `from` (for callers that multiplex a shared transport).
   * Frames that are not Raft frames, malformed, or addressed to another id are dropped. */
  handleFrame(from: string, frame: Uint8Array): void {
    const node = this.node;
    if (!node || this.stopped || this.bootstrapping || frame[0] !== RAFT_FRAME_TAG) return;
    let m: RaftMessage;
    try {
      m = decodeRaftMessage(frame);
    } catch (e) {
      this.log.debug('dropping malformed raft frame', { from, error: (e as Error).message });
      return;
    }
    if (m.to !== this.id) return;
    this.learnedAddresses.set(m.from, from);
    this.peerHeard.set(m.from, this.deps.clock.now());
    try {
      node.step(m);
    } catch (e) {
      this.die(e);
      return;
    }
    if ((m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') && node.leaderId() === m.from) {
      this.lastLeaderContact = this.deps.clock.now();
    } else if ((m.type === 'appendResp' || m.type === 'heartbeatResp') && m.term === node.currentTerm() && node.currentRole() === 'leader') {
      this.peerContact.set(m.from, this.deps.clock.now());
    }
    if (m.type === 'appendResp') this.applyWhileWriting();
    this.reportLeader();
    this.kick();
  }

  /**
   * While the loop awaits a leader's own log write, entries the followers' acknowledgements just
   * committed are applied (and their writes answered) at once instead of after that write: with
   * many clients a write's quorum typically forms while the leader writes the next batch. A
   * commit needs a durable quorum, and the leader counts itself only once its write is done, so
   * nothing applied here can be lost. The Ready being written has its committed entries applied
   * first, to keep the order.
   */
  private applyWhileWriting(): void {
    const rd = this.writing;
    if (!rd || !this.node) return;
    const committed = this.node.takeCommitted();
    if (committed.length === 0) return;
    this.applyEntries(rd.committedEntries);
    this.applyEntries(committed);
    this.releaseWaiters();
  }

  // ---------------------------------------------------------------- the loop

  private onTick(): void {
    if (this.stopped || !this.node || this.bootstrapping) return;
    this.node.tick();
    this.kick();
  }

  private kick(): void {
    if (this.stopped || this.scheduled || this.running || this.bootstrapping) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.stopped || this.running || this.bootstrapping) return;
      this.compactPending();
      this.maybeSnapshot();
      this.running = this.loop().finally(() => {
        this.running = undefined;
        if (!this.stopped && this.node?.hasReady()) this.kick();
      });
    });
  }

  private async loop(): Promise<void> {
    const node = this.node!;
    try {
      while (!this.stopped && node.hasReady()) {
        const rd = node.ready();
        // Thesis §10.2.1 (etcd does the same): a leader writes its log in parallel with
        // replicating it. Its own match index counts only once persisted (advance), so a commit
        // still needs a durable quorum. Only with no new term, vote, snapshot or truncation to
        // persist: a leader's term and vote were made durable while it was a candidate.
        const early = this.parallelLeaderWrite && node.currentRole() === 'leader' && !rd.hardState && !rd.snapshot && rd.truncateFrom === undefined;
        if (early) {
          // Appends that only carry a new commit index wait for commitTimeoutMs (holdCommitNotices).
          const now = this.holdCommitNotices(rd.messages);
          // A Ready that only commits (no new entries) answers its clients before the rest of its
          // messages go out: no answer waits for them, and sent first their socket writes sat in
          // front of every sequential write's answer.
          if (rd.entries.length === 0 && rd.committedEntries.length > 0 && !rd.softState) this.sendAfterAnswers(now);
          else this.sendAll(now);
        }
        // Entries committed and already durable here, and confirmed reads, need not wait for
        // this Ready's new entries to reach the disk.
        if (this.parallelLeaderWrite && !rd.softState && !rd.snapshot && rd.truncateFrom === undefined) this.applyDurable(rd);
        this.writing = early ? rd : undefined;
        try {
          await this.persist(rd);
        } finally {
          this.writing = undefined;
        }
        if (this.stopped) return;
        if (!early) this.sendAll(rd.messages);
        this.applyReady(rd);
        node.advance(rd);
        this.compactPending();
        this.maybeSnapshot();
      }
    } catch (e) {
      this.die(e);
    }
  }

  private async persist(rd: Ready): Promise<void> {
    const { log, stable, snapshots } = this.deps.storage;
    if (rd.snapshot) {
      // An installed snapshot must not race with (and be overtaken by) a local one being saved;
      // the compaction behind that one stops, since the whole log is about to go.
      this.compactionCancelled = true;
      await this.snapshotTask;
      this.pendingCompaction = undefined;
      await snapshots.saveSnapshot(rd.snapshot);
      await log.deleteRange(1, Infinity);
    }
    if (rd.truncateFrom !== undefined) await log.deleteRange(rd.truncateFrom, Infinity);
    if (rd.hardState) await stable.setHardState(rd.hardState);
    if (rd.entries.length > 0) await log.storeLogs(rd.entries);
  }

  private sendAll(messages: RaftMessage[]): void {
    for (const m of messages) {
      if (m.type === 'append') this.commitNotices.delete(m.to); // it carries the commit too
      const addr = this.addressOf(m.to);
      if (addr === undefined) {
        this.log.debug('no address for raft peer; dropping message', { to: m.to, type: m.type });
        continue;
      }
      this.deps.transport.send(addr, StreamProtocol.Raft, encodeRaftMessage(m));
    }
  }

  /**
   * hashicorp's CommitTimeout: of a leader's messages, the appends with no entries (they only
   * tell a follower the new commit index) are held for commitTimeoutMs, the newest per follower;
   * any later append to that follower carries the commit and releases its hold (sendAll). Returns
   * the messages to send now. Sequential writes thus tell followers each commit with the next
   * write's append, instead of two more messages and two more answers per write.
   */
  private holdCommitNotices(messages: RaftMessage[]): RaftMessage[] {
    const wait = this.timing.commitTimeoutMs;
    if (wait <= 0) return messages;
    const now: RaftMessage[] = [];
    for (const m of messages) {
      if (m.type === 'append' && m.entries.length === 0) this.commitNotices.set(m.to, m);
      else now.push(m);
    }
    if (this.commitNotices.size > 0) this.commitTimer ??= this.deps.clock.setTimeout(() => this.flushCommitNotices(), wait);
    return now;
  }

  /** Sends the commit-only appends still held (commitTimeoutMs ran out). */
  private flushCommitNotices(): void {
    this.commitTimer = undefined;
    const held = [...this.commitNotices.values()];
    this.commitNotices.clear();
    if (!this.stopped && this.isLeaderNow) this.sendAll(held);
  }

  /** Drops the held commit-only appends (leadership ended or the server stopped). */
  private dropCommitNotices(): void {
    this.commitTimer?.cancel();
    this.commitTimer = undefined;
    this.commitNotices.clear();
  }

  /**
   * Sends `messages` once the answers resolved in this turn are written: after the promise jobs
   * they queue (the HTTP responses) have run. Order among the leader's messages to one follower
   * may change; Raft tolerates that (an append carrying nothing new cannot truncate).
   */
  private sendAfterAnswers(messages: RaftMessage[]): void {
    setImmediate(() => {
      if (!this.stopped) this.sendAll(messages);
    });
  }

  /**
   * Before this Ready's own entries are persisted: applies its committed entries that are
   * already in stable storage (those below its first new entry), and takes its read states.
   * applyReady then skips what was applied here.
   */
  private applyDurable(rd: Ready): void {
    const limit = rd.entries[0]?.index ?? Infinity;
    const durable: LogEntry[] = [];
    for (const e of rd.committedEntries) {
      if (e.index >= limit) break;
      durable.push(e);
    }
    this.applyEntries(durable);
    this.takeReadStates(rd);
    this.releaseWaiters();
  }

  private applyReady(rd: Ready): void {
    const sm = this.deps.stateMachine;
    if (rd.softState) this.onSoftState(rd);
    if (rd.snapshot) {
      sm.restore(rd.snapshot.data, rd.snapshot.meta.lastIndex);
      this.log.info('installed raft snapshot from the leader', { index: rd.snapshot.meta.lastIndex, term: rd.snapshot.meta.lastTerm });
      this.applied = rd.snapshot.meta.lastIndex;
      this.snapshotIndex = rd.snapshot.meta.lastIndex;
    }
    this.applyEntries(rd.committedEntries);
    this.takeReadStates(rd);
    this.releaseWaiters();
  }

  /** Applies committed entries past `applied` in order, resolving their proposals. */
  private applyEntries(entries: readonly LogEntry[]): void {
    const sm = this.deps.stateMachine;
    for (const e of entries) {
      if (e.index <= this.applied) continue;
      let result: unknown;
      if (e.type === LogEntryType.Command && e.index > sm.lastApplied()) {
        result = sm.apply({ index: e.index, term: e.term, data: e.data });
      }
      this.applied = e.index;
      const p = this.proposals.get(e.index);
      if (p) {
        this.proposals.delete(e.index);
        if (p.term === e.term) p.resolve(result);
        else p.reject(new SextantError(ErrorCode.LeadershipLost, 'leadership lost before the entry was committed'));
      }
    }
  }

  /** Turns confirmed ReadIndex rounds into apply waiters, fails lost ones, and starts the next round. */
  private takeReadStates(rd: Ready): void {
    let ended = false;
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.id);
      if (!r) continue;
      this.reads.delete(rs.id);
      this.applyWaiters.push({ index: rs.index, ...r });
      ended = true;
    }
    for (const id of rd.failedReads) {
      const r = this.reads.get(id);
      if (!r) continue;
      this.reads.delete(id);
      r.reject(new SextantError(ErrorCode.LeadershipLost, 'leadership lost before the read was confirmed'));
      ended = true;
    }
    if (ended && (this.reads.size === 0 || !this.batchReadIndex)) {
      this.readRound = false;
      this.startReadRound();
    }
  }

  private onSoftState(rd: Ready): void {
    const s = rd.softState!;
    const leading = s.role === 'leader';
    if (leading !== this.isLeaderNow) this.peerContact.clear();
    if (!leading) this.dropCommitNotices();
    if (leading) {
      const first = rd.entries.find((e) => e.term === s.term);
      this.termStartIndex = first?.index ?? this.node!.lastIndex();
    } else {
      this.termStartIndex = Infinity;
    }
    if (leading !== this.isLeaderNow) {
      if (!leading) {
        const lost = (): Error => new SextantError(ErrorCode.LeadershipLost, 'leadership lost before the entry was committed');
        for (const p of this.proposals.values()) p.reject(lost());
        this.proposals.clear();
        for (const w of this.leaderWaiters.splice(0)) w.reject(lost());
        for (const w of this.applyWaiters.splice(0)) w.reject(lost());
      }
      this.log.info(leading ? 'became raft leader' : 'no longer raft leader', { term: s.term });
      this.setLeader(leading);
    }
    this.reportLeader();
  }

  /** Tells leaderListeners when the known leader changed since they were last told. */
  private reportLeader(): void {
    const lead = this.stopped ? '' : (this.node?.leaderId() ?? '');
    if (lead === this.reportedLeader) return;
    this.reportedLeader = lead;
    for (const fn of [...this.leaderListeners]) {
      try {
        fn();
      } catch (e) {
        this.log.warn('leader listener threw', { error: (e as Error).message });
      }
    }
  }

  private setLeader(leading: boolean): void {
    this.isLeaderNow = leading;
    for (const fn of [...this.listeners]) {
      try {
        fn(leading);
      } catch (e) {
        this.log.warn('leadership listener threw', { error: (e as Error).message });
      }
    }
  }

  private releaseWaiters(): void {
    if (this.applyWaiters.length > 0) {
      const keep: Waiter[] = [];
      for (const w of this.applyWaiters) {
        if (this.applied >= w.index) w.resolve();
        else keep.push(w);
      }
      this.applyWaiters.length = 0;
      this.applyWaiters.push(...keep);
    }
    if (this.leaderWaiters.length > 0 && this.applied >= this.termStartIndex) {
      for (const w of this.leaderWaiters.splice(0)) w.resolve();
    }
  }

  /**
   * Starts a snapshot in the background once `snapshotThreshold` entries were applied since the
   * last one (and none is in progress). Only the capture runs here, on the apply path: the state
   * machine freezes its view at the applied index (StateMachine.snapshot captures at the call),
   * and the encoding, the save and the log compaction then run while entries keep being
   * appended, committed and applied.
   */
  private maybeSnapshot(): void {
    if (this.snapshotTask || this.stopped) return;
    const every = this.timing.snapshotIntervalMs;
    if (every > 0) {
      const now = this.deps.clock.now();
      if (this.nextSnapshotCheck === undefined) this.nextSnapshotCheck = now + every + this.deps.random.int(every + 1);
      if (now < this.nextSnapshotCheck) return;
      this.nextSnapshotCheck = now + every + this.deps.random.int(every + 1);
    }
    if (this.applied - this.snapshotIndex < this.timing.snapshotThreshold) return;
    const node = this.node!;
    const index = this.applied;
    const term = node.termAt(index);
    if (term === undefined) return;
    const configuration = encodeConfiguration(node.configurationAt(index));
    const image = this.deps.stateMachine.snapshot();
    this.compactionCancelled = false;
    this.snapshotTask = this.writeSnapshot(index, term, configuration, image)
      .catch((e: unknown) => this.die(e))
      .finally(() => {
        this.snapshotTask = undefined;
        this.kick();
      });
  }

  /**
   * The background part of a snapshot: waits for the encoded image, saves it, hands the
   * in-memory compaction to the loop (applied between Ready cycles), then deletes the log
   * prefix up to `index - trailingLogs` a chunk at a time (see compactLog). Only entries covered
   * by the snapshot just saved are ever deleted.
   */
  private async writeSnapshot(index: number, term: number, configuration: Uint8Array, image: Promise<Uint8Array>): Promise<void> {
    const started = this.deps.clock.now();
    const data = await image;
    if (this.stopped) return;
    const io = this.saveAndCompact(index, term, configuration, data, started);
    this.snapshotIo = io;
    try {
      await io;
    } finally {
      this.snapshotIo = undefined;
    }
  }

  /** Saves the snapshot, hands its in-memory compaction to the loop and deletes the covered log prefix. */
  private async saveAndCompact(index: number, term: number, configuration: Uint8Array, data: Uint8Array, started: number): Promise<void> {
    const snapshot: Snapshot = { meta: { lastIndex: index, lastTerm: term, configuration }, data };
    await this.deps.storage.snapshots.saveSnapshot(snapshot);
    if (this.stopped) return;
    this.snapshotIndex = Math.max(this.snapshotIndex, index);
    const compactTo = Math.min(index, index - this.timing.trailingLogs);
    this.pendingCompaction = { snapshot, compactTo };
    this.kick();
    this.log.info('snapshot complete', { index, term, bytes: data.length, compactedTo: Math.max(0, compactTo), ms: Math.round(this.deps.clock.now() - started) });
    await this.compactLog(compactTo);
  }

  /**
   * Deletes the log up to `compactTo` a chunk at a time. With a snapshot interval, the chunks are
   * spread over half of it rather than run back to back: a snapshot taken every 30-60 s under
   * load deletes 30-60 s worth of entries, and done in one burst that work (measured: 3.7-7.3 s
   * of SQLite work for 230,000 entries on each of 3 servers) took a third of the cluster's write
   * throughput for its duration. The same work spread out costs each write its share instead.
   * The next snapshot waits for this one's compaction, which ends well within the interval.
   */
  private async compactLog(compactTo: number): Promise<void> {
    const log = this.deps.storage.log;
    const chunk = this.timing.compactionChunk;
    const first = await log.firstIndex();
    const chunks = Math.ceil((compactTo - first + 1) / chunk);
    const gap = chunks > 1 ? Math.min(MAX_COMPACTION_GAP_MS, this.timing.snapshotIntervalMs / 2 / chunks) : 0;
    for (let lo = first; lo >= 1 && lo <= compactTo && !this.stopped && !this.compactionCancelled; lo += chunk) {
      await log.deleteRange(lo, Math.min(compactTo, lo + chunk - 1));
      if (gap >= 1 && lo + chunk <= compactTo) await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, gap));
    }
  }

  /** Drops the in-memory log prefix a saved snapshot covers (between Ready cycles only). */
  private compactPending(): void {
    const p = this.pendingCompaction;
    if (!p || !this.node) return;
    this.pendingCompaction = undefined;
    this.node.compact(p.snapshot, p.compactTo);
  }

  // ---------------------------------------------------------------- helpers

  private async loadTail(snap: Snapshot | undefined, first: number, last: number): Promise<LogEntry[]> {
    const log = this.deps.storage.log;
    if (!snap) {
      if (first !== 1) throw new SextantError(ErrorCode.StorageCorrupt, `raft log starts at ${first} but no snapshot exists`);
      const entries = await log.getLogs(1, last);
      this.checkContiguous(entries, 1, last);
      return entries;
    }
    const si = snap.meta.lastIndex;
    // Keep the tail only if it continues the snapshot (Raft §7: same index and term at lastIndex).
    const at = first <= si ? await log.getLog(si) : undefined;
    const continues = at ? at.term === snap.meta.lastTerm : first === si + 1;
    if (!continues || last <= si) {
      if (last > 0 && !continues) {
        this.log.warn('raft log does not continue the snapshot; discarding it', { snapshotIndex: si, first, last });
        await log.deleteRange(1, Infinity);
      }
      return [];
    }
    const entries = await log.getLogs(si + 1, last);
    this.checkContiguous(entries, si + 1, last);
    return entries;
  }

  private checkContiguous(entries: LogEntry[], lo: number, hi: number): void {
    if (entries.length !== hi - lo + 1 || entries.some((e, i) => e.index !== lo + i)) {
      throw new SextantError(ErrorCode.StorageCorrupt, `raft log has gaps between ${lo} and ${hi}`);
    }
  }

  private notRunning(): SextantError {
    return new SextantError(ErrorCode.Shutdown, this.fatal ? `raft server stopped: ${this.fatal.message}` : 'raft server is not running');
  }

  private createNode(hard: { currentTerm: number; votedFor: string }, snap: Snapshot | undefined, entries: LogEntry[]): RaftNode {
    const o = this.deps.options ?? {};
    return new RaftNode({
      id: this.id,
      electionTicks: this.timing.electionTicks,
      heartbeatTicks: this.timing.heartbeatTicks,
      random: this.deps.random,
      preVote: o.preVote ?? true,
      checkQuorum: o.checkQuorum ?? true,
      maxAppendEntries: this.timing.maxAppendEntries,
      maxInflight: this.timing.maxInflight,
      hardState: hard,
      ...(snap ? { snapshot: snap } : {}),
      entries,
      applied: this.applied,
      ...(o.unsafe ? { unsafe: o.unsafe } : {}),
    });
  }

  private peer(id: string): RaftPeer {
    const s = this.node?.configuration().servers.find((x) => x.id === id);
    if (s) return { ...s };
    return { id, address: id === this.id ? this.address : (this.learnedAddresses.get(id) ?? ''), voter: false };
  }

  private addressOf(id: string): string | undefined {
    const s = this.node?.configuration().servers.find((x) => x.id === id);
    return s?.address ?? this.learnedAddresses.get(id);
  }

  private notLeaderError(): SextantError {
    const lead = this.node?.leaderId() ?? '';
    if (!lead) return new SextantError(ErrorCode.NoLeader, 'no raft leader is known');
    return new SextantError(ErrorCode.NotLeader, 'this server is not the raft leader', { leader: this.peer(lead).address });
  }

  private withLeaderAddress(e: unknown): Error {
    if (isSextantError(e, ErrorCode.NotLeader) || isSextantError(e, ErrorCode.NoLeader)) return this.notLeaderError();
    return e instanceof Error ? e : new Error(String(e));
  }

  private failAll(make: () => Error): void {
    for (const p of this.proposals.values()) p.reject(make());
    this.proposals.clear();
    for (const r of this.reads.values()) r.reject(make());
    this.reads.clear();
    for (const r of this.readQueue.splice(0)) r.reject(make());
    this.readRound = false;
    for (const w of this.applyWaiters.splice(0)) w.reject(make());
    for (const w of this.leaderWaiters.splice(0)) w.reject(make());
  }

  private die(e: unknown): void {
    if (this.stopped) return;
    const err = e instanceof Error ? e : new Error(String(e));
    this.fatal = err;
    this.log.error('raft server stopped on a fatal error', { error: err.message });
    this.stopped = true;
    this.ticker?.cancel();
    this.dropCommitNotices();
    const code = isSextantError(err) && err.code === ErrorCode.StorageFailed ? ErrorCode.StorageFailed : ErrorCode.Shutdown;
    this.failAll(() => new SextantError(code, `raft server stopped: ${err.message}`));
    if (this.isLeaderNow) this.setLeader(false);
  }
}
