import { MemoryNetwork, type MemoryNetworkOptions } from '../../plugins/transport-memory/memory-network.js';
import type { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import type { RaftServer } from '../consensus/raft-server.js';
import type { SimStorage } from './sim-storage.js';
import { ManualClock } from './manual-clock.js';
import { SeededRandom } from './seeded-random.js';
import { SilentLogger } from './silent-logger.js';

/** What the ground needs of one simulated server to crash and restart it. */
export interface SimServer {
  readonly id: string;
  readonly storage: SimStorage;
  transport: MemoryTransport;
  server: RaftServer;
  incarnation: number;
  alive: boolean;
  /** Set while it is being (or was) stopped on purpose: a Raft failure then is no violation. */
  crashing?: boolean;
}

/**
 * The deterministic ground of a simulated cluster: one ManualClock, one seed, one MemoryNetwork,
 * and the loop that moves time timer by timer (draining promise jobs and calling `check()`
 * after every step), the network faults, and a hash of the run's trace so a seed can be shown
 * to replay exactly. Subclasses put servers on it.
 */
export abstract class SimCluster {
  readonly clock = new ManualClock(1_700_000_000_000);
  readonly random: SeededRandom;
  readonly network: MemoryNetwork;
  readonly logger = new SilentLogger('sim');
  private hash = 0x811c9dc5;
  protected steps = 0;

  constructor(seed: number, network?: MemoryNetworkOptions) {
    this.random = new SeededRandom(seed);
    this.network = new MemoryNetwork(this.clock, this.random, { minDelayMs: 1, maxDelayMs: 5, ...network });
  }

  /** The servers' ids. */
  abstract readonly ids: readonly string[];
  /** Checks the subclass's invariants after a step. */
  protected abstract check(): void;
  /** The current leader's id, if any. */
  abstract leaderId(): string | undefined;
  /** Server `id`. */
  protected abstract server(id: string): SimServer;
  /** Starts incarnation `incarnation` of server `id` on `storage` (its durable state so far). */
  protected abstract boot(id: string, storage: SimStorage, incarnation: number): Promise<void>;

  /** Whether server `id` runs. */
  isAlive(id: string): boolean {
    return this.server(id).alive;
  }

  /** Kills a server: un-fsynced writes are lost, its transport goes away, its in-flight calls fail. */
  async crash(id: string): Promise<void> {
    const n = this.server(id);
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
    const n = this.server(id);
    if (n.alive) return;
    this.trace(`restart ${id}`);
    await this.await(this.boot(id, n.storage, n.incarnation + 1));
  }

  /**
   * One random fault: a partition into two groups, a heal, a crash (of a minority at most, now
   * and then one more), a restart, a drop rate of 0–20%, a delay range of 1–30 ms, or the
   * leader isolated.
   */
  async randomFault(): Promise<void> {
    const minority = Math.floor((this.ids.length - 1) / 2);
    const r = this.random.int(10);
    const down = this.ids.filter((id) => !this.isAlive(id));
    if (r === 0) {
      const shuffled = [...this.ids].sort(() => this.random.next() - 0.5);
      const cut = 1 + this.random.int(this.ids.length - 1);
      this.partition(shuffled.slice(0, cut), shuffled.slice(cut));
    } else if (r === 1 || r === 2) {
      this.heal();
    } else if (r === 3 && down.length < minority + (this.random.int(4) === 0 ? 1 : 0)) {
      const up = this.ids.filter((id) => this.isAlive(id));
      await this.crash(up[this.random.int(up.length)]!);
    } else if (r === 4 && down.length > 0) {
      await this.restart(down[this.random.int(down.length)]!);
    } else if (r === 5) {
      this.network.setDropRate(this.random.int(3) * 0.1);
    } else if (r === 6) {
      this.network.setDelay(1, 1 + this.random.int(30));
    } else if (r === 7) {
      const leader = this.leaderId();
      if (leader) this.isolate(leader);
    }
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

  /** A hash of the run's event trace (leader changes, faults, progress with times). */
  traceHash(): string {
    return (this.hash >>> 0).toString(16).padStart(8, '0');
  }

  /** Adds a line to the trace the hash covers. */
  protected trace(line: string): void {
    let h = this.hash;
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 10;
    this.hash = Math.imul(h, 0x01000193) >>> 0;
  }
}
