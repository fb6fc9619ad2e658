import type { Clock, Logger, Random, TimerHandle } from '../../contracts/platform.js';

/** Consul's clientRPCMinReuseDuration: a client keeps its server at least this long between rebalances. */
export const CLIENT_RPC_MIN_REUSE_MS = 120_000;
/** Consul's clientRPCJitterFraction: the reuse time gets up to 1/2 of itself added at random. */
const CLIENT_RPC_JITTER_FRACTION = 2;
/** Consul's newRebalanceConnsPerSecPerServer: the cluster-wide rebalancing budget per server. */
const REBALANCE_CONNS_PER_SEC_PER_SERVER = 64;

/** What a ServerPool needs besides its source of servers. */
export interface ServerPoolOptions {
  /** Schedules the periodic rebalance (start()). */
  clock?: Clock;
  /** Consul's clusterInfo.NumNodes: the LAN pool's size, which stretches the rebalance interval. Default 1. */
  numNodes?: () => number;
  /** Consul's Pinger: true when `addr` answers a status RPC. Without it a rebalance only reshuffles. */
  ping?: (addr: string) => Promise<boolean>;
  logger?: Logger;
}

/**
 * The servers a client agent sends its RPCs to (Consul's agent/router.Manager). The list follows
 * `source` (the alive servers of this datacenter in the LAN pool): a known server keeps its place,
 * a new one is added at the back, one that left is dropped; the first servers ever seen are
 * shuffled, so clients spread over the servers. Requests go to the first server (find()); a
 * server that failed is moved to the back (notifyFailed). Every rebalance interval (start()) the
 * list is shuffled and the first server that answers a ping is moved to the front (Consul's
 * RebalanceServers), so a client does not stay on one server forever.
 *
 * Beyond Consul's Manager, the pool remembers the Raft leader that servers name in their replies
 * (noteLeader): requests that end on the leader anyway (writes, default and consistent reads) go
 * straight to it (findLeader), which saves the follower's forwarding hop; stale reads and the
 * rest keep going to find()'s server, so they still spread over the servers.
 */
export class ServerPool {
  private list: string[] = [];
  /** The source's array the list was last brought in line with. */
  private synced: readonly string[] | undefined;
  /** The leader's RPC address as the last reply named it, if any. */
  private leader: string | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;

  /**
   * `source`: the servers' RPC addresses (a new array whenever they change: the same array
   * means the same servers); `random`: draws the shuffles and the jitter.
   */
  constructor(
    private readonly source: () => readonly string[],
    private readonly random: Random,
    private readonly opts: ServerPoolOptions = {},
  ) {}

  /** The server the next request goes to (the first of the list), or undefined when none is known. */
  find(): string | undefined {
    return this.sync()[0];
  }

  /**
   * The server leader-bound requests go to: the leader the last reply named while it is still in
   * the list, else find()'s server.
   */
  findLeader(): string | undefined {
    const l = this.sync();
    return this.leader !== undefined && l.includes(this.leader) ? this.leader : l[0];
  }

  /** Records the leader a server's reply named (undefined: that server knew none, so forget it). */
  noteLeader(addr: string | undefined): void {
    this.leader = addr;
  }

  /** The list in its current order (first = the server requests go to). */
  servers(): readonly string[] {
    return [...this.sync()];
  }

  /**
   * Consul's NotifyFailedServer: when `addr` is the first server, it moves to the back so the
   * next request goes to another one (a server that is not first already lost its place). A
   * failed leader is forgotten until a reply names a leader again.
   */
  notifyFailed(addr: string): void {
    if (this.leader === addr) this.leader = undefined;
    const l = this.sync();
    if (l.length > 1 && l[0] === addr) this.list = [...l.slice(1), addr];
  }

  /**
   * Consul's RebalanceServers: shuffles the list, then moves servers that do not answer a ping to
   * the back until one does (it becomes first). Resolves with whether a server answered (true
   * without a pinger, unless the list is empty).
   */
  async rebalance(): Promise<boolean> {
    const l = this.shuffle([...this.sync()]);
    if (l.length === 0) return false;
    let found = !this.opts.ping;
    for (let i = 0; i < l.length && !found; i++) {
      let ok = false;
      try {
        ok = await this.opts.ping!(l[0]!);
      } catch {
        ok = false;
      }
      if (ok) found = true;
      else l.push(l.shift()!);
    }
    if (!found) {
      this.opts.logger?.debug('no healthy servers during rebalance, aborting');
      return false;
    }
    // Keep what changed meanwhile (servers added or removed by the source).
    const now = this.sync();
    this.list = [...l.filter((a) => now.includes(a)), ...now.filter((a) => !l.includes(a))];
    this.opts.logger?.debug('rebalanced servers', { first: this.list[0] ?? '' });
    return true;
  }

  /**
   * Consul's refreshServerRebalanceTimer: the next rebalance comes after max(reuse, members /
   * (servers × 64) s), where reuse is 120 s plus up to half of it at random.
   */
  rebalanceIntervalMs(): number {
    const servers = this.sync().length;
    const reuse = CLIENT_RPC_MIN_REUSE_MS + this.random.int(Math.floor(CLIENT_RPC_MIN_REUSE_MS / CLIENT_RPC_JITTER_FRACTION));
    const rate = servers * REBALANCE_CONNS_PER_SEC_PER_SERVER;
    if (rate <= 0) return reuse;
    const scaled = (1000 * Math.max(1, this.opts.numNodes?.() ?? 1)) / rate;
    return Math.max(reuse, scaled);
  }

  /** Starts the periodic rebalance on the clock; returns the function that stops it. */
  start(): () => void {
    const clock = this.opts.clock;
    if (!clock) throw new Error('ServerPool.start needs a clock');
    this.stopped = false;
    const arm = (): void => {
      if (this.stopped) return;
      this.timer = clock.setTimeout(() => {
        void this.rebalance().finally(arm);
      }, this.rebalanceIntervalMs());
    };
    arm();
    return () => {
      this.stopped = true;
      this.timer?.cancel();
    };
  }

  /**
   * Brings the list in line with the source: known servers keep their order, new ones go last
   * (shuffled when the list was empty). A source that hands back the array it returned last time
   * has not changed (see serverAddresses), so that costs one comparison.
   */
  private sync(): string[] {
    const current = this.source();
    if (current === this.synced) return this.list;
    this.synced = current;
    const l = this.list;
    if (l.length === current.length && l.every((a) => current.includes(a))) return l;
    const kept = l.filter((a) => current.includes(a));
    const added = current.filter((a) => !kept.includes(a));
    this.list = kept.length === 0 ? this.shuffle([...added]) : [...kept, ...added];
    return this.list;
  }

  private shuffle(a: string[]): string[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}
