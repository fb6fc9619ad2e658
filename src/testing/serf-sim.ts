/**
 * A deterministic simulation of a serf pool on the memory network (ManualClock, seeded
 * randomness per node), for the serf layer's tests: every node records the events it saw.
 */
import { MemoryConnectionTransport } from '../../plugins/transport-memory/memory-connection-transport.js';
import { MemoryNetwork, type MemoryNetworkOptions } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import type { Keyring } from '../gossip/memberlist/keyring.js';
import { Serf, type SerfConfig, type SerfEvent } from '../gossip/serf/serf.js';
import type { SerfSnapshot } from '../gossip/serf/serf-snapshot.js';
import { ManualClock } from './manual-clock.js';
import { SimClockRunner } from './sim-clock-runner.js';
import { SeededRandom } from './seeded-random.js';
import { SilentLogger } from './silent-logger.js';

/** One simulated serf node. */
export interface SerfSimNode {
  name: string;
  address: string;
  serf: Serf;
  events: SerfEvent[];
  logger: SilentLogger;
}

/** Options of one node. */
export interface SerfSimNodeOptions {
  name?: string;
  tags?: Record<string, string>;
  keyring?: Keyring;
  snapshot?: SerfSnapshot;
  /** Reuse an address (a restart). */
  address?: string;
  config?: Partial<Omit<SerfConfig, 'nodeName' | 'tags' | 'memberlist'>>;
}

/** A pool of simulated serf nodes. */
export class SerfSim {
  readonly clock = new ManualClock();
  private readonly runner = new SimClockRunner(this.clock);
  readonly network: MemoryNetwork;
  readonly nodes: SerfSimNode[] = [];
  private created = 0;

  constructor(
    readonly seed: number,
    netOpts: MemoryNetworkOptions = { minDelayMs: 1, maxDelayMs: 5 },
  ) {
    this.network = new MemoryNetwork(this.clock, new SeededRandom(seed), netOpts);
  }

  /** Creates and starts a node (address 10.1.0.x:7946). */
  async add(opts: SerfSimNodeOptions = {}): Promise<SerfSimNode> {
    const i = this.created++;
    const name = opts.name ?? `node-${i}`;
    const address = opts.address ?? `10.1.${i >> 8}.${(i & 0xff) + 1}:7946`;
    const logger = new SilentLogger(name);
    const serf = new Serf(
      { nodeName: name, tags: opts.tags ?? {}, memberlist: { keyring: opts.keyring }, ...opts.config },
      {
        clock: this.clock,
        random: new SeededRandom(this.seed * 1000 + i + 1),
        logger,
        packets: new MemoryTransport(this.network, address),
        connections: new MemoryConnectionTransport(this.network, address),
        snapshot: opts.snapshot,
      },
    );
    const events: SerfEvent[] = [];
    serf.onEvent((e) => events.push(e));
    await serf.start();
    const node = { name, address, serf, events, logger };
    this.nodes.push(node);
    return node;
  }

  /** Runs the clock for `ms`, timer by timer, letting promise continuations run after each. */
  run(ms: number): Promise<void> {
    return this.runner.run(ms);
  }

  /** Starts `promise` and runs the clock until it settles (or `maxMs` passes). */
  settle<T>(promise: Promise<T>, maxMs = 120_000): Promise<T> {
    return this.runner.settle(promise, maxMs);
  }

  /** Runs until `cond` holds; returns the ms it took, or Infinity past `maxMs`. */
  async until(cond: () => boolean, maxMs = 60_000, stepMs = 100): Promise<number> {
    const start = this.clock.now();
    while (!cond()) {
      if (this.clock.now() - start > maxMs) return Infinity;
      await this.run(stepMs);
    }
    return this.clock.now() - start;
  }

  /** The status of `name` as `viewer` sees it (undefined: unknown). */
  statusOf(viewer: SerfSimNode, name: string): number | undefined {
    return viewer.serf.members().find((m) => m.name === name)?.status;
  }
}
