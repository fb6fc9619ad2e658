import { availableParallelism } from 'node:os';
import type { Logger } from '../../contracts/platform.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type { KeyringOperation, KeyringResult } from '../../contracts/model/keyring.js';
import type { AgentSelf, AgentService, KeyringOptions, Member } from '../../contracts/services/agent-service.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';

/** Sextant has no WAN pool yet: what a server answers to a WAN join or force-leave. */
const NO_WAN_POOL = 'WAN pool is not implemented by Sextant yet: servers of other datacenters cannot be joined';

/** serf's relay factor limit (Consul's ParseRelayFactor). */
const MAX_RELAY_FACTOR = 5;

/**
 * The agent's view of itself: /v1/agent/self, the member list (from the Membership port:
 * this agent alone until gossip provides the pool), reload, and the pool operations a user asks
 * for (join, leave, force-leave, keyring), logged as Consul's agent logs them.
 */
export class LocalAgent implements AgentService {
  constructor(
    private readonly deps: {
      /** The live runtime config (it changes on reload). */
      config: () => RuntimeConfig;
      /** The leader's RPC address as this agent knows it ('' when unknown or on a client). */
      leaderAddress: () => string;
      version: string;
      /** The LAN pool: this agent's member (self().Member) and the member list. */
      membership: Pick<Membership, 'localMember' | 'members' | 'join' | 'leave' | 'forceLeave' | 'keyring'>;
      /** The agent's logger (`agent: (LAN) joining`, ...). */
      logger: Logger;
      /** The graceful leave when it is more than leaving the pool (a server's Consul Server.Leave); it leaves the pool itself. */
      leave?: () => Promise<void>;
      /** Starts the agent's shutdown after a graceful leave; does not wait for it. */
      shutdown: () => void;
      /** Re-reads and applies the config; rejects with CONFIG_INVALID keeping the old one. */
      reload: () => Promise<void>;
      /** Counts of the agent's local services and checks (Stats.agent). */
      localStats?: () => { services: number; checks: number; checkTtls: number; checkMonitors: number };
      /** This server's Raft counters in hashicorp/raft's shape (Stats.raft); absent on a client agent. */
      raftStats?: () => Record<string, string>;
    },
  ) {}

  self(): AgentSelf {
    const c = this.deps.config();
    return {
      Config: {
        Datacenter: c.datacenter,
        PrimaryDatacenter: c.datacenter,
        NodeName: c.nodeName,
        NodeID: c.nodeId,
        Server: c.server,
        Revision: 'sextant',
        Version: this.deps.version,
        BuildDate: '',
      },
      DebugConfig: {
        Datacenter: c.datacenter,
        NodeName: c.nodeName,
        DataDir: c.dataDir ?? '',
        ClientAddrs: c.clientAddrs,
        BindAddr: c.bindAddr,
        AdvertiseAddrLAN: c.advertiseAddr,
        ServerMode: c.server,
        Bootstrap: c.bootstrap,
        BootstrapExpect: c.bootstrapExpect,
        HTTPPort: c.ports.http,
        DNSPort: c.ports.dns,
        ServerPort: c.ports.server,
        LogLevel: c.logLevel.toUpperCase(),
        KVMaxValueSize: c.limits.kvMaxValueSize,
        DevMode: c.dev,
      },
      Member: this.deps.membership.localMember(),
      Stats: this.stats(),
      Meta: { ...c.nodeMeta },
    };
  }

  /** Consul's Agent.Stats(): sections and keys in the sorted order Go's JSON encoder writes maps in. */
  private stats(): Record<string, Record<string, string>> {
    const c = this.deps.config();
    const local = this.deps.localStats?.() ?? { services: 0, checks: 0, checkTtls: 0, checkMonitors: 0 };
    const raft = c.server ? this.deps.raftStats?.() : undefined;
    return {
      agent: {
        check_monitors: String(local.checkMonitors),
        check_ttls: String(local.checkTtls),
        checks: String(local.checks),
        services: String(local.services),
      },
      build: { prerelease: '', revision: 'sextant', version: this.deps.version, version_metadata: '' },
      consul: {
        acl: 'disabled',
        bootstrap: String(c.bootstrap),
        known_datacenters: '1',
        leader: String(raft ? raft['state'] === 'Leader' : false),
        leader_addr: this.deps.leaderAddress(),
        server: String(c.server),
      },
      ...(raft ? { raft } : {}),
      runtime: {
        arch: process.arch,
        cpu_count: String(availableParallelism()),
        goroutines: String(process.getActiveResourcesInfo().length), // Node's analogue: active handles and requests
        max_procs: String(availableParallelism()),
        os: process.platform,
        version: process.version,
      },
      serf_lan: this.serfStats(),
    };
  }

  /** serf's Stats() shape for the LAN pool, from the member list (queues and Lamport times are 0 until gossip reports them). */
  private serfStats(): Record<string, string> {
    const members = this.deps.membership.members();
    const count = (status: number): string => String(members.filter((m) => m.Status === status).length);
    return {
      coordinate_resets: '0',
      encrypted: String(this.deps.config().encrypt !== ''),
      event_queue: '0',
      event_time: '1',
      failed: count(4),
      health_score: '0',
      intent_queue: '0',
      left: count(3),
      member_time: '1',
      members: String(members.length),
      query_queue: '0',
      query_time: '1',
    };
  }

  /** The LAN pool; the WAN pool is empty (Consul's client has none; Sextant's servers have none yet). */
  members(wan: boolean): Member[] {
    return wan ? [] : this.deps.membership.members();
  }

  reload(): Promise<void> {
    return this.deps.reload();
  }

  /** Consul's Agent.JoinLAN, with its log lines; a WAN join is refused (no WAN pool). */
  async join(addresses: readonly string[], wan: boolean): Promise<number> {
    const log = this.deps.logger;
    if (wan) {
      log.info('(WAN) joining', { wan_addresses: addresses });
      const e = new SextantError(ErrorCode.NotImplemented, this.deps.config().server ? NO_WAN_POOL : 'Must be a server to join WAN cluster');
      log.warn("(WAN) couldn't join", { number_of_nodes: 0, error: e.message });
      throw e;
    }
    log.info('(LAN) joining', { lan_addresses: addresses });
    try {
      const n = await this.deps.membership.join(addresses, false);
      log.info('(LAN) joined', { number_of_nodes: n });
      return n;
    } catch (e) {
      log.warn("(LAN) couldn't join", { number_of_nodes: 0, error: e });
      throw e;
    }
  }

  /** Consul's Leave then ShutdownAgent: the pool is left, then the agent's shutdown starts. */
  async leave(): Promise<void> {
    await (this.deps.leave ? this.deps.leave() : this.deps.membership.leave());
    this.deps.shutdown();
  }

  /** Consul's Agent.ForceLeave: `No node found` for a name the pool does not know. */
  async forceLeave(node: string, prune: boolean, wan: boolean): Promise<void> {
    const log = this.deps.logger;
    if (wan) {
      log.info('(WAN) Force leaving node', { node });
      throw new SextantError(ErrorCode.NotImplemented, this.deps.config().server ? NO_WAN_POOL : 'Must be a server to force-leave a node from the WAN cluster');
    }
    log.info('Force leaving node', { node });
    if (!this.deps.membership.members().some((m) => m.Name === node)) {
      throw new SextantError(ErrorCode.NotFound, `agent: No node found with name '${node}'`);
    }
    try {
      await this.deps.membership.forceLeave(node, prune);
    } catch (e) {
      log.warn('Failed to remove node', { node, error: e });
      throw e;
    }
  }

  /** Consul's keyring operations, with its relay-factor and local-only checks. */
  keyring(operation: KeyringOperation, key: string | undefined, opts: KeyringOptions): Promise<KeyringResult> {
    if (!Number.isInteger(opts.relayFactor) || opts.relayFactor < 0 || opts.relayFactor > MAX_RELAY_FACTOR) {
      return Promise.reject(new SextantError(ErrorCode.BadRequest, `Relay factor must be in range: [0, ${MAX_RELAY_FACTOR}]`));
    }
    if (opts.localOnly && operation !== 'list') {
      return Promise.reject(new SextantError(ErrorCode.BadRequest, 'local-only can only be set for list requests'));
    }
    return this.deps.membership.keyring(operation, key, opts);
  }
}
