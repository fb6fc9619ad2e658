/**
 * The msgpack dialect of hashicorp/go-msgpack's `codec.MsgpackHandle{}` (the zero-value handle
 * memberlist and serf use): the OLD msgpack spec. Strings and []byte are both written as "raw"
 * (fixraw 0xa0–0xbf, raw16 0xda, raw32 0xdb; never str8 0xd9 nor bin 0xc4–0xc6, since
 * WriteExt is false), integers in the smallest form that holds them (positive values always
 * as unsigned), nil slices as nil (0xc0), structs as maps keyed by field name in declaration
 * order. The decoder accepts the whole current spec (str8, bin8/16/32, ext) as Go's decoder
 * does, so peers built with a newer codec still decode.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';

/** A decoded msgpack value. Raw/str/bin values decode to bytes (the old spec cannot tell a string from bytes). */
export type MsgValue = null | boolean | number | bigint | Uint8Array | MsgValue[] | Map<string, MsgValue>;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Thrown by the decoder when the buffer ends inside a value (a stream reader waits for more bytes then). */
export class MsgpackShortBuffer extends SextantError {
  constructor() {
    super(ErrorCode.TransportFailed, 'msgpack: buffer ends inside a value', { reason: 'short' });
  }
}

/** Appends msgpack values the way go-msgpack's MsgpackHandle{} writes them. */
export class MsgpackWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends raw bytes (not msgpack-encoded): a message-type byte, a user-state blob. */
  rawBytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Appends one raw byte. */
  byte(b: number): this {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  private u16(v: number): void {
    this.byte(v >>> 8).byte(v);
  }

  private u32(v: number): void {
    this.byte(v >>> 24).byte(v >>> 16).byte(v >>> 8).byte(v);
  }

  /** nil (0xc0). */
  nil(): this {
    return this.byte(0xc0);
  }

  /** A bool (0xc2 / 0xc3). */
  bool(v: boolean): this {
    return this.byte(v ? 0xc3 : 0xc2);
  }

  /** An integer, in the smallest form go-msgpack would choose (non-negative values as unsigned). */
  int(v: number | bigint): this {
    if (typeof v === 'bigint') {
      if (v >= 0n && v <= 0xffffffffn) return this.int(Number(v));
      if (v < 0n && v >= -0x80000000n) return this.int(Number(v));
      this.byte(v >= 0n ? 0xcf : 0xd3);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v));
      return this.rawBytes(b);
    }
    if (!Number.isInteger(v)) throw new SextantError(ErrorCode.Internal, `msgpack: not an integer: ${v}`);
    if (v >= 0) {
      if (v <= 0x7f) return this.byte(v);
      if (v <= 0xff) return this.byte(0xcc).byte(v);
      if (v <= 0xffff) {
        this.byte(0xcd);
        this.u16(v);
        return this;
      }
      if (v <= 0xffffffff) {
        this.byte(0xce);
        this.u32(v);
        return this;
      }
      return this.int(BigInt(v));
    }
    if (v >= -32) return this.byte(v & 0xff);
    if (v >= -128) return this.byte(0xd0).byte(v & 0xff);
    if (v >= -32768) {
      this.byte(0xd1);
      this.u16(v & 0xffff);
      return this;
    }
    if (v >= -0x80000000) {
      this.byte(0xd2);
      this.u32(v >>> 0);
      return this;
    }
    return this.int(BigInt(v));
  }

  /** A float64 (0xcb). */
  float64(v: number): this {
    const b = new Uint8Array(9);
    b[0] = 0xcb;
    new DataView(b.buffer).setFloat64(1, v);
    return this.rawBytes(b);
  }

  private rawHeader(n: number): void {
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 65536) {
      this.byte(0xda);
      this.u16(n);
    } else {
      this.byte(0xdb);
      this.u32(n);
    }
  }

  /** A Go string: raw with its UTF-8 bytes. */
  str(s: string): this {
    if (s.length < 32) {
      // Short ASCII (field names, node names): written in place, no TextEncoder round trip.
      let ascii = true;
      for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
      if (ascii) {
        this.ensure(1 + s.length);
        this.buf[this.len++] = 0xa0 | s.length;
        for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
        return this;
      }
    }
    const b = utf8.encode(s);
    this.rawHeader(b.length);
    return this.rawBytes(b);
  }

  /** A Go []byte: raw, or nil when `b` is null/undefined (a nil slice). */
  bytes(b: Uint8Array | null | undefined): this {
    if (b === null || b === undefined) return this.nil();
    this.rawHeader(b.length);
    return this.rawBytes(b);
  }

  /** A map header of `n` entries (then n key/value pairs). */
  map(n: number): this {
    if (n < 16) return this.byte(0x80 | n);
    if (n < 65536) {
      this.byte(0xde);
      this.u16(n);
      return this;
    }
    this.byte(0xdf);
    this.u32(n);
    return this;
  }

  /** An array header of `n` items. */
  array(n: number): this {
    if (n < 16) return this.byte(0x90 | n);
    if (n < 65536) {
      this.byte(0xdc);
      this.u16(n);
      return this;
    }
    this.byte(0xdd);
    this.u32(n);
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Decodes one msgpack value at `offset`; returns it and the offset after it. Throws MsgpackShortBuffer when `buf` ends inside it. */
export function decodeMsgpack(buf: Uint8Array, offset = 0): { value: MsgValue; end: number } {
  const d = new Decoder(buf, offset);
  const value = d.one(0);
  return { value, end: d.p };
}

/** Decodes `b` as UTF-8; short all-ASCII strings (every field name, most node names) without TextDecoder. */
export function utf8Decode(b: Uint8Array, start = 0, end = b.length): string {
  if (end - start <= 64) {
    for (let i = start; i < end; i++) if (b[i]! >= 0x80) return utf8d.decode(b.subarray(start, end));
    return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  }
  return utf8d.decode(b.subarray(start, end));
}

/** The decoder's cursor (a class rather than closures: the packet path decodes thousands of values a second). */
class Decoder {
  private dv: DataView | undefined;

  constructor(
    private readonly buf: Uint8Array,
    public p: number,
  ) {}

  private view(): DataView {
    return (this.dv ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  private need(n: number): void {
    if (this.p + n > this.buf.length) throw new MsgpackShortBuffer();
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.p, this.p + n);
    this.p += n;
    return out;
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.p++]!;
  }

  private u16(): number {
    this.need(2);
    const v = (this.buf[this.p]! << 8) | this.buf[this.p + 1]!;
    this.p += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view().getUint32(this.p);
    this.p += 4;
    return v;
  }

  private u64(signed: boolean): number | bigint {
    this.need(8);
    const v = signed ? this.view().getBigInt64(this.p) : this.view().getBigUint64(this.p);
    this.p += 8;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  one(depth: number): MsgValue {
    if (depth > 64) throw new SextantError(ErrorCode.TransportFailed, 'msgpack: nested too deep', { reason: 'depth' });
    const b = this.u8();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 256;
    if ((b & 0xf0) === 0x80) return this.mapOf(b & 0x0f, depth);
    if ((b & 0xf0) === 0x90) return this.arrayOf(b & 0x0f, depth);
    if ((b & 0xe0) === 0xa0) return this.take(b & 0x1f);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.take(this.u8());
      case 0xc5:
      case 0xda:
        return this.take(this.u16());
      case 0xc6:
      case 0xdb:
        return this.take(this.u32());
      case 0xca: {
        this.need(4);
        const v = this.view().getFloat32(this.p);
        this.p += 4;
        return v;
      }
      case 0xcb: {
        this.need(8);
        const v = this.view().getFloat64(this.p);
        this.p += 8;
        return v;
      }
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        return this.u64(false);
      case 0xd0:
        return (this.u8() << 24) >> 24;
      case 0xd1:
        return (this.u16() << 16) >> 16;
      case 0xd2:
        return this.u32() | 0;
      case 0xd3:
        return this.u64(true);
      case 0xd4:
        return this.take(1 + 1).subarray(1);
      case 0xd5:
        return this.take(1 + 2).subarray(1);
      case 0xd6:
        return this.take(1 + 4).subarray(1);
      case 0xd7:
        return this.take(1 + 8).subarray(1);
      case 0xd8:
        return this.take(1 + 16).subarray(1);
      case 0xc7:
        return this.take(this.u8() + 1).subarray(1);
      case 0xc8:
        return this.take(this.u16() + 1).subarray(1);
      case 0xc9:
        return this.take(this.u32() + 1).subarray(1);
      case 0xdc:
        return this.arrayOf(this.u16(), depth);
      case 0xdd:
        return this.arrayOf(this.u32(), depth);
      case 0xde:
        return this.mapOf(this.u16(), depth);
      case 0xdf:
        return this.mapOf(this.u32(), depth);
      default:
        throw new SextantError(ErrorCode.TransportFailed, `msgpack: unknown type byte 0x${b.toString(16)}`, { reason: 'type' });
    }
  }

  private arrayOf(n: number, depth: number): MsgValue[] {
    const out: MsgValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.one(depth + 1));
    return out;
  }

  private mapOf(n: number, depth: number): Map<string, MsgValue> {
    const out = new Map<string, MsgValue>();
    for (let i = 0; i < n; i++) {
      const k = this.key(depth + 1);
      const v = this.one(depth + 1);
      out.set(k, v);
    }
    return out;
  }

  /** A map key as a string: raw/str keys decoded in place (no copy), anything else through one(). */
  private key(depth: number): string {
    this.need(1);
    const b = this.buf[this.p]!;
    let n = -1;
    if ((b & 0xe0) === 0xa0) {
      this.p++;
      n = b & 0x1f;
    } else if (b === 0xd9 || b === 0xc4) {
      this.p++;
      n = this.u8();
    }
    if (n >= 0) {
      this.need(n);
      const s = utf8Decode(this.buf, this.p, this.p + n);
      this.p += n;
      return s;
    }
    const k = this.one(depth);
    return k instanceof Uint8Array ? utf8d.decode(k) : String(k);
  }
}

/** Typed field access on a decoded struct (a msgpack map), as go-msgpack fills a Go struct: absent or nil fields take the zero value. */
export class MsgStruct {
  constructor(private readonly m: Map<string, MsgValue>) {}

  /** Wraps a decoded value; throws TRANSPORT_FAILED when it is not a map (the peer sent something else). */
  static of(v: MsgValue, what: string): MsgStruct {
    if (!(v instanceof Map)) throw new SextantError(ErrorCode.TransportFailed, `${what}: expected a msgpack map`, { reason: 'shape' });
    return new MsgStruct(v);
  }

  /** A Go string field ('' when absent). */
  str(name: string): string {
    const v = this.m.get(name);
    if (v === undefined || v === null) return '';
    if (v instanceof Uint8Array) return utf8Decode(v);
    throw this.bad(name, 'string');
  }

  /** A Go []byte field (null when absent or nil, like Go's nil slice). */
  bytes(name: string): Uint8Array | null {
    const v = this.m.get(name);
    if (v === undefined || v === null) return null;
    if (v instanceof Uint8Array) return v;
    // A []uint8 written by an encoder that treats it as a list.
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Uint8Array.from(v as number[]);
    throw this.bad(name, 'bytes');
  }

  /** A Go integer field (0 when absent). */
  int(name: string): number {
    const v = this.m.get(name);
    if (v === undefined || v === null) return 0;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw this.bad(name, 'integer');
  }

  /** A Go bool field (false when absent). */
  bool(name: string): boolean {
    const v = this.m.get(name);
    if (v === undefined || v === null) return false;
    if (typeof v === 'boolean') return v;
    throw this.bad(name, 'bool');
  }

  private bad(name: string, want: string): SextantError {
    return new SextantError(ErrorCode.TransportFailed, `msgpack: field ${name} is not a ${want}`, { reason: 'shape' });
  }
}
