/**
 * A deterministic fault simulation of a memberlist pool (5 to 1,000 members) on the memory
 * network with the manual clock: packet loss, delay, partitions and healing, slow (CPU-starved)
 * members whose timers fire late and who handle packets late, crashes and restarts; invariants
 * checked on every tick. Everything random draws from Randoms derived from one seed, so a seed
 * replays exactly.
 */
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { ConnectionTransport, PacketHandler, PacketTransport } from '../../contracts/ports/transport.js';
import { MemoryConnectionTransport } from '../../plugins/transport-memory/memory-connection-transport.js';
import { MemoryNetwork } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import type { Member } from '../gossip/memberlist/member.js';
import { parseAddress } from '../gossip/memberlist/member.js';
import { Memberlist, type MemberlistConfig } from '../gossip/memberlist/memberlist.js';
import { NodeStateType, type PushNodeState } from '../gossip/memberlist/messages.js';
import { ManualClock } from './manual-clock.js';
import { SimClockRunner } from './sim-clock-runner.js';
import { SeededRandom } from './seeded-random.js';
import { SilentLogger } from './silent-logger.js';

/**
 * How a slow (CPU-starved) member runs: every timer, received packet and accepted connection
 * waits a uniform extra [minLagMs, maxLagMs]; with `stallMs` the process also freezes now and
 * then (runs for a uniform `runMs`, then stalls for a uniform `stallMs`), and whatever falls due
 * or arrives during a stall is handled when it ends.
 */
export interface SlowSpec {
  minLagMs: number;
  maxLagMs: number;
  stallMs?: [number, number];
  runMs?: [number, number];
}

/** One simulated member (one "process"; a restart replaces `list`). */
export interface GossipSimNode {
  index: number;
  name: string;
  address: string;
  list: Memberlist;
  /** The process runs (false after crash or leave, until restart). */
  running: boolean;
  /** Left gracefully (others should see it left, not dead). */
  left: boolean;
  slow: SlowSpec | undefined;
  /** Clock ms it last (re)started. */
  startedAt: number;
  /** Clock ms it crashed (undefined while running). */
  crashedAt: number | undefined;
}

/** Options of a GossipSim. */
export interface GossipSimOptions {
  seed: number;
  /** Engine settings for every member (Consul's LAN timings by default). */
  config?: Partial<Omit<MemberlistConfig, 'name'>>;
  minDelayMs?: number;
  maxDelayMs?: number;
  dropRate?: number;
  /**
   * serf's reconnect, which memberlist itself lacks: every `reconnectMs` (serf's 30 s) each member
   * tries a join to one member it saw fail, with probability failed/alive as serf does. Without
   * it two halves of a healed partition that declared each other dead never merge again (0: off).
   */
  reconnectMs?: number;
}

/** When a slow member runs things: `lag()` is the extra wait at scheduling time, `stalled()` how much of a stall remains now. */
interface Lag {
  lag(): number;
  stalled(): number;
}

/** Runs `fn` on `clock` after `ms` plus the lag, and again later while the process is stalled when it falls due (a frozen process runs nothing). */
function lagged(clock: Clock, lag: Lag, fn: () => void, ms: number): TimerHandle {
  let cancelled = false;
  let handle: TimerHandle;
  const fire = (): void => {
    if (cancelled) return;
    const wait = lag.stalled();
    if (wait > 0) handle = clock.setTimeout(fire, wait + lag.lag());
    else fn();
  };
  handle = clock.setTimeout(fire, ms + lag.lag());
  return {
    cancel: () => {
      cancelled = true;
      handle.cancel();
    },
  };
}

/** A Clock whose timers fire late by a random lag and not during a stall (a CPU-starved process); `now` stays true time. */
class LaggedClock implements Clock {
  constructor(
    private readonly inner: Clock,
    private readonly lag: Lag,
  ) {}

  now(): number {
    return this.inner.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return lagged(this.inner, this.lag, fn, ms);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    // Each firing comes late and the next is scheduled from when it actually ran (a starved loop drifts).
    let cancelled = false;
    let handle: TimerHandle | undefined;
    const arm = (): void => {
      handle = lagged(
        this.inner,
        this.lag,
        () => {
          if (cancelled) return;
          arm();
          fn();
        },
        ms,
      );
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        handle?.cancel();
      },
    };
  }
}

/** A PacketTransport that hands each received packet to the engine late (a starved process reads its socket late). */
class LaggedPackets implements PacketTransport {
  constructor(
    private readonly inner: MemoryTransport,
    private readonly clock: Clock,
    private readonly lag: Lag,
  ) {}

  get localAddress(): string {
    return this.inner.localAddress;
  }

  get maxPacketBytes(): number {
    return this.inner.maxPacketBytes;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  sendPacket(to: string, packet: Uint8Array): void {
    this.inner.sendPacket(to, packet);
  }

  onPacket(handler: PacketHandler): () => void {
    let on = true;
    const off = this.inner.onPacket((from, p) => {
      lagged(this.clock, this.lag, () => on && handler(from, p), 0);
    });
    return () => {
      on = false;
      off();
    };
  }
}

/** The pool. */
export class GossipSim {
  readonly clock = new ManualClock();
  private readonly runner = new SimClockRunner(this.clock, 6);
  readonly network: MemoryNetwork;
  readonly nodes: GossipSimNode[] = [];
  /** Invariant violations found so far (each with the clock ms). */
  readonly violations: string[] = [];
  /** Dead declarations by suspicion timeout ("marking node as failed") about members that were running then: [clock ms, declarer, target, target was slow]. */
  readonly falseDeaths: Array<[number, string, string, boolean]> = [];
  /** All dead declarations by suspicion timeout: [clock ms, declarer, target]. */
  readonly deaths: Array<[number, string, string]> = [];
  /** Members still believed dead (or left) by a running member while they run: key viewer\0target → since ms. */
  private readonly downViews = new Map<string, number>();
  /** Highest incarnation each viewer reported for each target (events), to check they never go back. */
  private readonly seenIncarnation = new Map<string, number>();
  private readonly random: SeededRandom;
  private readonly vsn: Uint8Array;
  private partitioned = false;
  /** Per member: names it saw fail (dead, not left) and not come back since: serf's failed list. */
  private readonly failedSeen = new Map<GossipSimNode, Set<string>>();
  private nextReconnect = 0;
  private priming = false;
  /** Clock ms of the last heal (time-bound invariants count from here for partitioned pairs). */
  private lastHealAt = 0;

  constructor(private readonly opts: GossipSimOptions) {
    this.random = new SeededRandom(opts.seed * 7919 + 1);
    this.network = new MemoryNetwork(this.clock, new SeededRandom(opts.seed), {
      minDelayMs: opts.minDelayMs ?? 1,
      maxDelayMs: opts.maxDelayMs ?? 5,
      dropRate: opts.dropRate ?? 0,
    });
    this.vsn = opts.config?.vsn ?? Uint8Array.from([1, 5, 2, 0, 0, 0]);
  }

  /** The engine settings every member runs with. */
  get config(): Partial<MemberlistConfig> {
    return this.opts.config ?? {};
  }

  /** Adds and starts member `nodes.length` (address 10.x.y.z:7946), joining nobody. */
  async add(slow?: SlowSpec): Promise<GossipSimNode> {
    const index = this.nodes.length;
    const node: GossipSimNode = {
      index,
      name: `node-${index}`,
      address: `10.${1 + (index >> 16)}.${(index >> 8) & 0xff}.${index & 0xff}:7946`,
      list: undefined as unknown as Memberlist,
      running: false,
      left: false,
      slow,
      startedAt: 0,
      crashedAt: undefined,
    };
    this.nodes.push(node);
    await this.boot(node);
    return node;
  }

  /** A fresh process for `node` (same name and address, incarnation from scratch, empty table). */
  private async boot(node: GossipSimNode): Promise<void> {
    const life = Math.round(this.clock.now() % 1_000_000);
    const rnd = new SeededRandom(this.opts.seed * 100_003 + node.index * 31 + life);
    const lagRnd = new SeededRandom(this.opts.seed * 200_003 + node.index * 17 + life);
    const slow = node.slow;
    const lag = slow ? this.lagOf(slow, lagRnd) : undefined;
    const clock: Clock = lag ? new LaggedClock(this.clock, lag) : this.clock;
    const mem = new MemoryTransport(this.network, node.address);
    const packets: PacketTransport = lag ? new LaggedPackets(mem, this.clock, lag) : mem;
    const memConns = new MemoryConnectionTransport(this.network, node.address);
    const connections: ConnectionTransport = lag
      ? {
          localAddress: node.address,
          start: () => memConns.start(),
          close: () => memConns.close(),
          dial: (to, timeoutMs) => memConns.dial(to, timeoutMs),
          listen: (on) => memConns.listen((c) => void lagged(this.clock, lag, () => on(c), 0)),
        }
      : memConns;
    const logger = this.watchingLogger(node);
    node.list = new Memberlist(
      { ...this.config, name: node.name },
      {
        clock,
        random: rnd,
        logger,
        packets,
        connections,
        events: {
          onJoin: (m) => this.onView(node, m, true),
          onLeave: (m) => this.onView(node, m, false),
          onUpdate: (m) => this.onView(node, m, true),
        },
      },
    );
    this.failedSeen.delete(node);
    node.running = true;
    node.left = false;
    node.crashedAt = undefined;
    node.startedAt = this.clock.now();
    await node.list.start();
  }

  /** The lag of a slow member: jitter at scheduling time, and stalls during which nothing runs. */
  private lagOf(slow: SlowSpec, rnd: SeededRandom): Lag {
    const uniform = (lo: number, hi: number): number => lo + rnd.int(hi - lo + 1);
    let stallStart = Infinity;
    let stallEnd = -Infinity;
    if (slow.stallMs) {
      stallStart = this.clock.now() + uniform(...(slow.runMs ?? [5_000, 20_000]));
      stallEnd = stallStart + uniform(...slow.stallMs);
    }
    return {
      lag: () => uniform(slow.minLagMs, slow.maxLagMs),
      stalled: () => {
        const now = this.clock.now();
        while (slow.stallMs && now >= stallEnd) {
          stallStart = stallEnd + uniform(...(slow.runMs ?? [5_000, 20_000]));
          stallEnd = stallStart + uniform(...slow.stallMs);
        }
        return now >= stallStart ? stallEnd - now : 0;
      },
    };
  }

  /** A logger that records suspicion-timeout declarations (memberlist logs each one) and keeps nothing else. */
  private watchingLogger(node: GossipSimNode): Logger {
    const sim = this;
    class Watching extends SilentLogger {
      override info(msg: string, fields?: Record<string, unknown>): void {
        if (msg.includes('suspect timeout reached') && typeof fields?.node === 'string') sim.noteDeath(node, fields.node);
      }
    }
    return new Watching(node.name, [], 20);
  }

  private noteDeath(declarer: GossipSimNode, target: string): void {
    const now = this.clock.now();
    this.deaths.push([now, declarer.name, target]);
    const t = this.byName(target);
    if (t && t.running) this.falseDeaths.push([now, declarer.name, target, t.slow !== undefined]);
  }

  private onView(viewer: GossipSimNode, m: Member, up: boolean): void {
    if (this.priming || viewer.list === undefined || !viewer.running) return;
    const key = `${viewer.name}\u0000${m.name}`;
    // One life of the viewer and one of the target (a restarted process starts from scratch).
    const life = `${key}\u0000${viewer.startedAt}\u0000${this.byName(m.name)?.startedAt ?? 0}`;
    const prev = this.seenIncarnation.get(life);
    // Within one life of the target, a viewer's view of its incarnation never goes back (a restarted
    // target starts again from 1 and must refute its way above what the pool remembers).
    if (prev !== undefined && m.incarnation < prev && viewer.list.member(m.name) !== undefined) {
      this.violations.push(`t=${this.elapsed()} ${viewer.name} saw ${m.name}'s incarnation go back ${prev} -> ${m.incarnation}`);
    }
    this.seenIncarnation.set(life, Math.max(prev ?? 0, m.incarnation));
    let failed = this.failedSeen.get(viewer);
    if (!failed) this.failedSeen.set(viewer, (failed = new Set()));
    if (up) failed.delete(m.name);
    else if (m.state === NodeStateType.Dead) failed.add(m.name);
    if (up) this.downViews.delete(key);
    else if (!this.downViews.has(key)) this.downViews.set(key, this.clock.now());
  }

  /** The member named `name`. */
  byName(name: string): GossipSimNode | undefined {
    const i = Number(name.slice(5));
    const n = this.nodes[i];
    return n && n.name === name ? n : undefined;
  }

  /** Milliseconds since the clock's start. */
  elapsed(): number {
    return this.clock.now() - 1_700_000_000_000;
  }

  /** Joins every member after the first through a random earlier member, one at a time, letting gossip run `settleMs` after each batch of `batch`. */
  async formByJoining(batch = 1, settleMs = 10): Promise<void> {
    for (let i = 1; i < this.nodes.length; i++) {
      const seed = this.nodes[this.random.int(i)]!;
      await this.settle(this.nodes[i]!.list.join([seed.address]));
      if (i % batch === 0) await this.run(settleMs);
    }
  }

  /** Gives every running member the whole pool (alive, incarnation 1) as if its formation gossip had long died down. */
  prime(): void {
    const states: PushNodeState[] = this.nodes
      .filter((n) => n.running)
      .map((n) => {
        const { addr, port } = parseAddress(n.address);
        return { name: n.name, addr, port, meta: new Uint8Array(0), incarnation: 1, state: NodeStateType.Alive, vsn: this.vsn };
      });
    this.priming = true;
    try {
      for (const n of this.nodes) if (n.running) n.list.primeMembers(states);
    } finally {
      this.priming = false;
    }
  }

  /** Runs the clock for `ms`, timer by timer, letting promise continuations run after each. */
  run(ms: number): Promise<void> {
    return this.runner.run(ms);
  }

  /** Starts `promise` and runs the clock until it settles (or `maxMs` passes). */
  settle<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    return this.runner.settle(promise, maxMs);
  }

  /**
   * Runs `ms` in ticks of `tickMs`, checking the invariants after each tick; `onTick` may inject
   * faults. Returns early (true) once `until` holds.
   */
  async runChecked(ms: number, opts: { tickMs?: number; until?: () => boolean; onTick?: () => Promise<void> | void; bounds?: InvariantBounds } = {}): Promise<boolean> {
    const tick = opts.tickMs ?? 200;
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      await this.run(Math.min(tick, end - this.clock.now()));
      if (opts.onTick) await opts.onTick();
      this.reconnect();
      this.checkInvariants(opts.bounds ?? defaultBounds(this));
      if (opts.until?.()) return true;
    }
    return opts.until ? opts.until() : true;
  }

  /** serf's reconnect task (serf.go handleReconnect), for every running member, when due. */
  private reconnect(): void {
    const every = this.opts.reconnectMs ?? 30_000;
    if (every <= 0) return;
    const now = this.clock.now();
    if (this.nextReconnect === 0) this.nextReconnect = now + every;
    if (now < this.nextReconnect) return;
    this.nextReconnect = now + every;
    for (const v of this.nodes) {
      const failed = this.failedSeen.get(v);
      if (!v.running || !failed || failed.size === 0) continue;
      if (this.random.next() > failed.size / Math.max(1, v.list.numMembers())) continue;
      const names = [...failed];
      const target = this.byName(names[this.random.int(names.length)]!);
      if (target) v.list.join([target.address]).catch(() => undefined);
    }
  }

  /**
   * The invariants: (1) no running, reachable member is held dead/left by a running member for
   * longer than `bounds.refuteMs` (it hears of it and refutes); (2) a crashed member is held
   * alive/suspect by no running member after `bounds.detectMs`; (3) incarnations never go back
   * (checked on every view change). Violations accumulate in `violations`.
   */
  checkInvariants(bounds: InvariantBounds): void {
    const now = this.clock.now();
    // While a partition stands, and for the bound after it heals, the time bounds do not apply.
    if (this.partitioned) return;
    for (const [key, since] of this.downViews) {
      if (now - Math.max(since, this.lastHealAt) <= bounds.refuteMs) continue;
      const [vName, tName] = key.split('\u0000') as [string, string];
      const v = this.byName(vName);
      const t = this.byName(tName);
      if (!v || !t || !v.running || !t.running || t.left) {
        this.downViews.delete(key);
        continue;
      }
      if (t.startedAt > since) {
        // A new life of the target: the old view was right then; the clock for this one starts now.
        this.downViews.set(key, t.startedAt);
        continue;
      }
      if (!this.reachable(v, t)) continue;
      this.violations.push(`t=${this.elapsed()} ${vName} has held running, reachable ${tName} dead for ${now - since} ms (bound ${bounds.refuteMs})`);
      this.downViews.set(key, now); // report once per bound
    }
    for (const c of this.nodes) {
      if (c.running || c.crashedAt === undefined || now - Math.max(c.crashedAt, this.lastHealAt) <= bounds.detectMs) continue;
      for (const v of this.nodes) {
        if (!v.running) continue;
        const s = v.list.member(c.name)?.state;
        if (s === NodeStateType.Alive || s === NodeStateType.Suspect) {
          this.violations.push(`t=${this.elapsed()} ${v.name} still holds ${c.name} (crashed ${now - c.crashedAt} ms ago) alive (bound ${bounds.detectMs})`);
          c.crashedAt = now; // report once per bound
          break;
        }
      }
    }
  }

  /** Cuts the pool into `groups` (members not named keep every link). */
  partition(...groups: GossipSimNode[][]): void {
    this.partitioned = true;
    this.network.partition(...groups.map((g) => g.map((n) => n.address)));
  }

  /** Restores every link. */
  heal(): void {
    this.partitioned = false;
    this.lastHealAt = this.clock.now();
    this.network.heal();
  }

  /** Both directions of the link between two members are up. */
  reachable(a: GossipSimNode, b: GossipSimNode): boolean {
    return this.network.connected(a.address, b.address) && this.network.connected(b.address, a.address);
  }

  /** Crashes `node` (no leave message). */
  async crash(node: GossipSimNode): Promise<void> {
    node.running = false;
    node.crashedAt = this.clock.now();
    await node.list.shutdown();
  }

  /** Leaves gracefully and stops. */
  async leave(node: GossipSimNode, timeoutMs = 5000): Promise<void> {
    await this.settle(node.list.leave(timeoutMs));
    node.left = true;
    node.running = false;
    await node.list.shutdown();
  }

  /** Restarts a crashed member as a fresh process and joins it through `via` running members. */
  async restart(node: GossipSimNode, via: GossipSimNode[]): Promise<void> {
    await this.boot(node);
    try {
      await this.settle(node.list.join(via.map((v) => v.address)));
    } catch {
      // all join targets unreachable: it stays alone until a push/pull or a later join reaches it
    }
  }

  /** How `viewer` sees `target` (undefined: unknown). */
  stateOf(viewer: GossipSimNode, target: GossipSimNode): NodeStateType | undefined {
    return viewer.list.member(target.name)?.state;
  }

  /** Every running member sees every running member alive (and every left one left or forgotten). */
  converged(): boolean {
    const up = this.nodes.filter((n) => n.running);
    for (const v of up) {
      if (v.list.numMembers() !== up.length) return false;
      for (const t of up) if (this.stateOf(v, t) !== NodeStateType.Alive) return false;
    }
    return true;
  }

  /** The fraction of running members (other than `target`) for which `pred(state of target)` holds. */
  fractionSeeing(target: GossipSimNode, pred: (s: NodeStateType | undefined) => boolean): number {
    const up = this.nodes.filter((n) => n.running && n !== target);
    let k = 0;
    for (const v of up) if (pred(this.stateOf(v, target))) k++;
    return up.length === 0 ? 1 : k / up.length;
  }

  /** A random draw from the simulation's own Random (fault schedules). */
  rand(): SeededRandom {
    return this.random;
  }

  /** Stops every running member. */
  async stop(): Promise<void> {
    for (const n of this.nodes) if (n.running) await n.list.shutdown();
  }
}

/** Time bounds of the invariants. */
export interface InvariantBounds {
  /** How long a running, reachable member may be held dead by a running member. */
  refuteMs: number;
  /** How long after a crash a running member may still hold the crashed one alive or suspect. */
  detectMs: number;
}

/**
 * Bounds from the engine's settings and the pool size: a crash is detected within a full probe
 * round of the pool (each member probes everyone once per round), a worst-case (unconfirmed)
 * suspicion timeout stretched by the awareness multiplier, and gossip slack; a wrongly dead member
 * hears of it and refutes within a push/pull period (scaled as memberlist scales it) plus gossip.
 */
export function defaultBounds(sim: GossipSim): InvariantBounds {
  const c = sim.config;
  const n = Math.max(1, sim.nodes.length);
  const probe = c.probeIntervalMs ?? 1000;
  const mult = c.suspicionMult ?? 4;
  const maxMult = c.suspicionMaxTimeoutMult ?? 6;
  const minSusp = mult * Math.max(1, Math.log10(n)) * probe;
  const pushPull = (c.pushPullIntervalMs ?? 30_000) * (n <= 32 ? 1 : Math.ceil(Math.log2(n) - Math.log2(32)) + 1);
  return {
    detectMs: 10 * probe + 2 * maxMult * minSusp + 20_000,
    refuteMs: 2 * pushPull + 30_000,
  };
}
