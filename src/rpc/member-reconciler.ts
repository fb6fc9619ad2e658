import type { CatalogNode, CatalogService, RegisterRequest } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';
import type { QueryOptions } from '../../contracts/model/query.js';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import { MemberStatus } from '../../contracts/ports/membership.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type { Member } from '../../contracts/services/agent-service.js';
import type { CatalogApi, HealthApi } from '../../contracts/services/catalog-service.js';
import type { LeaderJob } from '../kernel/leadership.js';
import {
  CONSUL_SERVICE_ID,
  CONSUL_SERVICE_NAME,
  SERF_HEALTH_ALIVE_OUTPUT,
  SERF_HEALTH_FAILED_OUTPUT,
  SERF_HEALTH_ID,
  SERF_HEALTH_NAME,
} from '../membership/leader-owned.js';

/** Consul's reconcile_interval: the leader re-reconciles the whole pool this often. */
export const RECONCILE_INTERVAL_MS = 60_000;

/** What MemberReconciler is built from. */
export interface MemberReconcilerDeps {
  /** The LAN pool to follow. */
  membership: Pick<Membership, 'members' | 'onEvent'>;
  /** Writes go through the catalog's Raft commands; reads are stale (the leader's own state). */
  catalog: Pick<CatalogApi, 'register' | 'deregister' | 'nodeServices'>;
  health: Pick<HealthApi, 'nodeChecks' | 'checksInState'>;
  /** This server's datacenter and node name (live). */
  local: () => { datacenter: string; nodeName: string };
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}

/** A member to reconcile: serf's status, or `reap` for a member forgotten for good. */
type Target = { member: Member; status: number | 'reap' };

const STALE: QueryOptions = { minIndex: 0, waitMs: 0, consistency: 'stale' };

/** Consul's metadata.IsConsulServer: a server of the pool and its RPC port, raft version and build. */
function serverParts(m: Member): { port: number; raftVersion: number; version: string } | undefined {
  if (m.Tags['role'] !== 'consul') return undefined;
  const port = Number(m.Tags['port']);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const raft = Number(m.Tags['raft_vsn'] ?? '1');
  const version = /\d+\.\d+\.\d+/.exec(m.Tags['build'] ?? '')?.[0] ?? '0.0.0';
  return { port, raftVersion: Number.isInteger(raft) ? raft : 1, version };
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/**
 * The leader's member reconciliation (Consul's agent/consul/leader.go reconcile,
 * reconcileMember, handleAliveMember, handleFailedMember, handleLeftMember/handleReapMember,
 * reconcileReaped): while this server leads, the catalog follows the pool. On establish, on
 * every member event and every reconcile_interval:
 *
 * - an alive member has its node (Address = member address, ID = tag `id`, existing
 *   TaggedAddresses and Meta kept) with `serfHealth` passing ("Agent alive and reachable"),
 *   and a server (tag role=consul) the `consul` service on its tag `port` with Consul's meta;
 * - a failed member's `serfHealth` turns critical ("Agent not live or unreachable"), its node
 *   left as it is;
 * - a left or reaped member's node is deregistered (never this server's own: its successor does
 *   that), and so is a catalog node with a `serfHealth` check that the pool no longer knows.
 *
 * Members of another datacenter or without a role tag are not this leader's. Every write is
 * preceded by a stale read of the node and skipped when it would change nothing. Writes go
 * through CatalogApi (the same Raft commands as /v1/catalog/register), so they replicate. A
 * node that does not exist yet is created with SkipNodeUpdate, so an anti-entropy write of the
 * same node's TaggedAddresses and Meta racing it is never overwritten. Work is serialized; a
 * failure is logged and retried at the next event or interval.
 */
export class MemberReconciler implements LeaderJob {
  readonly name = 'member reconciliation';
  private leading = false;
  private offEvents: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private wantFull = false;
  private readonly queue = new Map<string, Target>();
  private loop: Promise<void> | undefined;
  /** Catalog writes issued (register + deregister), for tests and metrics. */
  writes = 0;

  constructor(private readonly deps: MemberReconcilerDeps) {}

  /** This server leads: follows member events, reconciles the whole pool now and every interval. */
  establish(): void {
    if (this.leading) return;
    this.leading = true;
    this.offEvents = this.deps.membership.onEvent((e) => {
      for (const m of e.members) this.enqueue({ member: m, status: e.type === 'reap' ? 'reap' : m.Status });
    });
    this.timer = this.deps.clock.setInterval(() => this.requestFull(), this.deps.intervalMs ?? RECONCILE_INTERVAL_MS);
    this.requestFull();
  }

  /** Leadership ended: stops following and waits for the reconciliation in flight. Idempotent. */
  async revoke(): Promise<void> {
    this.leading = false;
    this.offEvents?.();
    this.offEvents = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    this.queue.clear();
    this.wantFull = false;
    await this.loop;
  }

  /** Resolves when no reconciliation is queued or running. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private requestFull(): void {
    this.wantFull = true;
    this.kick();
  }

  private enqueue(t: Target): void {
    if (!this.leading) return;
    this.queue.set(t.member.Name.toLowerCase(), t);
    this.kick();
  }

  private kick(): void {
    if (!this.leading || this.loop) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
    });
  }

  private async run(): Promise<void> {
    while (this.leading && (this.wantFull || this.queue.size > 0)) {
      if (this.wantFull) {
        this.wantFull = false;
        try {
          await this.reconcileAll();
        } catch (e) {
          this.deps.logger.error('failed to reconcile the pool with the catalog', { error: e });
        }
        continue;
      }
      const [key, target] = this.queue.entries().next().value as [string, Target];
      this.queue.delete(key);
      try {
        await this.reconcileMember(target);
      } catch (e) {
        this.deps.logger.error('failed to reconcile member', { member: target.member.Name, error: e });
      }
    }
  }

  /** Consul's reconcile: every member, then the catalog nodes the pool no longer knows. */
  private async reconcileAll(): Promise<void> {
    const members = this.deps.membership.members();
    const known = new Set<string>();
    for (const m of members) {
      if (!this.leading) return;
      known.add(m.Name.toLowerCase());
      await this.reconcileMember({ member: m, status: m.Status });
    }
    const checks = await this.deps.health.checksInState('any', {}, STALE);
    for (const check of checks.value) {
      if (!this.leading) return;
      if (check.CheckID !== SERF_HEALTH_ID || known.has(check.Node.toLowerCase())) continue;
      await this.deregisterMember('reaped', check.Node);
    }
  }

  private shouldHandle(m: Member): boolean {
    const role = m.Tags['role'];
    return (role === 'node' || (role === 'consul' && serverParts(m) !== undefined)) && m.Tags['dc'] === this.deps.local().datacenter;
  }

  private async reconcileMember(t: Target): Promise<void> {
    if (!this.leading) return;
    if (!this.shouldHandle(t.member)) {
      this.deps.logger.warn('skipping reconcile of node', { member: t.member.Name });
      return;
    }
    if (t.status === 'reap') return this.deregisterMember('reaped', t.member.Name);
    switch (t.status) {
      case MemberStatus.Alive:
        return this.handleAlive(t.member);
      case MemberStatus.Failed:
        return this.handleFailed(t.member);
      case MemberStatus.Left:
        return this.deregisterMember('left', t.member.Name);
      default:
        return undefined;
    }
  }

  private async readNode(name: string): Promise<{ node: CatalogNode; services: CatalogService[]; checks: HealthCheck[] } | undefined> {
    const ns = await this.deps.catalog.nodeServices(name, {}, STALE);
    if (!ns.value) return undefined;
    const checks = await this.deps.health.nodeChecks(name, {}, STALE);
    return { node: ns.value.Node, services: ns.value.Services, checks: checks.value };
  }

  private serfCheck(node: string, alive: boolean): NonNullable<RegisterRequest['Check']> {
    return {
      Node: node,
      CheckID: SERF_HEALTH_ID,
      Name: SERF_HEALTH_NAME,
      Status: alive ? 'passing' : 'critical',
      Notes: '',
      Output: alive ? SERF_HEALTH_ALIVE_OUTPUT : SERF_HEALTH_FAILED_OUTPUT,
      ServiceID: '',
      ServiceName: '',
      ServiceTags: [],
      Type: '',
    };
  }

  /** Consul's handleAliveMember. */
  private async handleAlive(m: Member): Promise<void> {
    const parts = serverParts(m);
    const service: RegisterRequest['Service'] | undefined = parts && {
      ID: CONSUL_SERVICE_ID,
      Service: CONSUL_SERVICE_NAME,
      Tags: [],
      Address: '',
      Port: parts.port,
      Meta: {
        non_voter: String(m.Tags['nonvoter'] === '1'),
        read_replica: String(m.Tags['read_replica'] === '1'),
        raft_version: String(parts.raftVersion),
        serf_protocol_current: String(m.ProtocolCur),
        serf_protocol_min: String(m.ProtocolMin),
        serf_protocol_max: String(m.ProtocolMax),
        version: parts.version,
      },
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
    };
    const id = m.Tags['id'] ?? '';
    const cur = await this.readNode(m.Name);
    if (cur && cur.node.Address === m.Addr) {
      const svc = service && cur.services.find((s) => s.ID === CONSUL_SERVICE_ID);
      const serviceOk = !service || (svc !== undefined && svc.Port === service.Port && sameMap(svc.Meta ?? {}, service.Meta));
      const passing = cur.checks.some((c) => c.CheckID === SERF_HEALTH_ID && c.Status === 'passing');
      if (serviceOk && passing) return;
    }
    if (!this.leading) return;
    this.deps.logger.info('member joined, marking health alive', { member: m.Name });
    // The node as it is when its ID and address already agree (or it does not exist yet).
    const keepNode = !cur || (cur.node.Address === m.Addr && (id === '' || cur.node.ID.toLowerCase() === id.toLowerCase()));
    const req: RegisterRequest = {
      Datacenter: this.deps.local().datacenter,
      Node: m.Name,
      ID: id,
      Address: m.Addr,
      ...(service ? { Service: service } : {}),
      Check: this.serfCheck(m.Name, true),
      ...(keepNode ? { SkipNodeUpdate: true } : { TaggedAddresses: { ...cur!.node.TaggedAddresses }, NodeMeta: { ...cur!.node.Meta } }),
    };
    this.writes++;
    await this.deps.catalog.register(req);
  }

  /** Consul's handleFailedMember. */
  private async handleFailed(m: Member): Promise<void> {
    const cur = await this.readNode(m.Name);
    if (!cur) {
      this.deps.logger.info('ignoring failed event for member because it does not exist in the catalog', { member: m.Name });
      return;
    }
    if (cur.node.Address === m.Addr && cur.checks.some((c) => c.CheckID === SERF_HEALTH_ID && c.Status === 'critical')) return;
    if (!this.leading) return;
    this.deps.logger.info('member failed, marking health critical', { member: m.Name });
    this.writes++;
    await this.deps.catalog.register({
      Datacenter: this.deps.local().datacenter,
      Node: m.Name,
      ID: m.Tags['id'] ?? '',
      Address: m.Addr,
      Check: this.serfCheck(m.Name, false),
      // Existing information about the node is not clobbered.
      SkipNodeUpdate: true,
    });
  }

  /** Consul's handleDeregisterMember (left and reaped members). */
  private async deregisterMember(reason: 'left' | 'reaped', name: string): Promise<void> {
    const local = this.deps.local();
    if (name.toLowerCase() === local.nodeName.toLowerCase()) {
      this.deps.logger.warn('deregistering self should be done by follower', { member: name, reason });
      return;
    }
    const ns = await this.deps.catalog.nodeServices(name, {}, STALE);
    if (!ns.value || !this.leading) return;
    this.deps.logger.info('deregistering member', { member: name, reason });
    this.writes++;
    await this.deps.catalog.deregister({ Datacenter: local.datacenter, Node: name });
  }
}
