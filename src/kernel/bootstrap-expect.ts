import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import { MemberStatus, type Membership } from '../../contracts/ports/membership.js';
import type { RaftPeer } from '../consensus/raft-api.js';
import { serverParts, type ServerParts } from '../membership/server-parts.js';

/** How often a peer that could not be asked is asked again (Consul backs off from 1 s). */
export const PEER_RETRY_MS = 1_000;

/** What BootstrapExpect is built from. */
export interface BootstrapExpectDeps {
  /** bootstrap_expect: how many servers to wait for (> 0). */
  expect: number;
  /** This server's datacenter (only its servers count). */
  datacenter: string;
  /** The LAN pool: its alive servers are counted on every join and update. */
  membership: Pick<Membership, 'members' | 'onEvent'>;
  /** True when this server already has Raft state (then bootstrap is disabled for good). */
  hasRaftState: () => boolean;
  /** Status.Peers of the server at `address` (stale allowed): a non-empty answer means a cluster exists. */
  peersOf: (address: string) => Promise<string[]>;
  /** hashicorp/raft's BootstrapCluster with the servers found. */
  bootstrap: (servers: RaftPeer[]) => Promise<void>;
  clock: Clock;
  logger: Logger;
}

/**
 * Consul's bootstrap_expect (agent/consul/server_serf.go maybeBootstrap): while this server has
 * no Raft state, every time the pool reports a join or an update (and once at start) it counts
 * the alive servers of its datacenter. A server whose `expect` tag differs, or one in bootstrap
 * mode, stops the attempt with Consul's error line. Once `expect` voters are seen, each of them
 * is asked for its Raft peers: any that has some means a cluster exists (this server waits to be
 * added by its leader, bootstrap disabled); one that cannot be asked is asked again later.
 * Otherwise Raft is bootstrapped with all of them (ids from the `id` tag, addresses from the
 * member address and `port` tag). After a bootstrap attempt, successful or not, or once Raft
 * state is found, it never tries again.
 */
export class BootstrapExpect {
  private done = false;
  private running = false;
  private again = false;
  private off: (() => void) | undefined;
  private retry: TimerHandle | undefined;
  /** Settles when the attempt in flight (if any) does: for tests. */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BootstrapExpectDeps) {}

  /** Starts watching the pool (and checks at once). */
  start(): void {
    this.off = this.deps.membership.onEvent((e) => {
      if (e.type === 'join' || e.type === 'update') this.check();
    });
    this.check();
  }

  /** Stops watching; an attempt in flight finishes but nothing new starts. */
  stop(): void {
    this.done = true;
    this.off?.();
    this.off = undefined;
    this.retry?.cancel();
    this.retry = undefined;
  }

  /** True once bootstrap was attempted or disabled (nothing more will happen). */
  finished(): boolean {
    return this.done;
  }

  /** Resolves when no attempt is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.inFlight;
  }

  /** Runs one bootstrap check now (coalesced with one in flight). */
  check(): void {
    if (this.done) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.inFlight = this.attempt()
      .catch((e: unknown) => this.deps.logger.error('Failed to bootstrap cluster', { error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.running = false;
        if (this.again && !this.done) {
          this.again = false;
          this.check();
        }
      });
  }

  private finish(): void {
    this.stop();
  }

  private async attempt(): Promise<void> {
    const { deps } = this;
    const log = deps.logger;
    if (deps.hasRaftState()) {
      log.info('Raft data found, disabling bootstrap mode');
      this.finish();
      return;
    }
    const servers: ServerParts[] = [];
    let voters = 0;
    for (const m of deps.membership.members()) {
      if (m.Status !== MemberStatus.Alive) continue;
      const p = serverParts(m);
      if (!p) continue;
      if (p.datacenter !== deps.datacenter) {
        log.warn('Member has a conflicting datacenter, ignoring', { member: m.Name });
        continue;
      }
      if (p.expect !== 0 && p.expect !== deps.expect) {
        log.error('Member has a conflicting expect value. All nodes should expect the same number.', { member: m.Name, expect: p.expect });
        return;
      }
      if (p.bootstrap) {
        log.error('Member has bootstrap mode. Expect disabled.', { member: m.Name });
        return;
      }
      if (!p.nonVoter) voters++;
      servers.push(p);
    }
    if (voters < deps.expect) return;

    for (const s of servers) {
      let peers: string[];
      try {
        peers = await deps.peersOf(s.address);
      } catch (e) {
        log.error('Failed to confirm peer status for server (will retry).', { server: s.name, error: e instanceof Error ? e.message : String(e) });
        this.scheduleRetry();
        return;
      }
      if (this.done) return;
      if (peers.length > 0) {
        log.info('Existing Raft peers reported by server, disabling bootstrap mode', { server: s.name });
        this.finish();
        return;
      }
    }
    if (deps.hasRaftState()) {
      log.info('Raft data found, disabling bootstrap mode');
      this.finish();
      return;
    }
    const configuration = servers.map((s) => ({ id: s.id, address: s.address, voter: !s.nonVoter }));
    log.info('Found expected number of peers, attempting bootstrap', { peers: servers.map((s) => s.address).join(',') });
    this.finish(); // bootstrapping complete, or failed for some reason: never again
    await deps.bootstrap(configuration);
  }

  private scheduleRetry(): void {
    if (this.retry || this.done) return;
    this.retry = this.deps.clock.setTimeout(() => {
      this.retry = undefined;
      this.check();
    }, PEER_RETRY_MS);
  }
}
