import type { KvEntry } from '../../../contracts/model/kv.js';
import type { QueryOptions, QueryResult, RequestContext } from '../../../contracts/model/query.js';
import { checkDatacenter } from '../../../src/rpc/datacenter-check.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import type { AgentSelf, AgentService, KeyringOptions, Member } from '../../../contracts/services/agent-service.js';
import type { KeyringOperation, KeyringResult } from '../../../contracts/model/keyring.js';
import type { KvOp, KvService } from '../../../contracts/services/kv-service.js';
import type { StatusService } from '../../../contracts/services/status-service.js';

/** In-test fakes of the services the REST surface calls (the real stack is tested end to end elsewhere). */

export function testConfig(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return {
    datacenter: 'dc1',
    nodeName: 'node-a',
    nodeId: '',
    nodeMeta: {},
    dataDir: undefined,
    dev: false,
    server: true,
    bootstrap: false,
    bootstrapExpect: 1,
    bindAddr: '127.0.0.1',
    advertiseAddr: '127.0.0.1',
    clientAddrs: ['127.0.0.1'],
    ports: { http: 0, https: -1, dns: -1, grpc: -1, server: 8300, serfLan: 8301, serfWan: 8302 },
    logLevel: 'info',
    logJson: false,
    enableScriptChecks: false,
    enableLocalScriptChecks: false,
    domain: 'consul.',
    altDomain: '',
    recursors: [],
    limits: { kvMaxValueSize: 512 * 1024, txnMaxReqLen: 512 * 1024, httpMaxConnsPerClient: 200 },
    defaultQueryTimeMs: 300_000,
    maxQueryTimeMs: 600_000,
    sessionTtlMinMs: 10_000,
    raft: { snapshotThreshold: 16384, snapshotIntervalMs: 120_000, trailingLogs: 10240, multiplier: 1 },
    autopilot: { cleanupDeadServers: true, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 0, serverStabilizationTimeMs: 10_000 },
    ui: false,
    uiContentPath: '/ui/',
    pidFile: undefined,
    startJoin: [],
    retryJoin: [],
    retryIntervalMs: 30_000,
    retryMax: 0,
    rejoinAfterLeave: false,
    leaveOnTerminate: false,
    skipLeaveOnInterrupt: true,
    encrypt: '',
    encryptVerifyIncoming: true,
    encryptVerifyOutgoing: true,
    disableKeyringFile: false,
    serfLanBindAddr: '127.0.0.1',
    gossipLan: { gossipIntervalMs: 200, gossipNodes: 3, probeIntervalMs: 1000, probeTimeoutMs: 500, retransmitMult: 4, suspicionMult: 4 },
    reconnectTimeoutMs: 72 * 3600_000,
    disableCoordinates: false,
    services: [],
    checks: [],
    plugins: [],
    pluginConfig: {},
    adapters: {},
    extra: {},
    sources: [],
    ...overrides,
  };
}

/** A simple in-memory KvService with real blocking (any write wakes every waiter). */
export class FakeKv implements KvService {
  readonly entries = new Map<string, KvEntry>();
  private readonly tombstones = new Map<string, number>();
  index = 1;
  knownLeader = true;
  lastContactMs = 0;
  /** Every QueryOptions a read received, in order. */
  readonly reads: QueryOptions[] = [];
  /** Every op applied (or attempted), in order. */
  readonly ops: KvOp[] = [];
  /** When set, the next call (read or write) rejects with it. */
  failNext: unknown;
  private waiters = new Set<() => void>();

  waiterCount(): number {
    return this.waiters.size;
  }

  private takeFailure(): void {
    if (this.failNext !== undefined) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
  }

  private async block<T>(opts: QueryOptions, run: () => QueryResult<T>): Promise<QueryResult<T>> {
    this.reads.push(opts);
    checkDatacenter(opts.datacenter, 'dc1'); // the forward step's check, which the real RPC layer runs
    this.takeFailure();
    let res = run();
    if (opts.minIndex === 0 || res.meta.index > opts.minIndex) return res;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        opts.signal?.removeEventListener('abort', finish);
        resolve();
      };
      const wake = (): void => {
        if (run().meta.index > opts.minIndex) finish();
      };
      timer = setTimeout(finish, opts.waitMs);
      this.waiters.add(wake);
      if (opts.signal?.aborted) finish();
      else opts.signal?.addEventListener('abort', finish);
    });
    res = run();
    return res;
  }

  private meta(index: number): QueryResult<never>['meta'] {
    return { index: Math.max(1, index), knownLeader: this.knownLeader, lastContactMs: this.lastContactMs };
  }

  private prefixIndex(prefix: string): number {
    if (prefix === '') return this.index;
    let max = 0;
    for (const e of this.entries.values()) if (e.key.startsWith(prefix)) max = Math.max(max, e.modifyIndex);
    for (const [k, i] of this.tombstones) if (k.startsWith(prefix)) max = Math.max(max, i);
    return max;
  }

  private sorted(prefix: string): KvEntry[] {
    return [...this.entries.values()].filter((e) => e.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  get(key: string, opts: QueryOptions): Promise<QueryResult<KvEntry | null>> {
    return this.block(opts, () => {
      const e = this.entries.get(key) ?? null;
      return { value: e, meta: this.meta(e ? e.modifyIndex : this.index) };
    });
  }

  list(prefix: string, opts: QueryOptions): Promise<QueryResult<KvEntry[]>> {
    return this.block(opts, () => ({ value: this.sorted(prefix), meta: this.meta(this.prefixIndex(prefix)) }));
  }

  keys(prefix: string, separator: string, opts: QueryOptions): Promise<QueryResult<string[]>> {
    return this.block(opts, () => {
      const out: string[] = [];
      for (const e of this.sorted(prefix)) {
        let k = e.key;
        if (separator !== '') {
          const at = k.indexOf(separator, prefix.length);
          if (at >= 0) k = k.slice(0, at + separator.length);
        }
        if (out[out.length - 1] !== k) out.push(k);
      }
      return { value: out, meta: this.meta(this.prefixIndex(prefix)) };
    });
  }

  async apply(op: KvOp, ctx?: RequestContext): Promise<boolean> {
    checkDatacenter(ctx?.datacenter, 'dc1');
    this.ops.push(op);
    this.takeFailure();
    const idx = this.index + 1;
    const write = (key: string, value: Uint8Array, flags: string): void => {
      const old = this.entries.get(key);
      this.entries.set(key, {
        key,
        value: new Uint8Array(value),
        flags,
        createIndex: old?.createIndex ?? idx,
        modifyIndex: idx,
        lockIndex: old?.lockIndex ?? 0,
        session: old?.session ?? '',
      });
    };
    const del = (key: string): void => {
      if (this.entries.delete(key)) this.tombstones.set(key, idx);
    };
    let ok = true;
    switch (op.verb) {
      case 'set':
        write(op.key, op.value, op.flags);
        break;
      case 'cas': {
        const cur = this.entries.get(op.key);
        ok = op.index === 0 ? cur === undefined : cur !== undefined && cur.modifyIndex === op.index;
        if (ok) write(op.key, op.value, op.flags);
        break;
      }
      case 'delete':
        del(op.key);
        break;
      case 'delete-cas': {
        const cur = this.entries.get(op.key);
        ok = cur === undefined ? true : op.index !== 0 && cur.modifyIndex === op.index;
        if (ok) del(op.key);
        break;
      }
      case 'delete-tree':
        for (const k of [...this.entries.keys()]) if (k.startsWith(op.prefix)) del(k);
        break;
    }
    if (ok) {
      this.index = idx;
      for (const w of [...this.waiters]) w();
    }
    return ok;
  }
}

export class FakeStatus implements StatusService {
  leaderAddr = '127.0.0.1:8300';
  peerList = ['127.0.0.1:8300', '127.0.0.2:8300'];
  async leader(ctx?: RequestContext): Promise<string> {
    checkDatacenter(ctx?.datacenter, 'dc1');
    return this.leaderAddr;
  }
  async peers(ctx?: RequestContext): Promise<string[]> {
    checkDatacenter(ctx?.datacenter, 'dc1');
    return this.peerList;
  }
}

export function member(name: string, overrides: Partial<Member> = {}, tags: Record<string, string> = {}): Member {
  return {
    Name: name,
    Addr: '127.0.0.1',
    Port: 8301,
    Tags: { role: 'consul', dc: 'dc1', vsn: '2', build: '0.1.0:sextant', ...tags },
    Status: 1,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
    ...overrides,
  };
}

export class FakeAgent implements AgentService {
  lan: Member[] = [member('node-a')];
  wan: Member[] = [member('node-a.dc1', { Port: 8302 })];
  reloads = 0;
  reloadError: unknown;
  self(): AgentSelf {
    return { Config: { Datacenter: 'dc1', NodeName: 'node-a', Version: '0.1.0' }, Member: this.lan[0]!, Stats: {}, Meta: {} };
  }
  members(wan: boolean): Member[] {
    return wan ? this.wan : this.lan;
  }
  async reload(): Promise<void> {
    this.reloads++;
    if (this.reloadError !== undefined) throw this.reloadError;
  }
  /** Every join asked for, in order. */
  joins: { addresses: readonly string[]; wan: boolean }[] = [];
  /** When set, join rejects with it. */
  joinError: unknown;
  async join(addresses: readonly string[], wan: boolean): Promise<number> {
    this.joins.push({ addresses: [...addresses], wan });
    if (this.joinError !== undefined) throw this.joinError;
    return addresses.length;
  }
  leaves = 0;
  async leave(): Promise<void> {
    this.leaves++;
  }
  /** Every force-leave asked for, in order. */
  forceLeaves: { node: string; prune: boolean; wan: boolean }[] = [];
  forceLeaveError: unknown;
  async forceLeave(node: string, prune: boolean, wan: boolean): Promise<void> {
    this.forceLeaves.push({ node, prune, wan });
    if (this.forceLeaveError !== undefined) throw this.forceLeaveError;
  }
  /** Every keyring request, in order. */
  keyrings: { operation: KeyringOperation; key: string | undefined; opts: KeyringOptions }[] = [];
  keyringResult: KeyringResult = { messages: {}, numNodes: 1, numResp: 1, numErr: 0, keys: {}, primaryKeys: {} };
  keyringError: unknown;
  async keyring(operation: KeyringOperation, key: string | undefined, opts: KeyringOptions): Promise<KeyringResult> {
    this.keyrings.push({ operation, key, opts });
    if (this.keyringError !== undefined) throw this.keyringError;
    return structuredClone(this.keyringResult);
  }
}
