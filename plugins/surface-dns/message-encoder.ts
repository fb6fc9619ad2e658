import { CLASS_IN, MAX_LABEL, MAX_NAME_WIRE, RRType } from './dns-constants.js';
import { QNAME, type DnsRecord, type DnsResponse, type OwnerName } from './dns-record.js';

/** The sections one encoding writes (a trimmed view of a DnsResponse). */
export interface Sections {
  answers: readonly DnsRecord[];
  authority: readonly DnsRecord[];
  additional: readonly DnsRecord[];
}

/** Thrown when a message would exceed 65535 bytes. */
export class MessageTooBig extends Error {}

/** Thrown for a name that cannot be put on the wire (empty label, label over 63 bytes, name over 255). */
export class UnencodableName extends Error {}

const MAX_MESSAGE = 65535;
const POINTER_LIMIT = 0x4000;

/**
 * A DNS message encoder with name compression (RFC 1035 §4.1.4) for the record types Sextant
 * answers with. Owner names and the names inside NS, CNAME, PTR and SOA data are compressed
 * against every earlier name (matched case-insensitively); SRV targets are written in full, as
 * RFC 2782 asks, but later names may point into them (what miekg/dns, and so Consul, does).
 * Names are validated as they are written, so an encoding either is a well-formed message or
 * throws UnencodableName / MessageTooBig — never a broken packet. One encoder holds one scratch
 * buffer; it is not reentrant, which is fine on Node's single thread.
 */
export class MessageEncoder {
  private buf = Buffer.allocUnsafe(MAX_MESSAGE + 1024);
  private off = 0;
  private readonly names = new Map<string, number>();
  private compress = true;
  private qnameWire: Uint8Array | undefined;

  /**
   * Writes `r`'s header, question and OPT with the given sections into the scratch buffer and
   * returns the message length. The rcode's high bits (if any) go into the OPT.
   */
  encode(r: DnsResponse, s: Sections, compress: boolean): number {
    this.off = 0;
    this.names.clear();
    this.compress = compress;
    this.qnameWire = undefined;
    const opt = r.opt;
    this.u16(r.id);
    this.u16((r.flags & ~0xf) | (r.rcode & 0xf));
    this.u16(r.question ? 1 : 0);
    this.u16(s.answers.length);
    this.u16(s.authority.length);
    this.u16(s.additional.length + (opt ? 1 : 0));
    if (r.question) {
      const q = r.question;
      this.ensure(q.wire.length);
      this.buf.set(q.wire, this.off);
      this.qnameWire = q.wire.subarray(0, q.nameLength);
      if (q.name !== '') this.registerQuestion(q.name, q.wire, q.nameLength);
      this.off += q.wire.length;
    }
    for (const rr of s.answers) this.record(rr);
    for (const rr of s.authority) this.record(rr);
    for (const rr of s.additional) this.record(rr);
    if (opt) {
      this.ensure(11);
      this.u8(0);
      this.u16(RRType.OPT);
      this.u16(opt.udpSize);
      this.u8(r.rcode >> 4);
      this.u8(0);
      this.u16(0);
      const lenAt = this.off;
      this.u16(0);
      for (const o of opt.options) {
        this.u16(o.code);
        this.u16(o.data.length);
        this.bytes(o.data);
      }
      this.buf.writeUInt16BE(this.off - lenAt - 2, lenAt);
    }
    if (this.off > MAX_MESSAGE) throw new MessageTooBig();
    return this.off;
  }

  /** A copy of the last encoded message. */
  take(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    this.buf.copy(out, 0, 0, length);
    return out;
  }

  private registerQuestion(name: string, wire: Uint8Array, nameLength: number): void {
    // Suffix keys by walking the labels of the wire name; `name` is its lower-cased dotted text.
    let pos = 0;
    let textPos = 0;
    while (pos < nameLength && wire[pos]! !== 0) {
      const key = textPos === 0 ? name : name.slice(textPos);
      if (!this.names.has(key)) this.names.set(key, 12 + pos);
      const next = name.indexOf('.', textPos);
      if (next < 0) break;
      textPos = next + 1;
      pos += 1 + wire[pos]!;
    }
  }

  private record(rr: DnsRecord): void {
    this.owner(rr.name);
    const d = rr.data;
    this.ensure(10);
    this.u16(d.type);
    this.u16(CLASS_IN);
    this.u32(rr.ttl);
    const lenAt = this.off;
    this.u16(0);
    switch (d.type) {
      case RRType.A:
      case RRType.AAAA:
        this.bytes(d.ip);
        break;
      case RRType.NS:
      case RRType.CNAME:
      case RRType.PTR:
        this.name(d.target, true);
        break;
      case RRType.TXT:
        for (const s of d.strings) {
          if (s.length > 255) throw new UnencodableName('TXT string over 255 bytes');
          this.u8(s.length);
          this.bytes(s);
        }
        break;
      case RRType.SRV:
        this.ensure(6);
        this.u16(d.priority);
        this.u16(d.weight);
        this.u16(d.port);
        this.name(d.target, false);
        break;
      case RRType.SOA:
        this.name(d.mname, true);
        this.name(d.rname, true);
        this.ensure(20);
        this.u32(d.serial);
        this.u32(d.refresh);
        this.u32(d.retry);
        this.u32(d.expire);
        this.u32(d.minimum);
        break;
    }
    this.buf.writeUInt16BE(this.off - lenAt - 2, lenAt);
  }

  private owner(name: OwnerName): void {
    if (name !== QNAME) {
      this.name(name, true);
      return;
    }
    const wire = this.qnameWire;
    if (!wire) throw new UnencodableName('no question to point to');
    if (this.compress && wire.length > 1) {
      this.ensure(2);
      this.u16(0xc000 | 12);
    } else {
      this.bytes(wire);
    }
  }

  /** Writes a dotted name (no trailing dot; '' is the root), pointing at an earlier copy of a suffix when `mayPoint`. */
  private name(name: string, mayPoint: boolean): void {
    if (name === '') {
      this.ensure(1);
      this.u8(0);
      return;
    }
    const lower = name.toLowerCase();
    const point = mayPoint && this.compress;
    let start = 0;
    let wireLength = 1;
    for (;;) {
      const key = start === 0 ? lower : lower.slice(start);
      if (point) {
        const p = this.names.get(key);
        if (p !== undefined) {
          this.ensure(2);
          this.u16(0xc000 | p);
          return;
        }
      }
      if (this.off < POINTER_LIMIT && !this.names.has(key)) this.names.set(key, this.off);
      let end = name.indexOf('.', start);
      if (end < 0) end = name.length;
      if (end === start) throw new UnencodableName(`empty label in ${JSON.stringify(name)}`);
      this.ensure(1 + 3 * (end - start));
      const n = this.buf.write(name.substring(start, end), this.off + 1, 'utf8');
      if (n > MAX_LABEL) throw new UnencodableName(`label over ${MAX_LABEL} bytes in ${JSON.stringify(name)}`);
      wireLength += 1 + n;
      if (wireLength > MAX_NAME_WIRE) throw new UnencodableName(`name over ${MAX_NAME_WIRE} bytes: ${JSON.stringify(name)}`);
      this.buf[this.off] = n;
      this.off += 1 + n;
      if (end === name.length) break;
      start = end + 1;
    }
    this.ensure(1);
    this.u8(0);
  }

  private ensure(n: number): void {
    if (this.off + n > this.buf.length) throw new MessageTooBig();
  }

  private u8(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
  }

  private u16(v: number): void {
    this.ensure(2);
    this.buf[this.off++] = (v >> 8) & 0xff;
    this.buf[this.off++] = v & 0xff;
  }

  private u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }
}

/** True when `name` (dotted, no trailing dot) can be written: labels of 1..63 bytes, at most 255 bytes on the wire. */
export function isEncodableName(name: string): boolean {
  if (name === '') return true;
  let wire = 1;
  let start = 0;
  for (;;) {
    let end = name.indexOf('.', start);
    if (end < 0) end = name.length;
    const n = Buffer.byteLength(name.substring(start, end), 'utf8');
    if (n === 0 || n > MAX_LABEL) return false;
    wire += 1 + n;
    if (wire > MAX_NAME_WIRE) return false;
    if (end === name.length) return true;
    start = end + 1;
  }
}
