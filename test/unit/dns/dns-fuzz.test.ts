import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../plugins/surface-dns/wire-query.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { dnsHarness } from './dns-harness.js';

/** A name as it must be on the wire: labels of 1..63 bytes, at most 255 bytes in all (dns-packet decodes longer labels silently). */
function wellFormedName(name: string): boolean {
  if (name === '' || name === '.') return true;
  const labels = name.replace(/\.$/, '').split('.');
  return labels.every((l) => l.length >= 1 && Buffer.byteLength(l) <= 63) && labels.reduce((n, l) => n + 1 + Buffer.byteLength(l), 1) <= 255;
}

/** Every name a record carries: its owner and the names in its data. */
function namesOf(rr: { name: string; type: string; data?: unknown }): string[] {
  const d = rr.data as Record<string, unknown> | string | undefined;
  switch (rr.type) {
    case 'SRV':
      return [rr.name, (d as { target: string }).target];
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return [rr.name, d as string];
    case 'SOA':
      return [rr.name, (d as { mname: string }).mname, (d as { rname: string }).rname];
    default:
      return [rr.name];
  }
}

const NAMES = [
  'web.service.consul', 'rails.web.service.dc1.consul', '_web._tcp.service.consul', 'agent-two.node.consul', '0a000001.addr.consul',
  'consul', '5.0.0.10.in-addr.arpa', '10.0.0.10.in-addr.arpa', 'example.com', 'nothing.service.consul', 'x.y.z.node.dc1.dc.consul',
];
const TYPES = ['A', 'AAAA', 'SRV', 'TXT', 'ANY', 'SOA', 'NS', 'PTR', 'CNAME', 'AXFR'] as const;

describe('DNS fuzz', () => {
  it('100,000 random and mutated packets: no throw, every answer a well-formed message for the same ID', async () => {
    const h = dnsHarness();
    for (let i = 0; i < 12; i++) {
      await h.register({ Node: i === 3 ? 'x'.repeat(63) : i === 4 ? 'y'.repeat(70) : `web-${i}`, Address: `10.0.0.${i + 1}`, NodeMeta: { rack: `r${i}`, 'k=`': ' v ' }, Service: { Service: 'web', Port: 8000 + i, Tags: ['rails'], Address: i % 3 === 0 ? `host-${i}.example.com` : '' } as never });
    }
    await h.register({ Node: 'agent-two', Address: '10.0.0.5', NodeMeta: { big: 'v'.repeat(700) } });
    // A service name that cannot be a DNS label, on a node that is also a PTR target.
    await h.register({ Node: 'long-svc', Address: '10.0.0.99', Service: { Service: 'l'.repeat(70), Port: 1, Address: '10.0.0.10' } as never });
    const rnd = new SeededRandom(20261122);
    const corpus = NAMES.flatMap((name) =>
      TYPES.map((type) =>
        dnsPacket.encode({
          type: 'query', id: rnd.int(65536), flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as dnsPacket.RecordType }],
          additionals: rnd.int(2) ? [{ type: 'OPT', name: '.', udpPayloadSize: 512 + rnd.int(4000), flags: 0, options: [] } as unknown as dnsPacket.Answer] : [],
        }),
      ),
    );
    let answered = 0;
    let formerr = 0;
    for (let i = 0; i < 100_000; i++) {
      let msg: Buffer;
      const kind = rnd.int(4);
      if (kind === 0) {
        msg = Buffer.from(rnd.bytes(rnd.int(600)));
      } else {
        msg = Buffer.from(corpus[rnd.int(corpus.length)]!);
        const flips = 1 + rnd.int(kind === 1 ? 2 : 8);
        for (let f = 0; f < flips; f++) msg[rnd.int(msg.length)] = rnd.int(256);
        if (kind === 3) msg = msg.subarray(0, rnd.int(msg.length + 1));
        if (rnd.int(10) === 0) msg[2]! &= 0x7f;
      }
      const transport = rnd.int(5) === 0 ? 'tcp' : 'udp';
      const out = await h.raw(msg, transport);
      if (!out) continue;
      answered++;
      expect(out.readUInt16BE(0)).toBe(msg.readUInt16BE(0));
      const p = dnsPacket.decode(out);
      expect(p.flag_qr).toBe(true);
      if ((p as { rcode?: string }).rcode === 'FORMERR') formerr++;
      const hasOpt = (p.additionals ?? []).some((a) => a.type === 'OPT');
      if (transport === 'udp') {
        // The size the client allowed: 512 without EDNS, else its advertised payload size.
        const q = parseQuery(msg);
        const ednsSize = q.kind === 'query' ? q.query.edns?.udpSize : undefined;
        expect(out.length).toBeLessThanOrEqual(Math.max(512, hasOpt ? (ednsSize ?? 512) : 512));
      }
      for (const rr of [...(p.answers ?? []), ...(p.authorities ?? []), ...(p.additionals ?? [])]) {
        for (const name of namesOf(rr as never)) expect(wellFormedName(name), `${rr.type} ${name}`).toBe(true);
      }
    }
    expect(answered).toBeGreaterThan(30_000);
    expect(formerr).toBeGreaterThan(1_000);
  }, 60_000);
});
