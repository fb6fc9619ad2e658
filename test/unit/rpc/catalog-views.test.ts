import { describe, expect, it } from 'vitest';
import type { CatalogNode, CatalogService } from '../../../contracts/model/catalog.js';
import { serviceNodeView, serviceView } from '../../../src/rpc/catalog-views.js';

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
});
