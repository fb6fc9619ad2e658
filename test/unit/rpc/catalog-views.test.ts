import { describe, expect, it } from 'vitest';
import type { CatalogNode, CatalogService } from '../../../contracts/model/catalog.js';
import { serviceEntry, serviceNodeView, serviceView } from '../../../src/rpc/catalog-views.js';
import { CatalogHarness } from '../state/catalog-harness.js';

const node: CatalogNode = { ID: 'id', Node: 'n1', Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: { lan: '10.0.0.1' }, Meta: {}, CreateIndex: 1, ModifyIndex: 2 };
const svc: CatalogService = {
  Kind: 'connect-proxy',
  ID: 'web',
  Service: 'web',
  Tags: [],
  Address: '10.0.0.2',
  TaggedAddresses: { lan_ipv4: { Address: '10.0.0.2', Port: 80 } },
  Port: 80,
  Meta: {},
  Weights: { Passing: 1, Warning: 1 },
  EnableTagOverride: false,
  SocketPath: '/s',
  CreateIndex: 3,
  ModifyIndex: 4,
};

describe('catalog JSON views', () => {
  // JSON clients do not care, but people diff our output against Consul's: same member order.
  it("lists a service's members in Consul's NodeService order", () => {
    expect(Object.keys(serviceView(svc))).toEqual([
      'Kind', 'ID', 'Service', 'Tags', 'Address', 'TaggedAddresses', 'Meta', 'Port', 'SocketPath', 'Weights', 'EnableTagOverride', 'Proxy', 'Connect', 'CreateIndex', 'ModifyIndex',
    ]);
  });

  it("lists /catalog/service members in Consul's ServiceNode order", () => {
    expect(Object.keys(serviceNodeView(node, svc))).toEqual([
      'ID', 'Node', 'Address', 'Datacenter', 'TaggedAddresses', 'NodeMeta', 'ServiceKind', 'ServiceID', 'ServiceName', 'ServiceTags', 'ServiceAddress',
      'ServiceTaggedAddresses', 'ServiceWeights', 'ServiceMeta', 'ServicePort', 'ServiceSocketPath', 'ServiceEnableTagOverride', 'ServiceProxy', 'ServiceConnect',
      'CreateIndex', 'ModifyIndex',
    ]);
  });

  // encodeRecordsJson keeps the text of data frozen all the way down: the views of stored
  // records (defaults included) must be, or every answer would be encoded afresh.
  it('are frozen all the way down for stored records, and one entry per unchanged instance', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web', Tags: ['a'] }, checks: [{ CheckID: 'serfHealth', Status: 'passing' }, { CheckID: 'c', ServiceID: 'web' }] });
    const deepFrozen = (v: unknown): boolean =>
      typeof v !== 'object' || v === null || (Object.isFrozen(v) && Object.values(v).every(deepFrozen));
    const [inst] = h.store.catalog.serviceInstances('web').value;
    const entry = serviceEntry(inst!);
    expect(entry.Checks.map((c) => c.CheckID)).toEqual(['serfHealth', 'c']);
    expect(entry.Service).toMatchObject({ Proxy: { MeshGateway: {}, Expose: {} }, Connect: {} });
    expect(entry.Checks[1]).toMatchObject({ Definition: {}, Interval: '', ExposedPort: 0 });
    expect(deepFrozen(entry)).toBe(true);
    expect(deepFrozen(serviceNodeView(inst!.node, inst!.service))).toBe(true);
    expect(serviceEntry(h.store.catalog.serviceInstances('web').value[0]!)).toBe(entry);
    h.register('n1', { checks: [{ CheckID: 'c', ServiceID: 'web', Status: 'passing' }] });
    const next = serviceEntry(h.store.catalog.serviceInstances('web').value[0]!);
    expect(next).not.toBe(entry);
    expect(next.Checks[1]!.Status).toBe('passing');
  });
});
