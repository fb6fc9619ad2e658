import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import { decodeCommand, encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { CatalogHarness, registerCmd } from './catalog-harness.js';

function watchCount(): { fired: string[]; fn: (tag: string) => () => void } {
  const fired: string[] = [];
  return { fired, fn: (tag) => () => fired.push(tag) };
}

describe('catalog state: registration rules', () => {
  it('registers a node, a service and its checks in one command, with Consul indexes', () => {
    const h = new CatalogHarness();
    expect(h.register('n1', { service: { Service: 'web', Tags: ['rails'], Port: 80 }, checks: [{ CheckID: 'serfHealth', Status: 'passing' }, { CheckID: 'c1', ServiceID: 'web' }] })).toEqual({ ok: true });
    const cat = h.store.catalog;
    expect(cat.nodes().value.map((n) => [n.Node, n.CreateIndex, n.ModifyIndex])).toEqual([['n1', 1, 1]]);
    const [inst] = cat.serviceInstances('web').value;
    expect(inst!.service).toMatchObject({ ID: 'web', Service: 'web', Tags: ['rails'], Port: 80, CreateIndex: 1, ModifyIndex: 1 });
    expect(inst!.nodeChecks.map((c) => c.CheckID)).toEqual(['serfHealth']);
    expect(inst!.serviceChecks[0]).toMatchObject({ CheckID: 'c1', Node: 'n1', ServiceName: 'web', ServiceTags: ['rails'], Status: 'critical' });
    expect(cat.serviceInstances('web').index).toBe(1);
    expect(cat.tableIndex('nodes')).toBe(1);
    expect(h.changes).toEqual([['web']]);
  });

  it('rejects a check bound to a service the node does not have, changing nothing', () => {
    const h = new CatalogHarness();
    h.register('n1');
    const r = h.register('n1', { address: '10.9.9.9', checks: [{ CheckID: 'c', ServiceID: 'ghost' }] });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/Missing service registration.*"ghost"/);
    // all-or-nothing: the node update in the same request did not happen
    expect(h.store.catalog.nodes().value[0]!.Address).toBe('10.0.0.1');
    expect(h.store.catalog.tableIndex()).toBe(1);
  });

  it('rejects a node ID that belongs to another node', () => {
    const h = new CatalogHarness();
    const id = '11111111-2222-3333-4444-555555555555';
    h.register('n1', { id });
    const r = h.register('n2', { id });
    expect(r.ok).toBe(false);
    expect(h.store.catalog.nodes().value.map((n) => n.Node)).toEqual(['n1']);
  });

  it('a re-registration that changes nothing bumps no index and wakes nobody', () => {
    const h = new CatalogHarness();
    const full = { meta: { env: 'prod' }, service: { Service: 'web', Tags: ['a', 'b'], Port: 80, Meta: { v: '1' } }, checks: [{ CheckID: 'serfHealth', Status: 'passing' as const }, { CheckID: 'svc', ServiceID: 'web', Status: 'passing' as const, Definition: { HTTP: 'http://x', Interval: '10s' } }] };
    h.register('n1', full);
    const cat = h.store.catalog;
    const w = watchCount();
    const handles = [cat.watchService('web', w.fn('service')), cat.watchNode('n1', w.fn('node')), cat.watchTables(['nodes', 'services', 'checks'], w.fn('tables'))];
    for (let i = 0; i < 5; i++) expect(h.register('n1', full)).toEqual({ ok: true });
    expect(w.fired).toEqual([]);
    expect(cat.tableIndex()).toBe(1);
    expect(cat.serviceInstances('web').index).toBe(1);
    expect(h.changes).toHaveLength(1);
    for (const x of handles) x.cancel();
    expect(cat.watcherCount()).toBe(0);
  });

  it('SkipNodeUpdate leaves an existing node alone but still registers the service', () => {
    const h = new CatalogHarness();
    h.register('n1', { address: '10.0.0.1', meta: { a: '1' } });
    h.register('n1', { address: '', skipNodeUpdate: true, service: { Service: 'db' } });
    const cat = h.store.catalog;
    expect(cat.nodes().value[0]).toMatchObject({ Address: '10.0.0.1', Meta: { a: '1' }, ModifyIndex: 1 });
    expect(cat.serviceInstances('db').value).toHaveLength(1);
  });

  it('keeps CreateIndex and moves ModifyIndex on an update', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web', Port: 80 } });
    h.register('n1', { service: { Service: 'web', Port: 81 } });
    expect(h.store.catalog.serviceInstances('web').value[0]!.service).toMatchObject({ Port: 81, CreateIndex: 1, ModifyIndex: 2 });
  });

  it('matches node and service names case-insensitively', () => {
    const h = new CatalogHarness();
    h.register('Node-A', { service: { Service: 'Web' } });
    expect(h.store.catalog.node('node-a').value?.node.Node).toBe('Node-A');
    expect(h.store.catalog.serviceInstances('WEB').value).toHaveLength(1);
  });
});

describe('catalog state: per-service indexes and watches', () => {
  it('a change to service A never wakes a watcher of service B, nor moves its index', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'a' } });
    h.register('n2', { service: { Service: 'b' } });
    const cat = h.store.catalog;
    const w = watchCount();
    cat.watchService('b', w.fn('b'));
    cat.watchService('a', w.fn('a'));
    h.register('n1', { service: { Service: 'a', Port: 99 }, checks: [{ CheckID: 'x', ServiceID: 'a', Status: 'warning' }] });
    expect(w.fired).toEqual(['a']);
    expect(cat.serviceInstances('b').index).toBe(2);
    expect(cat.serviceInstances('a').index).toBe(3);
  });

  it('a node-level change (node check, address, meta) wakes health watchers of every service on that node', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web' }, checks: [{ CheckID: 'serfHealth', Status: 'passing' }] });
    h.register('n1', { service: { Service: 'api' } });
    h.register('n2', { service: { Service: 'other' } });
    const cat = h.store.catalog;
    let w = watchCount();
    for (const s of ['web', 'api', 'other']) cat.watchService(s, w.fn(s));
    h.register('n1', { service: { Service: 'web' }, checks: [{ CheckID: 'serfHealth', Status: 'critical' }] });
    expect(w.fired.sort()).toEqual(['api', 'web']);
    expect(cat.serviceInstances('api').index).toBe(4);
    expect(cat.serviceInstances('other').index).toBe(3);
    cat.watchService('other', () => {}).cancel();

    w = watchCount();
    for (const s of ['web', 'api']) cat.watchService(s, w.fn(s));
    h.register('n1', { address: '10.1.1.1' });
    expect(w.fired.sort()).toEqual(['api', 'web']);
  });

  it('deregistering a node cascades to its services and checks and wakes their watchers', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web' }, checks: [{ CheckID: 'serfHealth' }, { CheckID: 'w', ServiceID: 'web' }] });
    h.register('n1', { service: { Service: 'db' } });
    h.register('n2', { service: { Service: 'web' } });
    const cat = h.store.catalog;
    const w = watchCount();
    cat.watchService('web', w.fn('web'));
    cat.watchService('db', w.fn('db'));
    cat.watchNode('n1', w.fn('node'));
    expect(h.deregister('n1')).toEqual({ ok: true });
    expect(w.fired.sort()).toEqual(['db', 'node', 'web']);
    expect(cat.node('n1').value).toBeNull();
    expect(cat.serviceInstances('web').value.map((i) => i.node.Node)).toEqual(['n2']);
    expect(cat.allChecks().value).toEqual([]);
    // db went extinct: an unknown service reports the extinction index, which does not go backwards
    expect(cat.serviceInstances('db')).toEqual({ value: [], index: 4 });
    expect(h.changes.at(-1)).toEqual(['db', 'web']);
  });

  it('deregistering a service removes its checks; a check alone can go too; absent targets are no-ops', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web' }, checks: [{ CheckID: 'serfHealth' }, { CheckID: 'w', ServiceID: 'web' }] });
    h.deregister('n1', { serviceId: 'web' });
    expect(h.store.catalog.nodeChecks('n1').value.map((c) => c.CheckID)).toEqual(['serfHealth']);
    h.deregister('n1', { checkId: 'serfHealth' });
    expect(h.store.catalog.nodeChecks('n1').value).toEqual([]);
    const before = h.store.catalog.tableIndex();
    const w = watchCount();
    h.store.catalog.watchTables(['nodes', 'services', 'checks'], w.fn('t'));
    expect(h.deregister('n1', { serviceId: 'nope' })).toEqual({ ok: true });
    expect(h.deregister('ghost')).toEqual({ ok: true });
    expect(h.store.catalog.tableIndex()).toBe(before);
    expect(w.fired).toEqual([]);
  });

  it('renaming a service (same ID) moves the instance and wakes both names', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { ID: 's1', Service: 'old' }, checks: [{ CheckID: 'c', ServiceID: 's1' }] });
    const w = watchCount();
    h.store.catalog.watchService('old', w.fn('old'));
    h.store.catalog.watchService('new', w.fn('new'));
    h.register('n1', { service: { ID: 's1', Service: 'new' } });
    expect(w.fired.sort()).toEqual(['new', 'old']);
    expect(h.store.catalog.serviceInstances('old').value).toEqual([]);
    expect(h.store.catalog.serviceChecks('new').value[0]).toMatchObject({ CheckID: 'c', ServiceName: 'new' });
  });
});

describe('catalog state: commands and snapshots', () => {
  it('round-trips catalog commands through the codec and rejects malformed payloads', () => {
    const cmd = registerCmd('n1', { service: { Service: 'web', Tags: ['x'] }, checks: [{ CheckID: 'c', Definition: { HTTP: 'h', Header: { A: ['b'] } } }] });
    expect(decodeCommand(encodeCommand(cmd))).toEqual(cmd);
    const bad = encode([64, 1, { node: { Node: 1 }, skipNodeUpdate: false, service: null, checks: [] }]);
    let err: unknown;
    try {
      decodeCommand(bad);
    } catch (e) {
      err = e;
    }
    expect(isSextantError(err, ErrorCode.CommandInvalid)).toBe(true);
  });

  it('snapshot/restore carries the catalog and its indexes; v1 (KV-only) images still restore', async () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web' }, checks: [{ CheckID: 'serfHealth', Status: 'passing' }] });
    h.register('n2', { service: { Service: 'db' } });
    h.deregister('n2');
    const image = await h.store.snapshot();
    const copy = new StateStore();
    let reset = 0;
    copy.catalog.watchService('web', (r) => (r === 'reset' ? reset++ : 0));
    copy.restore(image, h.lastIndex);
    expect(reset).toBe(1);
    expect(copy.catalog.nodes()).toEqual(h.store.catalog.nodes());
    expect(copy.catalog.serviceInstances('web')).toEqual(h.store.catalog.serviceInstances('web'));
    expect(copy.catalog.serviceInstances('db')).toEqual(h.store.catalog.serviceInstances('db'));
    // a write that changes nothing after restore still wakes nobody
    const w = watchCount();
    copy.catalog.watchService('web', w.fn('web'));
    copy.apply({ index: h.lastIndex + 1, term: 1, data: encodeCommand(registerCmd('n1', { service: { Service: 'web' } })) });
    expect(w.fired).toEqual([]);

    const v1 = encode({ v: 1, lastApplied: 5, kv: { index: 0, entries: [], tombstones: [] } });
    const old = new StateStore();
    old.restore(v1, 5);
    expect(old.catalog.nodes().value).toEqual([]);
    expect(old.lastApplied()).toBe(5);
  });

  it('refuses a corrupt catalog image without touching the state', () => {
    const h = new CatalogHarness();
    h.register('n1');
    const bad = encode({ v: 2, lastApplied: 1, kv: { index: 0, entries: [], tombstones: [] }, catalog: { indexes: 'x' } });
    expect(() => h.store.restore(bad, 1)).toThrow(/corrupt catalog snapshot/);
    expect(h.store.catalog.nodes().value).toHaveLength(1);
  });
});
