import { describe, expect, it } from 'vitest';
import { Coordinate } from '../../../../src/gossip/coordinate/coordinate.js';
import { TransmitLimitedQueue } from '../../../../src/gossip/memberlist/broadcast-queue.js';
import { decodeCoordinatePayload, encodeCoordinatePayload } from '../../../../src/gossip/serf/coordinate-payload.js';
import { LamportClock } from '../../../../src/gossip/serf/lamport-clock.js';
import {
  decodeConflictResponse,
  decodeFilter,
  decodeJoin,
  decodeKeyResponse,
  decodeLeave,
  decodePushPull,
  decodeQuery,
  decodeQueryResponse,
  decodeRelay,
  decodeUserEvent,
  encodeConflictResponse,
  encodeFilter,
  encodeJoin,
  encodeKeyRequest,
  encodeKeyResponse,
  encodeLeave,
  encodePushPull,
  encodeQuery,
  encodeQueryResponse,
  encodeRelay,
  encodeUserEvent,
} from '../../../../src/gossip/serf/messages.js';
import { decodeTags, encodeTags } from '../../../../src/gossip/serf/tags.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const raw = (s: string): string => (s.length < 32 ? (0xa0 | s.length).toString(16) : '') + Buffer.from(s).toString('hex');

describe('serf messages as go-msgpack writes them', () => {
  it('join and leave: type byte, then a map keyed by Go field names in declaration order', () => {
    expect(hex(encodeJoin({ ltime: 5, node: 'n1' }))).toBe('01' + '82' + raw('LTime') + '05' + raw('Node') + raw('n1'));
    expect(hex(encodeLeave({ ltime: 300, node: 'n1', prune: true }))).toBe('00' + '83' + raw('LTime') + 'cd012c' + raw('Node') + raw('n1') + raw('Prune') + 'c3');
    expect(decodeLeave(encodeLeave({ ltime: 300, node: 'n1', prune: true }))).toEqual({ ltime: 300, node: 'n1', prune: true });
    expect(decodeJoin(encodeJoin({ ltime: 2 ** 40, node: 'x' }))).toEqual({ ltime: 2 ** 40, node: 'x' });
  });

  it('user events, queries and responses round-trip; nil byte slices stay nil', () => {
    const ue = { ltime: 7, name: 'deploy', payload: null, cc: true };
    expect(hex(encodeUserEvent(ue))).toBe('03' + '84' + raw('LTime') + '07' + raw('Name') + raw('deploy') + raw('Payload') + 'c0' + raw('CC') + 'c3');
    expect(decodeUserEvent(encodeUserEvent(ue))).toEqual(ue);
    const q = {
      ltime: 9,
      id: 123456,
      addr: Uint8Array.from([127, 0, 0, 1]),
      port: 7946,
      sourceNode: 'a',
      filters: [encodeFilter({ nodes: ['a', 'b'] }), encodeFilter({ tag: 'role', expr: '^c' })],
      flags: 1,
      relayFactor: 2,
      timeoutNs: 3_200_000_000,
      name: 'q',
      payload: Uint8Array.from([1, 2]),
    };
    expect(decodeQuery(encodeQuery(q))).toEqual(q);
    expect(decodeFilter(q.filters[0]!)).toEqual({ nodes: ['a', 'b'] });
    expect(decodeFilter(q.filters[1]!)).toEqual({ tag: 'role', expr: '^c' });
    const r = { ltime: 9, id: 123456, from: 'b', flags: 0, payload: Uint8Array.from([9]) };
    expect(decodeQueryResponse(encodeQueryResponse(r))).toEqual(r);
    const relayed = encodeRelay({ destIp: q.addr, destPort: 7946, destName: 'a' }, encodeQueryResponse(r));
    expect(relayed[0]).toBe(9);
    const { header, inner } = decodeRelay(relayed);
    expect(header).toEqual({ destIp: q.addr, destPort: 7946, destName: 'a' });
    expect(decodeQueryResponse(inner)).toEqual(r);
  });

  it('push/pull state, conflict and key messages round-trip', () => {
    const pp = {
      ltime: 10,
      statusLTimes: new Map([
        ['a', 1],
        ['b', 4],
      ]),
      leftMembers: ['b'],
      eventLTime: 3,
      events: [null, { ltime: 1, events: [{ name: 'e', payload: Uint8Array.from([1]) }] }, null],
      queryLTime: 2,
    };
    expect(decodePushPull(encodePushPull(pp))).toEqual(pp);
    const m = { name: 'a', addr: Uint8Array.from([10, 0, 0, 1]), port: 8301, tags: { role: 'node' }, status: 1, protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 };
    expect(decodeConflictResponse(encodeConflictResponse(m))).toEqual(m);
    expect(decodeConflictResponse(encodeConflictResponse(null))).toMatchObject({ name: '', addr: null, port: 0 });
    expect(hex(encodeKeyRequest(Uint8Array.from([1, 2])))).toBe('07' + '81' + raw('Key') + 'a20102');
    const kr = { result: true, message: '', keys: ['k1', 'k2'], primaryKey: 'k1' };
    expect(decodeKeyResponse(encodeKeyResponse(kr))).toEqual(kr);
  });

  it('tags: magic byte 255 + msgpack map; meta without it is a bare role', () => {
    const meta = encodeTags({ role: 'consul', dc: 'dc1' });
    expect(hex(meta)).toBe('ff' + '82' + raw('role') + raw('consul') + raw('dc') + raw('dc1'));
    expect(decodeTags(meta)).toEqual({ role: 'consul', dc: 'dc1' });
    expect(decodeTags(Buffer.from('web'))).toEqual({ role: 'web' });
    expect(new TextDecoder().decode(encodeTags({ role: 'web' }, 2))).toBe('web');
  });

  it('the ack payload: ping version 1 then the coordinate with float64 fields', () => {
    const c = new Coordinate([0.5, 0, 0, 0, 0, 0, 0, 0], 1.5, 0, 1e-5);
    const p = encodeCoordinatePayload(c);
    expect(p[0]).toBe(1);
    expect(hex(p.slice(1, 2 + 4))).toBe('84' + raw('Vec'));
    expect(p[6]).toBe(0x98); // fixarray of 8
    expect(p[7]).toBe(0xcb); // float64
    expect(decodeCoordinatePayload(p).toJSON()).toEqual(c.toJSON());
    expect(() => decodeCoordinatePayload(Uint8Array.from([2, 0x80]))).toThrow('Unsupported ping version: 2');
  });

  it('Lamport clock: increment, and witness moves one past a newer time only', () => {
    const c = new LamportClock();
    expect(c.increment()).toBe(1);
    c.witness(0);
    expect(c.time()).toBe(1);
    c.witness(1);
    expect(c.time()).toBe(2);
    c.witness(41);
    expect(c.time()).toBe(42);
  });

  it('the broadcast queue prunes to the newest messages', () => {
    const q = new TransmitLimitedQueue(4, () => 10);
    for (let i = 0; i < 5; i++) q.queue(Uint8Array.of(i));
    q.prune(2);
    expect(q.numQueued()).toBe(2);
    expect(q.getBroadcasts(0, 100).map((b) => b[0]).sort()).toEqual([3, 4]);
  });
});
