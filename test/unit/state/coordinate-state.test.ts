import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import type { NetworkCoordinate, NodeCoordinate } from '../../../contracts/model/coordinate.js';
import { decodeCommand, encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { CatalogHarness, registerCmd } from './catalog-harness.js';

const coord = (x: number, extra: Partial<NetworkCoordinate> = {}): NetworkCoordinate => ({ Vec: [x, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 1e-5, ...extra });
const update = (node: string, x: number, segment = ''): NodeCoordinate => ({ Node: node, Segment: segment, Coord: coord(x) });

function batch(h: CatalogHarness, updates: NodeCoordinate[]): unknown {
  return h.apply({ type: 'coordinate.batch-update', updates });
}

describe('coordinates table', () => {
  it('a batch stores coordinates of known nodes only, skips invalid ones, and moves the index', () => {
    const h = new CatalogHarness();
    h.register('n1');
    h.register('n2');
    expect(batch(h, [update('n1', 0.001), update('ghost', 0.002), { Node: 'n2', Segment: '', Coord: coord(Number.NaN) }])).toBe(true);
    const idx = h.lastIndex;
    const { value, index } = h.store.coordinates.list();
    expect(index).toBe(idx);
    expect(value).toEqual([update('n1', 0.001)]);
    // A batch that writes nothing still moves the index (Consul's CoordinateBatchUpdate).
    batch(h, [update('ghost', 1)]);
    expect(h.store.coordinates.tableIndex()).toBe(h.lastIndex);
  });

  it('keeps one coordinate per node and segment (case-insensitive), listed by node then segment', () => {
    const h = new CatalogHarness();
    h.register('b');
    h.register('A');
    batch(h, [update('b', 1), update('A', 2), update('A', 3, 'alpha')]);
    batch(h, [update('B', 4)]);
    expect(h.store.coordinates.list().value.map((c) => [c.Node, c.Segment, c.Coord.Vec[0]])).toEqual([
      ['A', '', 2],
      ['A', 'alpha', 3],
      ['B', '', 4],
    ]);
    expect(h.store.coordinates.forNode('a').value.map((c) => c.Segment)).toEqual(['', 'alpha']);
    expect(h.store.coordinates.forNode('nobody').value).toEqual([]);
  });

  it('deregistering a node deletes its coordinates, moves the index and wakes its watchers', () => {
    const h = new CatalogHarness();
    h.register('n1', { service: { Service: 'web' } });
    h.register('n2');
    batch(h, [update('n1', 1), update('n2', 2)]);
    const woken: string[] = [];
    h.store.coordinates.watchNode('N1', (r) => woken.push(`node:${r}`));
    h.store.coordinates.watchTable((r) => woken.push(`table:${r}`));
    h.deregister('n1', { serviceId: 'web' }); // only a service: the coordinate stays
    expect(h.store.coordinates.forNode('n1').value).toHaveLength(1);
    expect(woken).toEqual([]);
    h.deregister('n1');
    expect(h.store.coordinates.forNode('n1').value).toEqual([]);
    expect(h.store.coordinates.tableIndex()).toBe(h.lastIndex);
    expect(woken.sort()).toEqual(['node:change', 'table:change']);
    expect(h.store.coordinates.list().value.map((c) => c.Node)).toEqual(['n2']);
  });

  it('a transaction that deletes a node deletes its coordinates too', () => {
    const h = new CatalogHarness();
    h.register('n1');
    batch(h, [update('n1', 1)]);
    h.apply({ type: 'txn', now: 1, ops: [{ kind: 'node', verb: 'delete', index: 0, register: registerCmd('n1') }] });
    expect(h.store.coordinates.list().value).toEqual([]);
  });

  it('a transaction that deletes a node and then fails leaves its coordinates and the index as they were', () => {
    const h = new CatalogHarness();
    h.register('n1');
    batch(h, [update('n1', 1)]);
    const before = h.store.coordinates.list();
    h.apply({
      type: 'txn',
      now: 1,
      ops: [
        { kind: 'node', verb: 'delete', index: 0, register: registerCmd('n1') },
        { kind: 'kv', verb: 'check-not-exists', key: 'missing', value: new Uint8Array(0), flags: '0', index: 0, session: '' },
        { kind: 'kv', verb: 'get', key: 'missing', value: new Uint8Array(0), flags: '0', index: 0, session: '' },
      ],
    });
    expect(h.store.catalog.node('n1').value).not.toBeNull();
    expect(h.store.coordinates.list()).toEqual(before);
  });

  it('survives a snapshot round trip, index included; images without coordinates restore an empty table', async () => {
    const h = new CatalogHarness();
    h.register('n1');
    h.register('n2');
    batch(h, [update('n1', 0.25), update('n2', 0.5, 'seg')]);
    const image = await h.store.snapshot();
    const copy = new StateStore();
    copy.restore(image, h.lastIndex);
    expect(copy.coordinates.list()).toEqual(h.store.coordinates.list());
    // The restored copy goes on like the original: deleting the node deletes its coordinate.
    copy.apply({ index: h.lastIndex + 1, term: 1, data: encodeCommand({ type: 'catalog.deregister', node: 'n2', serviceId: '', checkId: '' }) });
    expect(copy.coordinates.list().value.map((c) => c.Node)).toEqual(['n1']);

    const v3 = new StateStore();
    v3.restore(encode({ v: 3, lastApplied: 1, kv: { index: 0, entries: [], tombstones: [] }, catalog: undefined, sessions: undefined }), 1);
    expect(v3.coordinates.list().value).toEqual([]);
  });

  it('a malformed coordinates image is STORAGE_CORRUPT and changes nothing', async () => {
    const h = new CatalogHarness();
    h.register('n1');
    batch(h, [update('n1', 1)]);
    const img = await h.store.snapshot();
    const { decode } = await import('@msgpack/msgpack');
    const raw = decode(img) as Record<string, unknown>;
    const bad = encode({ ...raw, coordinates: { index: 3, rows: [{ Node: 'n1', Segment: '', Coord: { Vec: 'x' } }] } });
    let err: unknown;
    try {
      h.store.restore(bad, 99);
    } catch (e) {
      err = e;
    }
    expect(isSextantError(err, ErrorCode.StorageCorrupt)).toBe(true);
    expect(h.store.coordinates.list().value).toHaveLength(1);
  });

  it('the batch command round-trips its codec and rejects a malformed row', () => {
    const cmd = { type: 'coordinate.batch-update' as const, updates: [update('n1', 0.125, 's')] };
    expect(decodeCommand(encodeCommand(cmd))).toEqual(cmd);
    expect(() => decodeCommand(encode([66, 1, [['n1', '', 'nope', 0, 0, 0]]]))).toThrow(/row 0 has a bad Vec/);
  });
});
