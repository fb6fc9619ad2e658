import * as dnsPacket from 'dns-packet';
import { RRType } from './dns-constants.js';
import type { DnsRecord } from './dns-record.js';
import type { DnsSettings } from './dns-settings.js';
import { ipBytes } from './ip-bytes.js';
import { isEncodableName } from './message-encoder.js';
import type { RecursorClient } from './recursor-client.js';

/** The most records one chase adds (Consul stops at 5 without EDNS; a handful is all an answer needs). */
export const MAX_CHASED_RECORDS = 8;
/** The largest answer a chase reads from a recursor (its TCP answer when the UDP one is truncated). */
const MAX_MESSAGE = 65535;

/**
 * The records a hostname stands for, asked of the recursors as Consul does when a service (or
 * node) address is a hostname and `recursors` are set: an A question (AAAA when the client asked
 * for AAAA), and the upstream's A, AAAA and CNAME answer records, under their own names, with
 * `ttl`. Empty without recursors, for a name under the agent's own
 * domains (never sent upstream), or when every recursor fails. Never throws.
 */
export async function chaseHostname(recursors: RecursorClient, hostname: string, qtype: number, ttl: number, s: DnsSettings): Promise<DnsRecord[]> {
  if (s.recursors.length === 0 || underOwnDomain(hostname, s)) return [];
  const type = qtype === RRType.AAAA ? 'AAAA' : 'A';
  let answer: Buffer | undefined;
  try {
    const query = dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: hostname, type, class: 'IN' }] });
    answer = await recursors.forward(query, {
      recursors: s.recursors,
      strategy: s.recursorStrategy,
      timeoutMs: s.recursorTimeoutMs,
      transport: 'udp',
      clientUdpLimit: MAX_MESSAGE,
    });
  } catch {
    return [];
  }
  if (!answer) return [];
  let decoded: dnsPacket.Packet;
  try {
    decoded = dnsPacket.decode(answer);
  } catch {
    return [];
  }
  const out: DnsRecord[] = [];
  for (const rr of decoded.answers ?? []) {
    if (out.length >= MAX_CHASED_RECORDS) break;
    if (!isEncodableName(rr.name) || (rr as { class?: string }).class !== 'IN') continue;
    if (rr.type === 'A' || rr.type === 'AAAA') {
      const ip = ipBytes(rr.data);
      if (ip && (ip.family === 4) === (rr.type === 'A')) out.push({ name: rr.name, ttl, data: ip.family === 4 ? { type: RRType.A, ip: ip.bytes } : { type: RRType.AAAA, ip: ip.bytes } });
    } else if (rr.type === 'CNAME' && isEncodableName(rr.data)) {
      out.push({ name: rr.name, ttl, data: { type: RRType.CNAME, target: rr.data } });
    }
  }
  return out;
}

function underOwnDomain(hostname: string, s: DnsSettings): boolean {
  const h = hostname.toLowerCase();
  return [s.domain, s.altDomain].some((d) => d !== '' && (h === d || h.endsWith(`.${d}`)));
}
