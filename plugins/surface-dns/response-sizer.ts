import { CLASSIC_UDP_SIZE, Flag, MAX_EDNS_UDP_SIZE, MAX_TCP_SIZE, RRType } from './dns-constants.js';
import type { DnsRecord, DnsResponse } from './dns-record.js';
import { MessageEncoder, MessageTooBig, type Sections } from './message-encoder.js';

/** How a response must be sized. */
export interface SizeRules {
  transport: 'udp' | 'tcp';
  /** The client's EDNS payload size; undefined without EDNS. */
  ednsSize: number | undefined;
  /** dns_config.udp_answer_limit (applies to 512-byte UDP answers). */
  udpAnswerLimit: number;
  /** dns_config.enable_truncate. */
  enableTruncate: boolean;
  compress: boolean;
  qtype: number;
}

/** Consul caps the UDP answer limit at 8 whatever the config says. */
const MAX_UDP_ANSWER_LIMIT = 8;

/** How many answers a response can carry before its size is even looked at (the 512-byte UDP answer limit), or Infinity. */
export function answerCap(transport: 'udp' | 'tcp', ednsSize: number | undefined, udpAnswerLimit: number): number {
  if (transport !== 'udp' || (ednsSize !== undefined && ednsSize > CLASSIC_UDP_SIZE)) return Number.POSITIVE_INFINITY;
  return Math.min(udpAnswerLimit, MAX_UDP_ANSWER_LIMIT);
}

/**
 * Encodes a response to fit its transport, as Consul's trimUDPResponse / trimTCPResponse do:
 * UDP gets 512 bytes without EDNS (answers first cut to udp_answer_limit) or the client's EDNS
 * size; TCP at most 65523 bytes and 4096 records (1024 SRV). When too big, the authority section
 * goes first, then the node-meta TXT records of the additional section (Consul's trimming keeps
 * only the address records of the remaining SRV targets), then answers are cut (binary search on
 * the encoded size) with the address records that belonged to cut answers; only when not even one
 * answer fits with its address is the additional section dropped altogether. TC is set when
 * answers were cut and `enable_truncate` is on, and always when not even one answer fit (so the
 * client retries over TCP rather than trusting an empty answer).
 */
export class ResponseSizer {
  private readonly encoder = new MessageEncoder();

  /** The wire message. Throws UnencodableName only for a record the responder failed to vet. */
  encode(r: DnsResponse, rules: SizeRules): Buffer {
    let limit: number;
    let maxAnswers = r.answers.length;
    if (rules.transport === 'udp') {
      limit = rules.ednsSize === undefined ? CLASSIC_UDP_SIZE : Math.min(Math.max(rules.ednsSize, CLASSIC_UDP_SIZE), MAX_EDNS_UDP_SIZE);
      maxAnswers = Math.min(maxAnswers, answerCap('udp', rules.ednsSize, rules.udpAnswerLimit));
    } else {
      limit = MAX_TCP_SIZE;
      maxAnswers = Math.min(maxAnswers, rules.qtype === RRType.SRV ? 1024 : 4096);
    }
    const total = r.answers.length + (r.omitted ?? 0);
    let authority = r.authority;
    let additional: AdditionalKept = 'all';
    const size = (k: number): number => this.tryEncode(r, this.sections(r, k, authority, additional), rules.compress);
    let k = maxAnswers;
    let len = size(k);
    if (len > limit && authority.length > 0) {
      authority = [];
      len = size(k);
    }
    if (len > limit && hasTxt(r)) {
      additional = 'addresses';
      len = size(k);
    }
    if (len > limit) {
      k = largestFitting(size, k - 1, limit);
      if (k < 1 && maxAnswers > 0) {
        // Not even one answer fits with its address record: answers without any additional section.
        additional = 'none';
        k = largestFitting(size, maxAnswers, limit);
      }
      k = Math.max(k, 0);
      len = size(k);
      if (len > limit) {
        additional = 'none';
        len = size(k);
      }
    }
    if (len > limit) throw new MessageTooBig();
    const out = this.encoder.take(len);
    if (rules.transport === 'udp' && k < total && (rules.enableTruncate || k === 0)) out[2]! |= Flag.TC >> 8;
    return out;
  }

  private sections(r: DnsResponse, k: number, authority: readonly DnsRecord[], kept: AdditionalKept): Sections {
    const answers = k === r.answers.length ? r.answers : r.answers.slice(0, k);
    if (kept === 'none') return { answers, authority, additional: [] };
    const base = kept === 'all' ? r.additional : r.additional.filter(isNotTxt);
    let additional: readonly DnsRecord[] = base;
    const glue = r.glue;
    if (glue) {
      const extra: DnsRecord[] = [...base];
      const seen = new Set<string>();
      for (let i = 0; i < k; i++) {
        const g = glue[i];
        if (!g) continue;
        for (const rr of g) {
          if (kept === 'addresses' && rr.data.type === RRType.TXT) continue;
          // Two answers on one node share their target's records: keep one copy.
          const key = recordKey(rr);
          if (seen.has(key)) continue;
          seen.add(key);
          extra.push(rr);
        }
      }
      additional = extra;
    }
    return { answers, authority, additional };
  }

  private tryEncode(r: DnsResponse, s: Sections, compress: boolean): number {
    try {
      return this.encoder.encode(r, s, compress);
    } catch (e) {
      if (e instanceof MessageTooBig) return Number.POSITIVE_INFINITY;
      throw e;
    }
  }
}

/** Which additional records an encoding carries: all, all but the node-meta TXT records, or none. */
type AdditionalKept = 'all' | 'addresses' | 'none';

/** The largest k in [0, hi] with size(k) <= limit (size grows with k), or -1 when none fits. */
function largestFitting(size: (k: number) => number, hi: number, limit: number): number {
  let lo = 0;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (size(mid) <= limit) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

function isNotTxt(rr: DnsRecord): boolean {
  return rr.data.type !== RRType.TXT;
}

/** True when the response's additional section (shared or per answer) holds a TXT record. */
function hasTxt(r: DnsResponse): boolean {
  if (r.additional.some((rr) => rr.data.type === RRType.TXT)) return true;
  return r.glue?.some((g) => g?.some((rr) => rr.data.type === RRType.TXT) ?? false) ?? false;
}

/** Identity of a glue record's content (owner, type, data). */
function recordKey(rr: DnsRecord): string {
  const d = rr.data;
  const name = typeof rr.name === 'string' ? rr.name.toLowerCase() : '';
  switch (d.type) {
    case RRType.A:
    case RRType.AAAA:
      return `${name}|${d.type}|${Buffer.from(d.ip).toString('hex')}`;
    case RRType.TXT:
      return `${name}|16|${d.strings.map((x) => Buffer.from(x).toString('hex')).join(',')}`;
    default:
      return `${name}|${d.type}|${JSON.stringify(d)}`;
  }
}
