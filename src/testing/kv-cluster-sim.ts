import type { KvEntry } from '../../contracts/model/kv.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { MemoryNetworkOptions } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import type { RaftPeer } from '../consensus/raft-api.js';
import { RaftServer } from '../consensus/raft-server.js';
import type { RaftServerOptions } from '../consensus/raft-server-options.js';
import { CatalogEndpoint } from '../rpc/catalog-endpoint.js';
import { KvEndpoint } from '../rpc/kv-endpoint.js';
import { SessionEndpoint } from '../rpc/session-endpoint.js';
import { MethodTable } from '../rpc/method-table.js';
import { RpcRouter } from '../rpc/rpc-router.js';
import { StateStore } from '../state/state-store.js';
import type { Operation } from './linearizability/history.js';
import type { KvInput, KvOutput } from './linearizability/kv-model.js';
import type { LockInput, LockOutput } from './linearizability/lock-model.js';
import { SeededRandom } from './seeded-random.js';
import { SimCluster } from './sim-cluster.js';
import { SimStorage } from './sim-storage.js';

/** Options of a simulated KV cluster. */
export interface KvClusterSimOptions {
  seed: number;
  /** Number of servers (ids n1..nN), all bootstrapped as voters. */
  nodes: number;
  /** Raft tunables; defaults are scaled down for simulation (election 100 ms, heartbeat 20 ms). */
  raft?: RaftServerOptions;
  network?: MemoryNetworkOptions;
}

/** One simulated server: Raft, the real replicated state, the KV endpoint and the RPC router's forward step. */
export interface KvSimNode {
  readonly id: string;
  readonly storage: SimStorage;
  store: StateStore;
  transport: MemoryTransport;
  server: RaftServer;
  router: RpcRouter;
  incarnation: number;
  alive: boolean;
}

const CONSISTENT: QueryOptions = Object.freeze({ minIndex: 0, waitMs: 0, consistency: 'consistent' });
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Whole servers in the deterministic simulation: each runs Raft over the memory network on
 * crashable SimStorage, the real StateStore as its state machine, the real KvEndpoint, and the
 * real RpcRouter (so followers forward to the leader exactly as in the agent). Clients call a
 * random live server's router as the REST surface would and every call is recorded as a
 * linearizability history (KVS.Get in `?consistent` mode, set, cas from the ModifyIndex the
 * client last read, delete); a write that failed is an operation whose outcome is unknown.
 */
export class KvClusterSim extends SimCluster {
  readonly nodes = new Map<string, KvSimNode>();
  readonly ids: string[];
  readonly history: Operation<KvInput, KvOutput>[] = [];
  /** The lock workload's history (acquire/release with sessions). */
  readonly lockHistory: Operation<LockInput, LockOutput>[] = [];
  private readonly raft: RaftServerOptions;
  private stopped = false;

  constructor(readonly opts: KvClusterSimOptions) {
    super(opts.seed, opts.network);
    this.raft = { electionMs: 100, heartbeatMs: 20, snapshotThreshold: 64, trailingLogs: 16, ...opts.raft };
    this.ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  }

  /** Creates and starts every server. */
  async start(): Promise<void> {
    await this.await(Promise.all(this.ids.map((id) => this.boot(id, new SimStorage(this.clock, 1), 0))));
  }

  /** See SimCluster.leaderId: the live leader with the highest term. */
  leaderId(): string | undefined {
    let best: KvSimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.alive && n.server.isLeader() && (!best || n.server.stats().term > best.server.stats().term)) best = n;
    }
    return best?.id;
  }

  /** See SimCluster.server. */
  protected server(id: string): KvSimNode {
    return this.nodes.get(id)!;
  }

  /**
   * Runs `clients` concurrent clients on `keys` keys for `ms` of simulated time, each issuing
   * one operation at a time (get 40%, set 25%, cas 25%, delete 10%) through a random live
   * server, with a random think time of 0–20 ms; with `faults`, one random fault every `everyMs`.
   */
  async workload(spec: { clients: number; keys: number; ms: number; faults?: boolean; everyMs?: number; locks?: boolean }): Promise<void> {
    const end = this.clock.now() + spec.ms;
    const loops = Array.from({ length: spec.clients }, (_, c) => (spec.locks ? this.lockClient(c, spec.keys, end) : this.client(c, spec.keys, end)));
    if (spec.faults) {
      while (this.clock.now() < end) {
        await this.randomFault();
        await this.runFor(spec.everyMs ?? 150);
      }
    } else {
      await this.runFor(spec.ms);
    }
    await this.await(Promise.all(loops));
  }

  /** Heals everything, restarts crashed servers and runs until every server has applied what the leader committed. */
  async settle(maxMs = 20_000): Promise<boolean> {
    this.heal();
    this.network.setDelay(1, 5);
    for (const id of this.ids) if (!this.isAlive(id)) await this.restart(id);
    return this.runUntil(() => {
      const l = this.leaderId();
      if (!l) return false;
      const c = this.nodes.get(l)!.server.stats().commitIndex;
      return [...this.nodes.values()].every((n) => n.alive && n.server.stats().appliedIndex === c);
    }, maxMs);
  }

  /** Every live server's KV content (key → value) as text, for comparing replicas. */
  replicas(): Map<string, string> {
    const out = new Map<string, string>();
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      const entries = n.store.kv.list('').value.map((e: KvEntry) => `${e.key}=${dec.decode(e.value)}@${e.modifyIndex}`);
      out.set(n.id, entries.join(' '));
    }
    return out;
  }

  /** Stops every server and the clients. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      n.alive = false;
      await n.transport.close();
      await this.await(n.server.stop());
    }
  }

  /** Nothing beyond what Raft checks itself (the history is checked at the end); progress goes into the trace. */
  protected check(): void {
    if (this.steps % 100 !== 0) return;
    this.trace(`${this.clock.now()} ${[...this.nodes.values()].map((n) => `${n.id}:${n.alive ? n.server.stats().commitIndex : '-'}`).join(' ')}`);
  }

  private peers(): RaftPeer[] {
    return this.ids.map((id) => ({ id, address: id, voter: true }));
  }

  protected async boot(id: string, storage: SimStorage, incarnation: number): Promise<void> {
    const store = new StateStore();
    const transport = new MemoryTransport(this.network, id);
    await transport.start();
    const server = new RaftServer({
      id,
      address: id,
      bootstrap: this.peers(),
      storage,
      stateMachine: store,
      transport,
      clock: this.clock,
      random: new SeededRandom((this.opts.seed * 7919 + this.ids.indexOf(id) * 104729 + incarnation) >>> 0),
      logger: this.logger.child(id),
      options: this.raft,
    });
    const kv = new KvEndpoint({
      store,
      raft: server,
      clock: this.clock,
      random: this.random,
      config: { kvMaxValueSize: 512 * 1024, defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 },
    });
    const queryTimes = { defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 };
    const catalog = new CatalogEndpoint({ store, raft: server, clock: this.clock, config: { datacenter: 'dc1', ...queryTimes } });
    const sessions = new SessionEndpoint({ store, raft: server, clock: this.clock, random: this.random, config: { nodeName: id, sessionTtlMinMs: 10_000, ...queryTimes } });
    const table = new MethodTable();
    table.register('KVS.Apply', 'write', (a) => kv.apply(a.op));
    table.register('KVS.Get', 'read', (a, ctx) => kv.get(a.key, ctx));
    table.register('Catalog.Register', 'write', async (a) => (await catalog.register(a.req), null));
    table.register('Session.Apply', 'write', (a) => (a.op === 'create' ? sessions.create(a.req) : sessions.destroy(a.id)));
    const router = new RpcRouter({
      role: { kind: 'server', table, raft: server, ownAddress: () => id },
      datacenter: () => 'dc1',
      streams: transport,
      clock: this.clock,
      logger: this.logger.child(`${id}.rpc`),
      holdTimeoutMs: 2_000,
    });
    router.listen();
    this.nodes.set(id, { id, storage, store, transport, server, router, incarnation, alive: false });
    server.onLeadershipChange((l) => this.trace(`${id}#${incarnation} leader=${l}`));
    await server.start();
    this.nodes.get(id)!.alive = true;
  }

  /** One client: sequential operations until `end`, each recorded in the history. */
  private async client(c: number, keys: number, end: number): Promise<void> {
    const lastRead = new Map<string, { value: string | null; index: number }>();
    for (let seq = 0; this.clock.now() < end && !this.stopped; seq++) {
      const router = this.randomRouter();
      if (router) {
        const key = `k${this.random.int(keys)}`;
        const r = this.random.int(20);
        const value = `c${c}-${seq}`;
        const call = this.clock.now();
        if (r < 8) {
          try {
            const res = (await router.call('KVS.Get', { key }, CONSISTENT)) as QueryResult<KvEntry | null>;
            const v = res.value ? dec.decode(res.value.value) : null;
            lastRead.set(key, { value: v, index: res.value?.modifyIndex ?? 0 });
            this.record(c, call, { op: 'get', key }, { value: v });
          } catch {
            // A read that failed had no effect: it is left out of the history.
          }
        } else {
          const prior = lastRead.get(key) ?? { value: null, index: 0 };
          const input: KvInput =
            r < 13 ? { op: 'put', key, value } : r < 18 ? { op: 'cas', key, expect: prior.value, value } : { op: 'delete', key };
          const op =
            input.op === 'put'
              ? { verb: 'set' as const, key, value: enc.encode(value), flags: '0' }
              : input.op === 'cas'
                ? { verb: 'cas' as const, key, value: enc.encode(value), flags: '0', index: prior.index }
                : { verb: 'delete' as const, key };
          try {
            const ok = (await router.call('KVS.Apply', { op }, CONSISTENT)) as boolean;
            this.record(c, call, input, { ok });
          } catch {
            this.history.push({ clientId: c, input, call, return: Infinity, output: undefined });
          }
        }
      }
      await this.sleep(this.random.int(21));
    }
  }

  /**
   * One lock client: registers its node and creates a session (retrying through faults), then
   * acquires (60%) or releases (40%) one of `keys` lock keys with it until `end`; each call is
   * recorded in `lockHistory` (a failed call as an operation whose outcome is unknown).
   */
  private async lockClient(c: number, keys: number, end: number): Promise<void> {
    const node = `client-${c}`;
    let session: string | undefined;
    while (session === undefined && this.clock.now() < end && !this.stopped) {
      const router = this.randomRouter();
      if (router) {
        try {
          await router.call('Catalog.Register', { req: { Node: node, Address: `10.1.0.${c + 1}` } }, CONSISTENT);
          session = (await router.call('Session.Apply', { op: 'create', req: { Node: node, LockDelay: 0, NodeChecks: [], Name: node } }, CONSISTENT)) as string;
        } catch {
          // retried: a session that may have been created unseen is simply never used
        }
      }
      if (session === undefined) await this.sleep(10 + this.random.int(20));
    }
    for (let seq = 0; session !== undefined && this.clock.now() < end && !this.stopped; seq++) {
      const router = this.randomRouter();
      if (router) {
        const key = `lock/${this.random.int(keys)}`;
        const acquire = this.random.int(10) < 6;
        const input: LockInput = { op: acquire ? 'acquire' : 'release', key, session };
        const value = enc.encode(`${node}-${seq}`);
        const op = acquire ? { verb: 'lock' as const, key, value, flags: '0', session } : { verb: 'unlock' as const, key, value, flags: '0', session };
        const call = this.clock.now();
        try {
          const ok = (await router.call('KVS.Apply', { op }, CONSISTENT)) as boolean;
          this.lockHistory.push({ clientId: c, input, call, return: this.clock.now(), output: { ok } });
        } catch {
          this.lockHistory.push({ clientId: c, input, call, return: Infinity, output: undefined });
        }
      }
      await this.sleep(this.random.int(21));
    }
  }

  /** The router of a random live server, or undefined when none runs. */
  private randomRouter(): RpcRouter | undefined {
    const live = this.ids.filter((id) => this.isAlive(id));
    return live.length === 0 ? undefined : this.nodes.get(live[this.random.int(live.length)]!)!.router;
  }

  private record(clientId: number, call: number, input: KvInput, output: KvOutput): void {
    this.history.push({ clientId, input, call, return: this.clock.now(), output });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}
