/**
 * A deterministic simulation of a memberlist pool on the memory network: ManualClock, one
 * SeededRandom for the network and one per node (derived from the seed), so a seed replays
 * exactly. Promise continuations run between timer firings (`run` flushes microtasks after
 * every timer).
 */
import { MemoryConnectionTransport } from '../../plugins/transport-memory/memory-connection-transport.js';
import { MemoryNetwork, type MemoryNetworkOptions } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import type { Member } from '../gossip/memberlist/member.js';
import { Memberlist, type MemberlistConfig } from '../gossip/memberlist/memberlist.js';
import { ManualClock } from './manual-clock.js';
import { SimClockRunner } from './sim-clock-runner.js';
import { SeededRandom } from './seeded-random.js';
import { SilentLogger } from './silent-logger.js';

/** One simulated member. */
export interface SimMember {
  name: string;
  address: string;
  list: Memberlist;
  /** onJoin / onLeave events seen by this member: [clock ms, node name, 'join'|'leave']. */
  events: Array<[number, string, 'join' | 'leave']>;
  alive: boolean;
}

/** A pool of simulated memberlist nodes. */
export class MemberlistSim {
  readonly clock = new ManualClock();
  private readonly runner = new SimClockRunner(this.clock);
  readonly network: MemoryNetwork;
  readonly members: SimMember[] = [];

  constructor(
    readonly seed: number,
    netOpts: MemoryNetworkOptions = {},
    private readonly config: Partial<MemberlistConfig> = {},
  ) {
    this.network = new MemoryNetwork(this.clock, new SeededRandom(seed), netOpts);
  }

  /** Starts member `i` (address 10.0.x.y:7946) without joining anyone; `onUserMsg` receives its user messages; `vsn` overrides its protocol versions. */
  async add(onUserMsg?: (msg: Uint8Array) => void, vsn?: Uint8Array, overrides: Partial<MemberlistConfig> = {}): Promise<SimMember> {
    const i = this.members.length;
    const name = `node-${i}`;
    const address = `10.0.${i >> 8}.${(i & 0xff) + 1}:7946`;
    const events: SimMember['events'] = [];
    const list = new Memberlist(
      { ...this.config, ...overrides, name, ...(vsn ? { vsn } : {}) },
      {
        clock: this.clock,
        random: new SeededRandom(this.seed * 1000 + i + 1),
        logger: new SilentLogger(name),
        packets: new MemoryTransport(this.network, address),
        connections: new MemoryConnectionTransport(this.network, address),
        delegate: onUserMsg ? { notifyMsg: onUserMsg } : undefined,
        events: {
          onJoin: (m: Member) => events.push([this.clock.now(), m.name, 'join']),
          onLeave: (m: Member) => events.push([this.clock.now(), m.name, 'leave']),
        },
      },
    );
    await list.start();
    const m: SimMember = { name, address, list, events, alive: true };
    this.members.push(m);
    return m;
  }

  /** Runs the clock for `ms`, timer by timer, letting promise continuations run after each. */
  run(ms: number): Promise<void> {
    return this.runner.run(ms);
  }

  /** Starts `promise` and runs the clock until it settles (or `maxMs` passes). */
  runUntilSettled<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    return this.runner.settle(promise, maxMs);
  }

  /** Crashes member `m` (no leave message): its transports close. */
  async kill(m: SimMember): Promise<void> {
    m.alive = false;
    await m.list.shutdown();
  }

  /** How member `viewer` sees `name` (undefined: unknown). */
  stateOf(viewer: SimMember, name: string): number | undefined {
    return viewer.list.members().find((x) => x.name === name)?.state;
  }
}
