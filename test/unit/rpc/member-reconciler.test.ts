import { describe, expect, it } from 'vitest';
import type { MemberEvent } from '../../../contracts/ports/membership.js';
import type { Member } from '../../../contracts/services/agent-service.js';
import { AntiEntropy } from '../../../src/agent/anti-entropy.js';
import { LocalState } from '../../../src/agent/local-state.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../../src/rpc/health-endpoint.js';
import { MemberReconciler, RECONCILE_INTERVAL_MS } from '../../../src/rpc/member-reconciler.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { fakeRunners } from '../agent/fakes.js';
import { testConfig } from '../surface-rest/fakes.js';
import { FakeRaft } from './fake-raft.js';

const SELF_ID = '11111111-2222-3333-4444-555555555555';
const PEER_ID = '99999999-2222-3333-4444-555555555555';
const stale = { minIndex: 0, waitMs: 0, consistency: 'stale' as const };

function member(name: string, addr: string, status: number, tags: Record<string, string>): Member {
  return { Name: name, Addr: addr, Port: 8301, Tags: tags, Status: status, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4 };
}
const serverTags = (id: string, port = 8300): Record<string, string> => ({ role: 'consul', dc: 'dc1', id, port: String(port), build: '1.2.3:sextant', raft_vsn: '3', vsn: '2' });
const clientTags = (id: string): Record<string, string> => ({ role: 'node', dc: 'dc1', id, build: '1.2.3:sextant', vsn: '2' });

/** A pool the test controls: members() and events, as gossip would report them. */
class FakePool {
  list: Member[] = [];
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  members(): Member[] {
    return [...this.list];
  }
  onEvent(fn: (e: MemberEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  emit(e: MemberEvent): void {
    for (const m of e.members) this.list = [...this.list.filter((x) => x.Name !== m.Name), ...(e.type === 'reap' ? [] : [m])];
    for (const fn of [...this.listeners]) fn(e);
  }
  subscribers(): number {
    return this.listeners.size;
  }
}

/** The real catalog and health endpoints over a StateStore; FakeRaft applies and counts proposals. */
function setup() {
  const clock = new ManualClock();
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const deps = { store, raft, clock, config: { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } };
  const catalog = new CatalogEndpoint(deps);
  const health = new HealthEndpoint(deps);
  const pool = new FakePool();
  pool.list = [member('node-a', '10.0.0.5', 1, serverTags(SELF_ID))];
  const logger = new SilentLogger();
  const reconciler = new MemberReconciler({ membership: pool, catalog, health, local: () => ({ datacenter: 'dc1', nodeName: 'node-a' }), clock, logger });
  const node = async (name: string) => (await catalog.nodeServices(name, {}, stale)).value;
  const checks = async (name: string) => (await health.nodeChecks(name, {}, stale)).value;
  return { clock, store, raft, catalog, health, pool, logger, reconciler, node, checks };
}

describe('MemberReconciler (the leader makes the catalog follow the pool)', () => {
  it('on establish registers an alive server: node, serfHealth passing with Consul\'s texts, the consul service on its port', async () => {
    const h = setup();
    h.reconciler.establish();
    await h.reconciler.idle();
    const ns = await h.node('node-a');
    expect(ns?.Node).toMatchObject({ Node: 'node-a', ID: SELF_ID, Address: '10.0.0.5', Datacenter: 'dc1' });
    expect(ns?.Services.map((s) => [s.ID, s.Service, s.Port])).toEqual([['consul', 'consul', 8300]]);
    expect(ns?.Services[0]).toMatchObject({
      Tags: [],
      Weights: { Passing: 1, Warning: 1 },
      Meta: { non_voter: 'false', read_replica: 'false', raft_version: '3', serf_protocol_current: '2', serf_protocol_min: '1', serf_protocol_max: '5', version: '1.2.3' },
    });
    expect(await h.checks('node-a')).toEqual([
      expect.objectContaining({ Node: 'node-a', CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Output: 'Agent alive and reachable', ServiceID: '' }),
    ]);
    await h.reconciler.revoke();
  });

  it('writes nothing when nothing changed, at the next interval or on a repeated event', async () => {
    const h = setup();
    h.pool.list.push(member('node-c', '10.0.0.7', 1, clientTags(PEER_ID)));
    h.reconciler.establish();
    await h.reconciler.idle();
    expect(h.reconciler.writes).toBe(2);
    const proposals = h.raft.proposals;
    h.clock.advance(RECONCILE_INTERVAL_MS);
    await h.reconciler.idle();
    h.pool.emit({ type: 'update', members: [member('node-c', '10.0.0.7', 1, clientTags(PEER_ID))] });
    await h.reconciler.idle();
    expect(h.raft.proposals).toBe(proposals);
    expect(h.reconciler.writes).toBe(2);
    // A client has no consul service.
    expect((await h.node('node-c'))?.Services).toEqual([]);
    await h.reconciler.revoke();
  });

  it('keeps the node\'s TaggedAddresses and Meta, and repairs a serfHealth that someone else turned critical', async () => {
    const h = setup();
    await h.catalog.register({ Node: 'node-a', ID: SELF_ID, Address: '10.0.0.5', TaggedAddresses: { lan: '10.0.0.5', wan: '1.2.3.4' }, NodeMeta: { rack: 'r1' } });
    h.reconciler.establish();
    await h.reconciler.idle();
    await h.catalog.register({ Node: 'node-a', Address: '10.0.0.5', SkipNodeUpdate: true, Check: { Node: 'node-a', CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical', Notes: '', Output: 'x', ServiceID: '', ServiceName: '', ServiceTags: [], Type: '' } });
    h.clock.advance(RECONCILE_INTERVAL_MS);
    await h.reconciler.idle();
    expect((await h.node('node-a'))?.Node).toMatchObject({ TaggedAddresses: { lan: '10.0.0.5', wan: '1.2.3.4' }, Meta: { rack: 'r1' } });
    expect((await h.checks('node-a'))[0]).toMatchObject({ Status: 'passing', Output: 'Agent alive and reachable' });
    // An address change rewrites the node, still keeping its TaggedAddresses and Meta.
    h.pool.emit({ type: 'update', members: [member('node-a', '10.0.0.6', 1, serverTags(SELF_ID))] });
    await h.reconciler.idle();
    expect((await h.node('node-a'))?.Node).toMatchObject({ Address: '10.0.0.6', TaggedAddresses: { lan: '10.0.0.5', wan: '1.2.3.4' }, Meta: { rack: 'r1' } });
    await h.reconciler.revoke();
  });

  it('a failed member\'s serfHealth turns critical with Consul\'s text (once); an unknown failed member writes nothing', async () => {
    const h = setup();
    h.pool.list.push(member('node-c', '10.0.0.7', 1, clientTags(PEER_ID)));
    h.reconciler.establish();
    await h.reconciler.idle();
    const failed = member('node-c', '10.0.0.7', 4, clientTags(PEER_ID));
    h.pool.emit({ type: 'failed', members: [failed] });
    await h.reconciler.idle();
    expect(await h.checks('node-c')).toEqual([
      expect.objectContaining({ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical', Output: 'Agent not live or unreachable' }),
    ]);
    expect((await h.node('node-c'))?.Node).toMatchObject({ ID: PEER_ID, Address: '10.0.0.7' });
    const proposals = h.raft.proposals;
    h.pool.emit({ type: 'failed', members: [failed] });
    h.pool.emit({ type: 'failed', members: [member('ghost', '10.0.0.9', 4, clientTags(''))] });
    h.clock.advance(RECONCILE_INTERVAL_MS);
    await h.reconciler.idle();
    expect(h.raft.proposals).toBe(proposals);
    expect(await h.node('ghost')).toBeNull();
    // It comes back: passing again.
    h.pool.emit({ type: 'join', members: [member('node-c', '10.0.0.7', 1, clientTags(PEER_ID))] });
    await h.reconciler.idle();
    expect((await h.checks('node-c'))[0]).toMatchObject({ Status: 'passing', Output: 'Agent alive and reachable' });
    await h.reconciler.revoke();
  });

  it('a left or reaped member is deregistered, never this server itself', async () => {
    const h = setup();
    h.pool.list.push(member('node-c', '10.0.0.7', 1, clientTags(PEER_ID)), member('node-d', '10.0.0.8', 1, clientTags('')));
    h.reconciler.establish();
    await h.reconciler.idle();
    expect(await h.node('node-c')).not.toBeNull();
    h.pool.emit({ type: 'leave', members: [member('node-c', '10.0.0.7', 3, clientTags(PEER_ID))] });
    h.pool.emit({ type: 'reap', members: [member('node-d', '10.0.0.8', 4, clientTags(''))] });
    h.pool.emit({ type: 'leave', members: [member('node-a', '10.0.0.5', 3, serverTags(SELF_ID))] });
    await h.reconciler.idle();
    expect(await h.node('node-c')).toBeNull();
    expect(await h.node('node-d')).toBeNull();
    expect(await h.node('node-a')).not.toBeNull();
    expect(h.logger.lines.some((l) => l.includes('deregistering self should be done by follower'))).toBe(true);
    await h.reconciler.revoke();
  });

  it('reaps catalog nodes with serfHealth that the pool no longer knows; leaves nodes without serfHealth and other datacenters\' members alone', async () => {
    const h = setup();
    const serf = (node: string) => ({ Node: node, CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' as const, Notes: '', Output: '', ServiceID: '', ServiceName: '', ServiceTags: [], Type: '' });
    await h.catalog.register({ Node: 'gone', Address: '10.0.0.20', Check: serf('gone') });
    await h.catalog.register({ Node: 'external', Address: '10.0.0.21' });
    h.pool.list.push(member('remote-dc', '10.1.0.1', 1, { ...clientTags(''), dc: 'dc2' }));
    h.reconciler.establish();
    await h.reconciler.idle();
    expect(await h.node('gone')).toBeNull();
    expect(await h.node('external')).not.toBeNull();
    expect(await h.node('remote-dc')).toBeNull();
    await h.reconciler.revoke();
  });

  it('revoke stops following events and the interval', async () => {
    const h = setup();
    h.reconciler.establish();
    await h.reconciler.idle();
    await h.reconciler.revoke();
    expect(h.pool.subscribers()).toBe(0);
    expect(h.clock.pending()).toBe(0);
    const proposals = h.raft.proposals;
    h.pool.emit({ type: 'join', members: [member('node-c', '10.0.0.7', 1, clientTags(PEER_ID))] });
    h.clock.advance(RECONCILE_INTERVAL_MS * 2);
    await h.reconciler.idle();
    expect(h.raft.proposals).toBe(proposals);
    expect(await h.node('node-c')).toBeNull();
  });

  it('a node the agent registers between the reconciler\'s read and its write keeps its TaggedAddresses and Meta', async () => {
    const h = setup();
    let raced = false;
    const racing = {
      nodeServices: h.catalog.nodeServices.bind(h.catalog),
      deregister: h.catalog.deregister.bind(h.catalog),
      async register(req: Parameters<CatalogEndpoint['register']>[0]): Promise<void> {
        if (!raced) {
          raced = true; // anti-entropy's node write commits first
          await h.catalog.register({ Node: 'node-a', ID: SELF_ID, Address: '10.0.0.5', TaggedAddresses: { lan: '10.0.0.5' }, NodeMeta: { rack: 'r1' } });
        }
        return h.catalog.register(req);
      },
    };
    const reconciler = new MemberReconciler({ membership: h.pool, catalog: racing, health: h.health, local: () => ({ datacenter: 'dc1', nodeName: 'node-a' }), clock: h.clock, logger: h.logger });
    reconciler.establish();
    await reconciler.idle();
    expect(raced).toBe(true);
    expect((await h.node('node-a'))?.Node).toMatchObject({ ID: SELF_ID, Address: '10.0.0.5', TaggedAddresses: { lan: '10.0.0.5' }, Meta: { rack: 'r1' } });
    expect((await h.checks('node-a'))[0]).toMatchObject({ CheckID: 'serfHealth', Status: 'passing' });
    await reconciler.revoke();
  });

  it('with the agent\'s anti-entropy on the same node, the node gets both its own fields and the leader\'s entries, and neither undoes the other', async () => {
    const h = setup();
    const config = testConfig({ nodeName: 'node-a', nodeId: SELF_ID, advertiseAddr: '10.0.0.5', nodeMeta: { rack: 'r1' }, server: true });
    const random = new SeededRandom(3);
    const state = new LocalState({ config: () => config, runners: fakeRunners().map, clock: h.clock, random, logger: new SilentLogger(), hooks: createHooks() });
    await state.start();
    await state.registerService({ Name: 'web', Port: 80 }, { replaceExistingChecks: false });
    const ae = new AntiEntropy({ config: () => config, local: state, catalog: h.catalog, health: h.health, clock: h.clock, random, logger: new SilentLogger() });
    h.reconciler.establish();
    const aeSync = ae.syncFull();
    await Promise.all([aeSync, h.reconciler.idle()]);
    await ae.syncFull();
    h.clock.advance(RECONCILE_INTERVAL_MS);
    await h.reconciler.idle();
    const ns = await h.node('node-a');
    expect(ns?.Node).toMatchObject({ ID: SELF_ID, Address: '10.0.0.5', TaggedAddresses: { lan: '10.0.0.5', wan: '10.0.0.5' }, Meta: { rack: 'r1' } });
    expect(ns?.Services.map((s) => s.ID)).toEqual(['consul', 'web']);
    expect((await h.checks('node-a')).map((c) => [c.CheckID, c.Status])).toEqual([['serfHealth', 'passing']]);
    const proposals = h.raft.proposals;
    await ae.syncFull();
    h.clock.advance(RECONCILE_INTERVAL_MS);
    await h.reconciler.idle();
    expect(h.raft.proposals).toBe(proposals);
    await h.reconciler.revoke();
    await ae.stop();
    await state.stop();
  });
});
