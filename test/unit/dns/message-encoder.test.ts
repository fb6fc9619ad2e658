import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { Flag, RRType } from '../../../plugins/surface-dns/dns-constants.js';
import { QNAME, type DnsRecord, type DnsResponse } from '../../../plugins/surface-dns/dns-record.js';
import { isEncodableName, MessageEncoder, UnencodableName } from '../../../plugins/surface-dns/message-encoder.js';

function question(name: string, type = 33): DnsResponse['question'] {
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name, type: 'SRV' }] });
  const wire = Uint8Array.from(q.subarray(12));
  wire[wire.length - 3] = type;
  return { wire, nameLength: wire.length - 4, name: name.toLowerCase() };
}

function srvResponse(n: number): DnsResponse {
  const answers: DnsRecord[] = [];
  const glue: DnsRecord[][] = [];
  for (let i = 0; i < n; i++) {
    const target = `node-${i}.node.dc1.consul`;
    answers.push({ name: QNAME, ttl: 0, data: { type: RRType.SRV, priority: 1, weight: 1, port: 8000 + i, target } });
    glue.push([{ name: target, ttl: 0, data: { type: RRType.A, ip: Uint8Array.from([10, 0, 0, i]) } }]);
  }
  return { id: 9, flags: Flag.QR | Flag.AA, rcode: 0, question: question('web.service.consul'), answers, glue, authority: [], additional: glue.flat() };
}

describe('MessageEncoder', () => {
  it('writes messages dns-packet decodes, with the question echoed verbatim', () => {
    const enc = new MessageEncoder();
    const r = srvResponse(3);
    r.question = question('WeB.service.consul');
    const len = enc.encode(r, r, true);
    const p = dnsPacket.decode(enc.take(len));
    expect(p.id).toBe(9);
    expect(p.flag_aa).toBe(true);
    expect(p.questions![0]!.name).toBe('WeB.service.consul');
    expect(p.answers!.map((a) => a.name)).toEqual(['WeB.service.consul', 'WeB.service.consul', 'WeB.service.consul']);
    expect(p.answers![1]).toMatchObject({ type: 'SRV', data: { port: 8001, target: 'node-1.node.dc1.consul', priority: 1, weight: 1 } });
    expect(p.additionals![2]).toMatchObject({ type: 'A', name: 'node-2.node.dc1.consul', data: '10.0.0.2' });
  });

  it('compresses: 10 SRV answers with their A records take 40% less than dns-packet writes', () => {
    const enc = new MessageEncoder();
    const r = srvResponse(10);
    const compressed = enc.encode(r, r, true);
    const plain = enc.encode(r, r, false);
    const theirs = dnsPacket.encode(dnsPacket.decode(enc.take(plain))).length;
    expect(plain).toBe(theirs);
    expect(compressed).toBeLessThan(theirs * 0.62);
    // Without EDNS, 512 bytes hold 8 SRV answers with their glue (Consul's cap) instead of 4.
    expect(enc.encode(srvResponse(8), srvResponse(8), true)).toBeLessThanOrEqual(512);
  });

  it('never compresses SRV targets, only lets later names point into them', () => {
    const enc = new MessageEncoder();
    const r = srvResponse(2);
    const buf = enc.take(enc.encode(r, r, true));
    // Both targets appear in full (labels "node-0" and "node-1" followed by "node.dc1.consul" written out).
    expect(buf.toString('latin1').split('\u0004node\u0003dc1\u0006consul').length - 1).toBe(2);
  });

  it('refuses names that cannot be encoded instead of writing a broken packet', () => {
    expect(isEncodableName('a'.repeat(63) + '.consul')).toBe(true);
    expect(isEncodableName('a'.repeat(64) + '.consul')).toBe(false);
    expect(isEncodableName(Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.'))).toBe(false);
    expect(isEncodableName('a..b')).toBe(false);
    expect(isEncodableName('é'.repeat(32))).toBe(false);
    const enc = new MessageEncoder();
    const r = srvResponse(1);
    r.answers[0] = { name: QNAME, ttl: 0, data: { type: RRType.CNAME, target: 'x'.repeat(64) + '.com' } };
    expect(() => enc.encode(r, { answers: r.answers, authority: [], additional: [] }, true)).toThrow(UnencodableName);
  });

  it('writes the OPT with the extended rcode bits and options', () => {
    const enc = new MessageEncoder();
    const r: DnsResponse = { id: 3, flags: Flag.QR, rcode: 16, question: question('a.consul'), answers: [], authority: [], additional: [], opt: { udpSize: 1232, options: [{ code: 8, data: Uint8Array.from([0, 1, 24, 0, 10, 1, 2]) }] } };
    const p = dnsPacket.decode(enc.take(enc.encode(r, r, true)));
    const opt = p.additionals![0] as dnsPacket.OptAnswer;
    expect(opt).toMatchObject({ type: 'OPT', udpPayloadSize: 1232, extendedRcode: 1 });
    expect(opt.options[0]).toMatchObject({ code: 8, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '10.1.2.0' });
  });
});
