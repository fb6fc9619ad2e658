import { describe, expect, it } from 'vitest';
import type { CatalogNode, ServiceEntry } from '../../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult } from '../../../contracts/model/query.js';
import type { Resolver, ServiceQuery } from '../../../contracts/ports/resolver.js';
import { ForwardingResolver } from '../../../src/rpc/forwarding-resolver.js';

/** A resolver that records which calls reached it. */
class Recording implements Resolver {
  readonly calls: string[] = [];
  constructor(private readonly name: string) {}
  private res<T>(what: string, value: T): Promise<QueryResult<T>> {
    this.calls.push(what);
    return Promise.resolve({ value, meta: { index: 1, knownLeader: true, lastContactMs: 0 } });
  }
  serviceInstances(q: ServiceQuery): Promise<QueryResult<ServiceEntry[]>> {
    return this.res(`${this.name} service ${q.service}`, []);
  }
  node(name: string): Promise<QueryResult<CatalogNode | null>> {
    return this.res(`${this.name} node ${name}`, null);
  }
  async datacenters(): Promise<string[]> {
    this.calls.push(`${this.name} datacenters`);
    return ['dc1'];
  }
  nodesByAddress(ip: string): Promise<QueryResult<CatalogNode[]>> {
    return this.res(`${this.name} nodes ${ip}`, []);
  }
  servicesByAddress(ip: string): Promise<QueryResult<ServiceEntry[]>> {
    return this.res(`${this.name} services ${ip}`, []);
  }
  close(): void {
    this.calls.push(`${this.name} close`);
  }
}

const opts = (consistency: QueryOptions['consistency']): QueryOptions => ({ minIndex: 0, waitMs: 0, consistency });

describe('ForwardingResolver (a server DNS read: here when it may, through RPC when it must)', () => {
  it('answers stale reads of its own datacenter locally and the rest remotely', async () => {
    const local = new Recording('local');
    const remote = new Recording('remote');
    let leading = false;
    const r = new ForwardingResolver(local, remote, (o, dc) => (dc === undefined || dc === 'dc1') && (o.consistency === 'stale' || leading));
    await r.serviceInstances({ service: 'web' }, opts('stale'));
    await r.serviceInstances({ service: 'web' }, opts('default'));
    await r.node('n1', 'dc2', opts('stale'));
    leading = true;
    await r.nodesByAddress('10.0.0.1', undefined, opts('default'));
    await r.servicesByAddress('10.0.0.2', 'dc1', opts('consistent'));
    await r.datacenters();
    r.close();
    expect(local.calls).toEqual(['local service web', 'local nodes 10.0.0.1', 'local services 10.0.0.2', 'local datacenters', 'local close']);
    expect(remote.calls).toEqual(['remote service web', 'remote node n1', 'remote close']);
  });
});
