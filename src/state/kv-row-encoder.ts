import { Encoder } from '@msgpack/msgpack';
import { entryRow, type KvRecord } from './kv-record.js';
import { InPlaceMsgpack } from './sliced-msgpack.js';

/** String.prototype.isWellFormed (Node 20; not in the ES2022 lib). */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Encodes a KV record's snapshot row, [key, value, flags, createIndex, modifyIndex, lockIndex,
 * session], byte for byte as @msgpack/msgpack encodes entryRow(record), straight from the record:
 * no row array, no Uint8Array of the value (its latin1 string is written as the bin's bytes).
 * A snapshot encodes one row per fresh key (500,000 for the first at 500k keys), on the main
 * thread; the generic encoder and the value's copy were most of that. Strings that are not
 * well-formed UTF-16 (a lone surrogate), which the library writes its own way, go through it.
 *
 * As an InPlaceMsgpack (`of(record)`), it writes the row straight into encodeSliced's output.
 */
export class KvRowEncoder extends InPlaceMsgpack {
  /** The buffer writeInto is writing into, and where. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private record: KvRecord | undefined;
  /** The library's bytes of `record`'s row when it has a string that is not well-formed. */
  private library: Uint8Array | undefined;
  private readonly fallback = new Encoder();

  /** Points the encoder at `r`: its bound() and writeInto() are then those of r's row. */
  of(r: KvRecord): this {
    this.record = r;
    this.library = isWellFormed(r.key) && isWellFormed(r.flags) && isWellFormed(r.session) ? undefined : this.fallback.encodeSharedRef(entryRow(r));
    return this;
  }

  bound(): number {
    const r = this.record!;
    // Worst case: 3 UTF-8 bytes per UTF-16 unit, 5-byte headers, 9-byte integers.
    return this.library ? this.library.length : 64 + 3 * (r.key.length + r.flags.length + r.session.length) + r.raw.length;
  }

  writeInto(buf: Buffer, at: number): number {
    if (this.library) {
      buf.set(this.library, at);
      return at + this.library.length;
    }
    const r = this.record!;
    this.buf = buf;
    this.pos = at;
    buf[this.pos++] = 0x97;
    this.str(r.key);
    this.bin(r.raw);
    this.str(r.flags);
    this.uint(r.createIndex);
    this.uint(r.modifyIndex);
    this.uint(r.lockIndex);
    this.str(r.session);
    return this.pos;
  }

  private str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (n < 32) this.buf[this.pos++] = 0xa0 + n;
    else this.head(n, 0xd9, 0xda, 0xdb);
    if (n > 0) this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private bin(raw: string): void {
    this.head(raw.length, 0xc4, 0xc5, 0xc6);
    if (raw.length > 0) this.pos += this.buf.write(raw, this.pos, 'latin1');
  }

  /** A length header: 8-, 16- or 32-bit form. */
  private head(n: number, b8: number, b16: number, b32: number): void {
    const b = this.buf;
    if (n < 0x100) {
      b[this.pos++] = b8;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = b16;
      this.pos = b.writeUInt16BE(n, this.pos);
    } else {
      b[this.pos++] = b32;
      this.pos = b.writeUInt32BE(n, this.pos);
    }
  }

  /** A non-negative safe integer, in the smallest form (as the library). */
  private uint(n: number): void {
    const b = this.buf;
    if (n < 0x80) {
      b[this.pos++] = n;
    } else if (n < 0x100) {
      b[this.pos++] = 0xcc;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = 0xcd;
      this.pos = b.writeUInt16BE(n, this.pos);
    } else if (n < 0x100000000) {
      b[this.pos++] = 0xce;
      this.pos = b.writeUInt32BE(n, this.pos);
    } else {
      b[this.pos++] = 0xcf;
      this.pos = b.writeBigUInt64BE(BigInt(n), this.pos);
    }
  }
}
