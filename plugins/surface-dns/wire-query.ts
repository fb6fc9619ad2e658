import { MAX_NAME_WIRE, RRType } from './dns-constants.js';
import type { EdnsOption } from './dns-record.js';

/** The EDNS part of a query. */
export interface QueryEdns {
  udpSize: number;
  version: number;
  options: EdnsOption[];
}

/** A query that can be answered. */
export interface ParsedQuery {
  id: number;
  /** The header flags word as sent. */
  flags: number;
  opcode: number;
  /** The question section's bytes: name, type, class (echoed verbatim in the response). */
  questionWire: Uint8Array;
  /** Length of the name within questionWire. */
  nameLength: number;
  /** Lower-cased labels of the name, left to right (UTF-8 decoded). */
  labels: string[];
  /** Lower-cased dotted name without the trailing dot ('' for the root). */
  name: string;
  /** True when no label contains a dot, so `name` can key name compression. */
  plainLabels: boolean;
  qtype: number;
  qclass: number;
  edns?: QueryEdns;
}

/** What to do with a datagram or TCP frame. */
export type QueryParse =
  | { kind: 'query'; query: ParsedQuery }
  /** Unreadable header, or a response: say nothing. */
  | { kind: 'drop' }
  /** Readable header but not something we answer: reply with this rcode (FORMERR, NOTIMP). */
  | { kind: 'reject'; id: number; flags: number; rcode: number };

const OPCODE_QUERY = 0;

class Malformed extends Error {}

/**
 * Parses a DNS query with the checks a server must make before answering (miekg/dns's default
 * accept rules, as Consul uses them): responses and short packets are dropped; an opcode other
 * than QUERY gets NOTIMP; anything else the header promises but the packet does not hold (a
 * question count other than 1, a compressed or over-long question name, a truncated record, a
 * second or misplaced OPT) gets FORMERR. Every read is bounds-checked; the function never throws.
 */
export function parseQuery(msg: Uint8Array): QueryParse {
  if (msg.length < 12) return { kind: 'drop' };
  const id = (msg[0]! << 8) | msg[1]!;
  const flags = (msg[2]! << 8) | msg[3]!;
  if (flags & 0x8000) return { kind: 'drop' };
  const opcode = (flags >> 11) & 0xf;
  const reject = (rcode: number): QueryParse => ({ kind: 'reject', id, flags, rcode });
  if (opcode !== OPCODE_QUERY) return reject(4);
  const qd = (msg[4]! << 8) | msg[5]!;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  const ar = (msg[10]! << 8) | msg[11]!;
  if (qd !== 1 || an > 1 || ns > 1 || ar > 2) return reject(1);
  try {
    // Question name: plain labels only (a pointer in the first name can only point backwards into the header).
    let off = 12;
    const labels: string[] = [];
    let plainLabels = true;
    for (;;) {
      if (off >= msg.length) throw new Malformed();
      const len = msg[off]!;
      if (len === 0) {
        off++;
        break;
      }
      if (len & 0xc0) throw new Malformed();
      if (off + 1 + len > msg.length) throw new Malformed();
      const label = decodeLabel(msg, off + 1, off + 1 + len);
      if (plainLabels && label.includes('.')) plainLabels = false;
      labels.push(label);
      off += 1 + len;
      if (off - 12 + 1 > MAX_NAME_WIRE) throw new Malformed();
    }
    const nameLength = off - 12;
    if (off + 4 > msg.length) throw new Malformed();
    const qtype = (msg[off]! << 8) | msg[off + 1]!;
    const qclass = (msg[off + 2]! << 8) | msg[off + 3]!;
    off += 4;
    const questionWire = msg.subarray(12, off);
    for (let i = 0; i < an + ns; i++) off = skipRecord(msg, off);
    let edns: QueryEdns | undefined;
    for (let i = 0; i < ar; i++) {
      const nameStart = off;
      off = skipName(msg, off);
      if (off + 10 > msg.length) throw new Malformed();
      const type = (msg[off]! << 8) | msg[off + 1]!;
      const rdlen = (msg[off + 8]! << 8) | msg[off + 9]!;
      if (off + 10 + rdlen > msg.length) throw new Malformed();
      if (type === RRType.OPT) {
        if (edns || off - nameStart !== 1) throw new Malformed();
        edns = {
          udpSize: (msg[off + 2]! << 8) | msg[off + 3]!,
          version: msg[off + 5]!,
          options: parseOptions(msg, off + 10, off + 10 + rdlen),
        };
      }
      off += 10 + rdlen;
    }
    const name = labels.join('.');
    return { kind: 'query', query: { id, flags, opcode, questionWire, nameLength, labels, name, plainLabels, qtype, qclass, edns } };
  } catch (e) {
    if (e instanceof Malformed) return reject(1);
    throw e;
  }
}

function decodeLabel(msg: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) if (msg[i]! >= 0x80) ascii = false;
  if (ascii) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = msg[i]!;
      s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    return s;
  }
  return Buffer.from(msg.buffer, msg.byteOffset + start, end - start).toString('utf8').toLowerCase();
}

function skipName(msg: Uint8Array, off: number): number {
  for (let n = 0; n < 128; n++) {
    if (off >= msg.length) throw new Malformed();
    const len = msg[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) {
      if (off + 2 > msg.length) throw new Malformed();
      return off + 2;
    }
    if (len & 0xc0) throw new Malformed();
    off += 1 + len;
  }
  throw new Malformed();
}

function skipRecord(msg: Uint8Array, off: number): number {
  off = skipName(msg, off);
  if (off + 10 > msg.length) throw new Malformed();
  const rdlen = (msg[off + 8]! << 8) | msg[off + 9]!;
  off += 10 + rdlen;
  if (off > msg.length) throw new Malformed();
  return off;
}

function parseOptions(msg: Uint8Array, off: number, end: number): EdnsOption[] {
  const out: EdnsOption[] = [];
  while (off < end) {
    if (off + 4 > end) throw new Malformed();
    const code = (msg[off]! << 8) | msg[off + 1]!;
    const len = (msg[off + 2]! << 8) | msg[off + 3]!;
    if (off + 4 + len > end) throw new Malformed();
    out.push({ code, data: msg.subarray(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return out;
}
