import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../contracts/errors.js';
import type { QueryOptions } from '../../../contracts/model/query.js';
import { canonicalIp } from '../../../src/rpc/catalog-resolver.js';
import { dnsHarness } from './dns-harness.js';

const stale: QueryOptions = { minIndex: 0, waitMs: 0, consistency: 'stale' };
const check = (status: string, serviceId = '') => ({ CheckID: `c-${status}-${serviceId}`, Name: 'c', Status: status, ServiceID: serviceId });

describe('CatalogResolver', () => {
  it('returns instances with node and service checks, passing first, filtered by tags and passingOnly', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'a', Address: '10.0.0.1', Service: { Service: 'web', Port: 1, Tags: ['Rails'] } as never, Checks: [check('critical', 'web')] as never });
    await h.register({ Node: 'b', Address: '10.0.0.2', Service: { Service: 'web', Port: 2 } as never, Checks: [check('warning')] as never });
    await h.register({ Node: 'c', Address: '10.0.0.3', Service: { Service: 'web', Port: 3, Tags: ['rails'] } as never, Checks: [check('passing', 'web')] as never });
    const all = await h.resolver.serviceInstances({ service: 'WEB' }, stale);
    expect(all.value.map((e) => e.Node.Node)).toEqual(['c', 'b', 'a']);
    expect(all.value[1]!.Checks.map((c) => c.Status)).toEqual(['warning']);
    expect((await h.resolver.serviceInstances({ service: 'web', passingOnly: true }, stale)).value.map((e) => e.Node.Node)).toEqual(['c']);
    expect((await h.resolver.serviceInstances({ service: 'web', tags: ['rails'] }, stale)).value.map((e) => e.Node.Node)).toEqual(['c', 'a']);
    expect((await h.resolver.serviceInstances({ service: 'ghost' }, stale)).value).toEqual([]);
    await expect(h.resolver.serviceInstances({ service: 'web', datacenter: 'dc2' }, stale)).rejects.toMatchObject({ code: ErrorCode.NoPathToDatacenter });
    expect(await h.resolver.datacenters()).toEqual(['dc1']);
  });

  it('shares one frozen list until the service changes, then blocks and wakes on its index', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'a', Address: '10.0.0.1', Service: { Service: 'web', Port: 1 } as never });
    const first = await h.resolver.serviceInstances({ service: 'web' }, stale);
    const again = await h.resolver.serviceInstances({ service: 'web' }, stale);
    expect(again.value).toBe(first.value);
    expect(Object.isFrozen(first.value)).toBe(true);
    await h.register({ Node: 'other', Address: '10.0.0.9', Service: { Service: 'db', Port: 1 } as never });
    expect((await h.resolver.serviceInstances({ service: 'web' }, stale)).value).toBe(first.value);
    const blocked = h.resolver.serviceInstances({ service: 'web' }, { minIndex: first.meta.index, waitMs: 60_000, consistency: 'stale' });
    await h.register({ Node: 'b', Address: '10.0.0.2', Service: { Service: 'web', Port: 1 } as never });
    const woke = await blocked;
    expect(woke.meta.index).toBeGreaterThan(first.meta.index);
    expect(woke.value.map((e) => e.Node.Node)).toEqual(['a', 'b']);
    h.resolver.close();
    expect(h.store.catalog.watcherCount()).toBe(0);
  });

  it('finds nodes and services by address, whatever the IPv6 spelling', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'six', Address: '2001:db8:0:0::5' });
    await h.register({ Node: 'four', Address: '10.0.0.4', Service: { Service: 'db', Port: 1, Address: '10.9.9.9' } as never });
    expect((await h.resolver.nodesByAddress('2001:0db8::0005', undefined, stale)).value.map((n) => n.Node)).toEqual(['six']);
    expect((await h.resolver.nodesByAddress('10.0.0.4', undefined, stale)).value.map((n) => n.Node)).toEqual(['four']);
    expect((await h.resolver.nodesByAddress('not-an-ip', undefined, stale)).value).toEqual([]);
    expect((await h.resolver.servicesByAddress('10.9.9.9', undefined, stale)).value.map((e) => e.Service.Service)).toEqual(['db']);
    expect((await h.resolver.servicesByAddress('10.0.0.4', undefined, stale)).value).toEqual([]);
    expect((await h.resolver.node('FOUR', 'dc1', stale)).value?.Address).toBe('10.0.0.4');
    expect((await h.resolver.node('ghost', undefined, stale)).value).toBeNull();
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('0000:0000:0000:0000:0000:ffff:0a00:0001');
  });
});
