import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../../contracts/model/health.js';
import type { CatalogInstance, CatalogReader } from '../../../src/state/catalog-reader.js';
import { StateStore } from '../../../src/state/state-store.js';
import { CatalogHarness } from './catalog-harness.js';

/**
 * serviceInstances keeps each service's instance list between writes and rebuilds it after a
 * write that touched the service. These tests hold it to what a from-scratch computation over
 * the table's other reads gives, after any sequence of writes, and check that untouched lists
 * and instances are the same objects (what the memoized views and kept JSON texts rely on).
 */

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The instances of `service` computed from nodes(), node() and nodeChecks() alone. */
function reference(cat: CatalogReader, service: string): CatalogInstance[] {
  const out: CatalogInstance[] = [];
  for (const n of cat.nodes().value) {
    const found = cat.node(n.Node).value!;
    const checks = cat.nodeChecks(n.Node).value;
    for (const svc of found.services) {
      if (svc.Service.toLowerCase() !== service.toLowerCase()) continue;
      const nodeChecks: HealthCheck[] = checks.filter((c) => c.ServiceID === '');
      const serviceChecks: HealthCheck[] = checks.filter((c) => c.ServiceID === svc.ID);
      out.push({ node: found.node, service: svc, nodeChecks, serviceChecks });
    }
  }
  return out.sort((a, b) => byString(a.node.Node, b.node.Node) || byString(a.service.ID, b.service.ID));
}

/** Same records (by identity) in the same places. */
function expectSameRecords(got: readonly CatalogInstance[], want: CatalogInstance[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    expect(g.node).toBe(w.node);
    expect(g.service).toBe(w.service);
    expect(g.nodeChecks.length).toBe(w.nodeChecks.length);
    g.nodeChecks.forEach((c, j) => expect(c).toBe(w.nodeChecks[j]));
    expect(g.serviceChecks.length).toBe(w.serviceChecks.length);
    g.serviceChecks.forEach((c, j) => expect(c).toBe(w.serviceChecks[j]));
  });
}

const NODES = ['n1', 'n2', 'N2', 'n3'];
const SERVICES = ['web', 'WEB', 'db', 'api'];
const IDS = ['s1', 's2'];
const STATUSES = ['passing', 'warning', 'critical'] as const;

type Op =
  | { k: 'node'; node: string; address: string; meta: string }
  | { k: 'service'; node: string; id: string; name: string; tag: string; port: number }
  | { k: 'check'; node: string; checkId: string; serviceId: string; status: (typeof STATUSES)[number] }
  | { k: 'dropCheck'; node: string; checkId: string }
  | { k: 'dropService'; node: string; id: string }
  | { k: 'dropNode'; node: string }
  | { k: 'restore' }
  | { k: 'read'; service: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('node' as const), node: fc.constantFrom(...NODES), address: fc.constantFrom('10.0.0.1', '10.0.0.2'), meta: fc.constantFrom('a', 'b') }),
  fc.record({
    k: fc.constant('service' as const),
    node: fc.constantFrom(...NODES),
    id: fc.constantFrom(...IDS),
    name: fc.constantFrom(...SERVICES),
    tag: fc.constantFrom('x', 'y'),
    port: fc.constantFrom(80, 81),
  }),
  fc.record({
    k: fc.constant('check' as const),
    node: fc.constantFrom(...NODES),
    checkId: fc.constantFrom('serfHealth', 'c1', 'c2', 'a0'),
    serviceId: fc.constantFrom('', ...IDS),
    status: fc.constantFrom(...STATUSES),
  }),
  fc.record({ k: fc.constant('dropCheck' as const), node: fc.constantFrom(...NODES), checkId: fc.constantFrom('serfHealth', 'c1', 'c2', 'a0') }),
  fc.record({ k: fc.constant('dropService' as const), node: fc.constantFrom(...NODES), id: fc.constantFrom(...IDS) }),
  fc.record({ k: fc.constant('dropNode' as const), node: fc.constantFrom(...NODES) }),
  fc.constant({ k: 'restore' as const }),
  fc.record({ k: fc.constant('read' as const), service: fc.constantFrom(...SERVICES) }),
  fc.record({ k: fc.constant('read' as const), service: fc.constantFrom(...SERVICES) }),
);

describe('catalog state: per-service instance lists', () => {
  it('always equal a from-scratch computation, whatever the writes and reads in between', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const h = new CatalogHarness();
        for (const o of ops) {
          switch (o.k) {
            case 'node':
              h.register(o.node, { address: o.address, meta: { m: o.meta } });
              break;
            case 'service':
              h.register(o.node, { service: { ID: o.id, Service: o.name, Tags: [o.tag], Port: o.port } });
              break;
            case 'check': {
              // A check naming a service the node lacks is refused (all or nothing): also a case.
              h.register(o.node, { checks: [{ CheckID: o.checkId, ServiceID: o.serviceId, Status: o.status }] });
              break;
            }
            case 'dropCheck':
              h.deregister(o.node, { checkId: o.checkId });
              break;
            case 'dropService':
              h.deregister(o.node, { serviceId: o.id });
              break;
            case 'dropNode':
              h.deregister(o.node);
              break;
            case 'restore':
              // The same store reloads its own image: every kept list must be dropped.
              h.store.restore(await h.store.snapshot(), h.lastIndex);
              break;
            case 'read':
              expectSameRecords(h.store.catalog.serviceInstances(o.service).value, reference(h.store.catalog, o.service));
              break;
          }
        }
        for (const s of SERVICES) expectSameRecords(h.store.catalog.serviceInstances(s).value, reference(h.store.catalog, s));
      }),
      { numRuns: 500 },
    );
  });

  it('hands out the same list until a write touches the service, then reuses the unchanged instances', () => {
    const h = new CatalogHarness();
    for (const n of ['n1', 'n2', 'n3']) {
      h.register(n, { service: { ID: 'web', Service: 'web' }, checks: [{ CheckID: 'serfHealth', Status: 'passing' }, { CheckID: 'web-check', ServiceID: 'web', Status: 'passing' }] });
      h.register(n, { service: { ID: 'db', Service: 'db' } });
    }
    const cat = h.store.catalog;
    const web = cat.serviceInstances('web').value;
    const db = cat.serviceInstances('db').value;
    expect(Object.isFrozen(web)).toBe(true);
    expect(cat.serviceInstances('web').value).toBe(web);

    // A service check on n2 flips: web's list is rebuilt, only n2's instance is new; db's list stays.
    h.register('n2', { checks: [{ CheckID: 'web-check', ServiceID: 'web', Status: 'critical' }] });
    const web2 = cat.serviceInstances('web').value;
    expect(web2).not.toBe(web);
    expect(web2[0]).toBe(web[0]);
    expect(web2[1]).not.toBe(web[1]);
    expect(web2[1]!.serviceChecks[0]!.Status).toBe('critical');
    expect(web2[2]).toBe(web[2]);
    expect(cat.serviceInstances('db').value).toBe(db);

    // A node check on n3 changes every service on n3, nothing else.
    h.register('n3', { checks: [{ CheckID: 'serfHealth', Status: 'critical' }] });
    const web3 = cat.serviceInstances('web').value;
    const db3 = cat.serviceInstances('db').value;
    expect(web3.slice(0, 2)).toEqual(web2.slice(0, 2));
    expect(web3[0]).toBe(web2[0]);
    expect(web3[2]).not.toBe(web2[2]);
    expect(db3[0]).toBe(db[0]);
    expect(db3[2]!.nodeChecks[0]!.Status).toBe('critical');

    // A write that changes nothing keeps every list.
    h.register('n3', { checks: [{ CheckID: 'serfHealth', Status: 'critical' }] });
    expect(cat.serviceInstances('web').value).toBe(web3);
    expect(cat.serviceInstances('db').value).toBe(db3);

    // Gone: an unknown service reads as empty, and comes back with its new instance only.
    for (const n of ['n1', 'n2', 'n3']) h.deregister(n, { serviceId: 'db' });
    expect(cat.serviceInstances('db').value).toEqual([]);
    h.register('n1', { service: { ID: 'db', Service: 'db' } });
    expect(cat.serviceInstances('db').value.map((i) => i.node.Node)).toEqual(['n1']);
  });

  it('are rebuilt from a restored snapshot, not carried over', async () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web' } });
    const store = new StateStore();
    store.catalog.serviceInstances('web');
    store.restore(await h.store.snapshot(), h.lastIndex);
    expectSameRecords(store.catalog.serviceInstances('web').value, reference(store.catalog, 'web'));
    expect(store.catalog.serviceInstances('web').value).toHaveLength(1);
  });
});
