import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../plugins/surface-dns/wire-query.js';

const query = (name: string, extra: Partial<dnsPacket.Packet> = {}): Buffer =>
  dnsPacket.encode({ type: 'query', id: 77, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'SRV', class: 'IN' }], ...extra });

describe('parseQuery', () => {
  it('reads the question (lower-cased labels, verbatim wire bytes) and the OPT', () => {
    const msg = query('Web.Service.CONSUL', {
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0, options: [{ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '10.1.2.0' }] } as dnsPacket.Answer],
    });
    const r = parseQuery(msg);
    expect(r.kind).toBe('query');
    if (r.kind !== 'query') return;
    expect(r.query).toMatchObject({ id: 77, labels: ['web', 'service', 'consul'], name: 'web.service.consul', qtype: 33, qclass: 1, plainLabels: true });
    expect(Buffer.from(r.query.questionWire).subarray(0, r.query.nameLength).toString('latin1')).toContain('Web');
    expect(r.query.edns?.udpSize).toBe(4096);
    expect(r.query.edns?.options).toHaveLength(1);
    expect(r.query.edns?.options[0]!.code).toBe(8);
  });

  it('drops what has no readable header, and responses', () => {
    expect(parseQuery(new Uint8Array(11)).kind).toBe('drop');
    const resp = query('a.consul');
    resp[2]! |= 0x80;
    expect(parseQuery(resp).kind).toBe('drop');
  });

  it('answers NOTIMP to other opcodes and FORMERR to broken questions', () => {
    const notify = query('a.consul');
    notify[2] = (notify[2]! & 0x87) | (4 << 3);
    expect(parseQuery(notify)).toMatchObject({ kind: 'reject', rcode: 4, id: 77 });

    const two = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.consul', type: 'A' }, { name: 'b.consul', type: 'A' }] });
    expect(parseQuery(two)).toMatchObject({ kind: 'reject', rcode: 1 });

    const cut = query('web.service.consul').subarray(0, 20);
    expect(parseQuery(cut)).toMatchObject({ kind: 'reject', rcode: 1 });

    const pointer = Buffer.from(query('a.consul'));
    pointer[12] = 0xc0;
    pointer[13] = 0x00;
    expect(parseQuery(pointer)).toMatchObject({ kind: 'reject', rcode: 1 });
  });

  it('refuses names over 255 bytes on the wire and a second OPT', () => {
    const labels = Array.from({ length: 5 }, () => 'x'.repeat(63));
    const header = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([63]), Buffer.from(l)])), Buffer.from([0])]);
    expect(name.length).toBe(321);
    expect(parseQuery(Buffer.concat([header, name, Buffer.from([0, 1, 0, 1])]))).toMatchObject({ kind: 'reject', rcode: 1 });

    const opt = { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as dnsPacket.Answer;
    expect(parseQuery(query('a.consul', { additionals: [opt, opt] }))).toMatchObject({ kind: 'reject', rcode: 1 });
  });

  it('marks labels with a dot inside as not plain', () => {
    const header = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const name = Buffer.concat([Buffer.from([3]), Buffer.from('a.b'), Buffer.from([6]), Buffer.from('consul'), Buffer.from([0])]);
    const r = parseQuery(Buffer.concat([header, name, Buffer.from([0, 1, 0, 1])]));
    expect(r.kind === 'query' && r.query.plainLabels).toBe(false);
  });
});
