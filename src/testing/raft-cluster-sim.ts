import type { RaftPeer } from '../consensus/raft-api.js';
import { RaftServer } from '../consensus/raft-server.js';
import type { RaftServerOptions } from '../consensus/raft-server-options.js';
import { MemoryNetwork, type MemoryNetworkOptions } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import { isSextantError } from '../../contracts/errors.js';
import { ListStateMachine, listCommand } from './list-state-machine.js';
import { ManualClock } from './manual-clock.js';
import { RaftInvariantChecker } from './raft-invariant-checker.js';
import { SeededRandom } from './seeded-random.js';
import { SilentLogger } from './silent-logger.js';
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
 * A deterministic Raft cluster on one ManualClock and one seed: N RaftServers over a
 * MemoryNetwork and crashable SimStorage, with ListStateMachines. Every clock step is followed
 * by draining promise jobs and checking the safety invariants (RaftInvariantChecker); faults
 * (partition/heal, drop, delay, crash-restart losing un-fsynced writes) are injected by the
 * test or by `randomFaults`. The same seed replays the same run (see traceHash()).
 */
export class RaftClusterSim {
  readonly clock = new ManualClock(1_700_000_000_000);
  readonly random: SeededRandom;
  readonly network: MemoryNetwork;
  readonly checker = new RaftInvariantChecker();
  readonly nodes = new Map<string, SimNode>();
  readonly ids: string[];
  readonly writes: SimWrite[] = [];
  readonly logger = new SilentLogger('sim');
  private readonly raft: RaftServerOptions;
  private readonly storageLatencyMs: number;
  private hash = 0x811c9dc5;
  private lastDigest = '';
  private writeSeq = 0;
  private steps = 0;

  constructor(readonly opts: RaftClusterSimOptions) {
    this.random = new SeededRandom(opts.seed);
    this.network = new MemoryNetwork(this.clock, this.random, { minDelayMs: 1, maxDelayMs: 5, ...opts.network });
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

  /** Runs the simulation (timer by timer) until `p` settles, then returns its outcome. */
  async await<T>(p: Promise<T>): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await this.drain();
    while (!done) {
      if (!(await this.step())) {
        this.clock.advance(1);
        await this.drain();
      }
    }
    return p;
  }

  private async boot(id: string, storage: SimStorage, incarnation: number): Promise<void> {
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

  /** Lets every pending promise job run (the simulated servers' I/O continuations). */
  async drain(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** Fires the next timer, drains, checks invariants. Returns false when no timer is pending. */
  async step(): Promise<boolean> {
    const fired = this.clock.step();
    await this.drain();
    this.steps++;
    this.check();
    return fired;
  }

  /** Runs the simulation for `ms` of simulated time. */
  async runFor(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      const due = this.clock.nextDue();
      if (due === undefined || due > end) break;
      await this.step();
    }
    this.clock.advance(Math.max(0, end - this.clock.now()));
    await this.drain();
  }

  /** Runs until `pred` holds (checked after every step) or `maxMs` passes (the clock then stands
   * at the end, as after runFor); returns whether it held. */
  async runUntil(pred: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.clock.now() + maxMs;
    if (pred()) return true;
    for (;;) {
      const due = this.clock.nextDue();
      if (due === undefined || due > end) break;
      await this.step();
      if (pred()) return true;
    }
    this.clock.advance(Math.max(0, end - this.clock.now()));
    await this.drain();
    return pred();
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

  /** Kills a server: un-fsynced writes are lost, its transport goes away. */
  async crash(id: string): Promise<void> {
    const n = this.nodes.get(id)!;
    if (!n.alive) return;
    this.trace(`crash ${id}`);
    n.crashing = true;
    n.alive = false;
    n.storage.crash();
    await n.transport.close();
    await n.server.stop();
    await this.drain();
  }

  /** Restarts a crashed server from its durable storage with a fresh state machine. */
  async restart(id: string): Promise<void> {
    const n = this.nodes.get(id)!;
    if (n.alive) return;
    this.trace(`restart ${id}`);
    await this.await(this.boot(id, n.storage, n.incarnation + 1));
  }

  /** Cuts the network into groups of ids. */
  partition(...groups: string[][]): void {
    this.trace(`partition ${groups.map((g) => g.join(',')).join('|')}`);
    this.network.partition(...groups);
  }

  /** Isolates one server. */
  isolate(id: string): void {
    this.trace(`isolate ${id}`);
    this.network.isolate(id);
  }

  /** Cuts the one-way link from → to: frames sent from `from` to `to` are lost, the way back still works. */
  cutLink(from: string, to: string): void {
    this.trace(`cut ${from}->${to}`);
    this.network.cutLink(from, to);
  }

  /** Restores all links and removes drops. */
  heal(): void {
    this.trace('heal');
    this.network.heal();
    this.network.setDropRate(0);
  }

  /**
   * Injects random faults for `ms` of simulated time while a client writes: every `everyMs`
   * one of partition / heal / crash (a minority at most) / restart / drop rate / delay change.
   */
  async randomFaults(ms: number, everyMs = 150): Promise<void> {
    const end = this.clock.now() + ms;
    const minority = Math.floor((this.ids.length - 1) / 2);
    while (this.clock.now() < end) {
      const r = this.random.int(10);
      const down = this.ids.filter((id) => !this.nodes.get(id)!.alive);
      if (r === 0) {
        const shuffled = [...this.ids].sort(() => this.random.next() - 0.5);
        const cut = 1 + this.random.int(this.ids.length - 1);
        this.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      } else if (r === 1 || r === 2) {
        this.heal();
      } else if (r === 3 && down.length < minority + (this.random.int(4) === 0 ? 1 : 0)) {
        const up = this.ids.filter((id) => this.nodes.get(id)!.alive);
        await this.crash(up[this.random.int(up.length)]!);
      } else if (r === 4 && down.length > 0) {
        await this.restart(down[this.random.int(down.length)]!);
      } else if (r === 5) {
        this.network.setDropRate(this.random.int(3) * 0.1);
      } else if (r === 6) {
        this.network.setDelay(1, 1 + this.random.int(30));
      } else if (r === 7) {
        const leader = this.leader();
        if (leader) this.isolate(leader.id);
      }
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
  check(): void {
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

  /** A hash of the run's event trace (leader changes, faults, commit/applied progress with times). */
  traceHash(): string {
    return (this.hash >>> 0).toString(16).padStart(8, '0');
  }

  /** Counts of acknowledged / failed / pending writes. */
  writeStats(): { ok: number; failed: number; pending: number } {
    const s = { ok: 0, failed: 0, pending: 0 };
    for (const w of this.writes) s[w.status]++;
    return s;
  }

  private trace(line: string): void {
    let h = this.hash;
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 10;
    this.hash = Math.imul(h, 0x01000193) >>> 0;
  }
}
