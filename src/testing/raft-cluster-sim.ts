import type { RaftPeer } from '../consensus/raft-api.js';
import { RaftServer } from '../consensus/raft-server.js';
import type { RaftServerOptions } from '../consensus/raft-server-options.js';
import type { MemoryNetworkOptions } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import { isSextantError } from '../../contracts/errors.js';
import { ListStateMachine, listCommand } from './list-state-machine.js';
import { RaftInvariantChecker } from './raft-invariant-checker.js';
import { SeededRandom } from './seeded-random.js';
import { SimCluster } from './sim-cluster.js';
import { SimStorage } from './sim-storage.js';

/** Options of a simulated cluster. */
export interface RaftClusterSimOptions {
  seed: number;
  /** Number of servers (ids n1..nN), all bootstrapped as voters. */
  nodes: number;
  /** Raft tunables; defaults are scaled down for simulation (election 100 ms, heartbeat 20 ms). */
  raft?: RaftServerOptions;
  /** Simulated fsync latency in ms. Default 1. */
  storageLatencyMs?: number;
  /** Network faults; default delay 1..5 ms, no drops. */
  network?: MemoryNetworkOptions;
}

/** One simulated server and its incarnation. */
export interface SimNode {
  id: string;
  storage: SimStorage;
  sm: ListStateMachine;
  transport: MemoryTransport;
  server: RaftServer;
  incarnation: number;
  alive: boolean;
  crashing: boolean;
}

/** A client write and what happened to it. */
export interface SimWrite {
  value: string;
  status: 'pending' | 'ok' | 'failed';
  error?: string;
}

/**
 * A deterministic Raft cluster on one ManualClock and one seed (a SimCluster): N RaftServers over a
 * MemoryNetwork and crashable SimStorage, with ListStateMachines. Every clock step is followed
 * by draining promise jobs and checking the safety invariants (RaftInvariantChecker); faults
 * (partition/heal, drop, delay, crash-restart losing un-fsynced writes) are injected by the
 * test or by `randomFaults`. The same seed replays the same run (see traceHash()).
 */
export class RaftClusterSim extends SimCluster {
  readonly checker = new RaftInvariantChecker();
  readonly nodes = new Map<string, SimNode>();
  readonly ids: string[];
  readonly writes: SimWrite[] = [];
  private readonly raft: RaftServerOptions;
  private readonly storageLatencyMs: number;
  private lastDigest = '';
  private writeSeq = 0;

  constructor(readonly opts: RaftClusterSimOptions) {
    super(opts.seed, opts.network);
    this.raft = { electionMs: 100, heartbeatMs: 20, snapshotThreshold: 8192, trailingLogs: 64, ...opts.raft };
    this.storageLatencyMs = opts.storageLatencyMs ?? 1;
    this.ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  }

  /** The bootstrap configuration: every node a voter, address = id. */
  peers(): RaftPeer[] {
    return this.ids.map((id) => ({ id, address: id, voter: true }));
  }

  /** Creates and starts every server. */
  async start(): Promise<void> {
    const boots = this.ids.map((id) => this.boot(id, new SimStorage(this.clock, this.storageLatencyMs), 0));
    await this.await(Promise.all(boots));
  }

  protected async boot(id: string, storage: SimStorage, incarnation: number): Promise<void> {
    const sm = new ListStateMachine();
    const key = `${id}#${incarnation}`;
    sm.onApply = (index, value) => this.checker.observeApply(key, index, value);
    sm.onRestore = (index, items) => this.checker.observeRestore(key, index, items);
    const transport = new MemoryTransport(this.network, id);
    await transport.start();
    const server = new RaftServer({
      id,
      address: id,
      bootstrap: this.peers(),
      storage,
      stateMachine: sm,
      transport,
      clock: this.clock,
      random: new SeededRandom((this.opts.seed * 7919 + this.ids.indexOf(id) * 104729 + incarnation) >>> 0),
      logger: this.logger.child(id),
      options: this.raft,
    });
    const node: SimNode = { id, storage, sm, transport, server, incarnation, alive: false, crashing: false };
    this.nodes.set(id, node);
    server.onLeadershipChange((l) => this.trace(`${key} leader=${l}`));
    await server.start();
    node.alive = true;
  }

  /** The live leader with the highest term, if any (only among `among` when given). */
  leader(among?: readonly string[]): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (!n.alive || !n.server.isLeader() || (among && !among.includes(n.id))) continue;
      if (!best || n.server.stats().term > best.server.stats().term) best = n;
    }
    return best;
  }

  /** Live nodes. */
  live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive);
  }

  /** Proposes a unique command through `via` (default: the current leader); tracks the outcome. */
  propose(via?: string): SimWrite {
    const w: SimWrite = { value: `c${++this.writeSeq}`, status: 'pending' };
    this.writes.push(w);
    const n = via ? this.nodes.get(via) : this.leader();
    if (!n || !n.alive) {
      w.status = 'failed';
      w.error = 'NO_LEADER';
      return w;
    }
    n.server.propose(listCommand(w.value)).then(
      () => {
        w.status = 'ok';
      },
      (e: unknown) => {
        w.status = 'failed';
        w.error = isSextantError(e) ? e.code : String(e);
      },
    );
    return w;
  }

  /** The current leader's id, if any. */
  leaderId(): string | undefined {
    return this.leader()?.id;
  }

  /** See SimCluster.server. */
  protected server(id: string): SimNode {
    return this.nodes.get(id)!;
  }

  /**
   * Injects random faults for `ms` of simulated time while a client writes: every `everyMs`
   * one of partition / heal / crash (a minority at most) / restart / drop rate / delay change.
   */
  async randomFaults(ms: number, everyMs = 150): Promise<void> {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      await this.randomFault();
      const writes = this.random.int(4);
      for (let i = 0; i < writes; i++) this.propose();
      await this.runFor(everyMs);
    }
  }

  /** Heals everything, restarts crashed servers and runs until all agree on commit and applied. */
  async settle(maxMs = 10_000): Promise<boolean> {
    this.heal();
    this.network.setDelay(1, 5);
    for (const id of this.ids) if (!this.nodes.get(id)!.alive) await this.restart(id);
    let w = this.propose(); // a fresh entry the current leader must commit
    return this.runUntil(() => {
      const l = this.leader();
      if (!l || w.status === 'pending') return false;
      if (w.status === 'failed') {
        w = this.propose();
        return false;
      }
      const c = l.server.stats().commitIndex;
      return this.live().every((n) => n.server.stats().commitIndex === c && n.server.stats().appliedIndex === c);
    }, maxMs);
  }

  /** Checks invariants now (also called after every step). */
  override check(): void {
    for (const n of this.nodes.values()) {
      const f = n.server.failure();
      if (f && !n.crashing) {
        this.checker.violations.push(`${n.id}#${n.incarnation} stopped: ${f.message}`);
        n.crashing = true;
      }
      if (!n.alive) continue;
      const core = n.server.core();
      if (core) this.checker.observeNode(`${n.id}#${n.incarnation}`, core);
    }
    const digest = this.live()
      .map((n) => {
        const s = n.server.stats();
        return `${n.id}:${s.term}:${s.role}:${s.commitIndex}:${s.appliedIndex}`;
      })
      .join(' ');
    if (digest !== this.lastDigest) {
      this.lastDigest = digest;
      this.trace(`${this.clock.now()} ${digest}`);
    }
    if (this.steps % 200 === 0) this.checkLogMatching();
  }

  /** Full Log Matching check across live servers. */
  checkLogMatching(): void {
    const cores = this.live().flatMap((n) => {
      const c = n.server.core();
      return c ? [{ key: `${n.id}#${n.incarnation}`, core: c }] : [];
    });
    this.checker.checkLogMatching(cores);
  }

  /**
   * End-of-run checks: Log Matching, every acknowledged write committed and applied exactly
   * where it was committed, every live state machine a prefix of the committed command sequence.
   */
  finalCheck(): string[] {
    this.checkLogMatching();
    const ref = this.checker.commandsUpTo(Infinity);
    const refSet = new Set(ref);
    for (const w of this.writes) {
      if (w.status === 'ok' && !refSet.has(w.value)) this.checker.violations.push(`acknowledged write ${w.value} was lost`);
    }
    if (new Set(ref).size !== ref.length) this.checker.violations.push('a command was applied at two indexes');
    for (const n of this.live()) {
      const items = n.sm.items;
      const prefix = this.checker.commandsUpTo(n.sm.lastApplied());
      if (items.length !== prefix.length || items.some((v, i) => v !== prefix[i])) {
        this.checker.violations.push(`${n.id}: state machine is not the committed command prefix`);
      }
    }
    return this.checker.violations;
  }

  /** Stops every server. */
  async stop(): Promise<void> {
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      n.alive = false;
      n.crashing = true;
      await n.transport.close();
      await this.await(n.server.stop());
    }
  }

  /** Counts of acknowledged / failed / pending writes. */
  writeStats(): { ok: number; failed: number; pending: number } {
    const s = { ok: 0, failed: 0, pending: 0 };
    for (const w of this.writes) s[w.status]++;
    return s;
  }

}
