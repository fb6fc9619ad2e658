import { Encoder } from '@msgpack/msgpack';

/** How many encoded bytes one slice produces before the encoder lets the event loop run. */
const SLICE_BYTES = 16 * 1024;

/** Containers this shallow are always written member by member (the image's envelope and tables). */
const OPEN_DEPTH = 2;

/** Deeper down, arrays longer than this are written item by item; smaller values are encoded whole. */
const WIDE_ARRAY = 64;

/** Hands the turn back to the event loop (pending I/O and timers run) and resumes after. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * An array whose items are produced while it is encoded, written as a msgpack array of
 * `length` items exactly as encode() writes the same items in a plain array: a table's rows can
 * go straight from a frozen view into the output, each dying young instead of a whole table of
 * row arrays being built first and kept until the encode ends. Items may be RawMsgpack runs
 * (bytes encoded earlier, each counting as its `items` items). encodeSliced rejects when
 * `items()` yields a different number of items.
 */
export class LazyArray {
  /**
   * @param length the number of items `items()` yields (a RawMsgpack counting as its `items`)
   * @param items produces the items, once, in order; `position()` answers how many bytes of the
   *   image are written so far, i.e. the offset in the final image at which the next item starts
   */
  constructor(
    readonly length: number,
    readonly items: (position: () => number) => Iterable<unknown>,
  ) {}
}

/**
 * Bytes that are already msgpack — `items` consecutive values encoded earlier (e.g. rows of a
 * previous image that did not change) — which encodeSliced writes verbatim, borrowed without
 * copying until the final join. Inside a LazyArray it counts as `items` items; elsewhere it
 * must be one value (`items` 1) in a place the encoder writes on its own (the value itself, a
 * member of the top two object levels, an item of an array written member by member: see
 * isOpen), not inside a value encoded whole. Nothing checks the bytes: they must be exactly what
 * encode() writes for those values and must not change until the encode settles.
 */
export class RawMsgpack {
  /**
   * @param bytes the encoded values, back to back
   * @param items how many values `bytes` holds (1 when omitted)
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly items = 1,
  ) {}
}

/**
 * One value that writes its msgpack straight into the output (a specialised encoder: see
 * KvRowEncoder), so it needs no buffer of its own and its bytes are not copied again. Like a
 * RawMsgpack it must write exactly what encode() writes for the value it stands for, and it
 * counts as one item. encodeSliced calls bound() then writeInto() at once when it reaches the
 * item, so a producer may hand the same object again, pointed at its next value.
 */
export abstract class InPlaceMsgpack {
  /** At least the number of bytes writeInto will write. */
  abstract bound(): number;
  /** Writes the value's msgpack into `buf` at `at` (at least bound() bytes are free there); returns the end. */
  abstract writeInto(buf: Buffer, at: number): number;
}

/**
 * What one item of a RawMsgpack run counts toward a slice, in bytes: reusing a row costs its
 * producer a comparison and at most a lookup (no encoding, no copy until the join), about what
 * encoding 16 bytes costs, so a run of 1,024 rows weighs one 16 KB slice.
 */
const RAW_ITEM_WEIGHT = 16;

/** Output is gathered in blocks of this size (one allocation per block, not one per row). */
const BLOCK_BYTES = 1024 * 1024;

/**
 * A growing byte buffer made of large blocks and of borrowed ranges (RawMsgpack bytes, kept by
 * reference, not copied), joined once at the end.
 */
class BlockWriter {
  /** The output so far, in order, except the unparted tail of `cur` (from `start` to `pos`). */
  private readonly parts: Uint8Array[] = [];
  private cur: Buffer = Buffer.allocUnsafeSlow(BLOCK_BYTES);
  private start = 0;
  private pos = 0;
  total = 0;

  write(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.pos === this.cur.length) this.nextBlock(BLOCK_BYTES);
      const n = Math.min(bytes.length - at, this.cur.length - this.pos);
      this.cur.set(n === bytes.length ? bytes : bytes.subarray(at, at + n), this.pos);
      this.pos += n;
      at += n;
    }
    this.total += bytes.length;
  }

  /** Has `v` write itself into the current block (a fresh one when less than its bound is left); returns the bytes written. */
  writeInPlace(v: InPlaceMsgpack): number {
    const bound = v.bound();
    if (this.cur.length - this.pos < bound) this.nextBlock(Math.max(BLOCK_BYTES, bound));
    const end = v.writeInto(this.cur, this.pos);
    const n = end - this.pos;
    this.pos = end;
    this.total += n;
    return n;
  }

  private nextBlock(bytes: number): void {
    if (this.pos > this.start) this.parts.push(this.cur.subarray(this.start, this.pos));
    this.cur = Buffer.allocUnsafeSlow(bytes);
    this.start = this.pos = 0;
  }

  /** Appends `bytes` by reference: they are copied only by finish(), so must not change before. */
  borrow(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.pos > this.start) this.parts.push(this.cur.subarray(this.start, this.pos));
    this.start = this.pos;
    this.parts.push(bytes);
    this.total += bytes.length;
  }

  /**
   * The bytes written, joined into one buffer a block's worth per turn (awaiting `yieldTurn`
   * after each BLOCK_BYTES copied): allocating and touching tens of MB at once would hold the
   * event loop for ~80 ms.
   */
  async finish(yieldTurn: () => Promise<void>, allocate?: (bytes: number) => Promise<Uint8Array>): Promise<Uint8Array> {
    if (this.pos > this.start) this.parts.push(this.cur.subarray(this.start, this.pos));
    const out = allocate ? await allocate(this.total) : new Uint8Array(Buffer.allocUnsafeSlow(this.total).buffer, 0, this.total);
    let at = 0;
    let sinceYield = 0;
    for (const part of this.parts) {
      for (let from = 0; from < part.length; ) {
        const n = Math.min(part.length - from, BLOCK_BYTES - sinceYield);
        out.set(from === 0 && n === part.length ? part : part.subarray(from, from + n), at);
        at += n;
        from += n;
        sinceYield += n;
        if (sinceYield >= BLOCK_BYTES) {
          sinceYield = 0;
          await yieldTurn();
        }
      }
    }
    return out;
  }
}

/**
 * msgpack of `value`, byte for byte what `encode(value)` of @msgpack/msgpack writes, produced a
 * slice at a time: the envelope's objects and every long array are written member by member
 * (each row of a table encoded whole, into the encoder's shared buffer and copied straight into
 * large output blocks, so no per-row allocation; an InPlaceMsgpack writes itself into them),
 * and after each `sliceBytes` of output the encoder awaits `yieldTurn`, so a large state image
 * (tens of MB for a big catalog) does not hold the event loop for the whole encode. The value
 * must not change until the promise settles (StateStore hands it a snapshot of the tables' rows,
 * so apply may go on).
 */
export async function encodeSliced(
  value: unknown,
  opts: {
    sliceBytes?: number;
    yieldTurn?: () => Promise<void>;
    /** Allocates the image's buffer (exactly `bytes` long; contents overwritten). Default: Buffer.allocUnsafeSlow. */
    allocate?: (bytes: number) => Promise<Uint8Array>;
  } = {},
): Promise<Uint8Array> {
  const sliceBytes = opts.sliceBytes ?? SLICE_BYTES;
  const yieldTurn = opts.yieldTurn ?? nextTurn;
  const encoder = new Encoder();
  const out = new BlockWriter();
  let sinceYield = 0;

  const push = (bytes: Uint8Array): void => {
    out.write(bytes);
    sinceYield += bytes.length;
  };
  const position = (): number => out.total;
  // A generator so that only a full slice costs an await: it yields when one is full. Rows of a
  // wide array are written in a plain loop (no generator per row).
  function* put(v: unknown, depth: number): Generator<void, void, undefined> {
    const lazy = v instanceof LazyArray;
    if (lazy || (Array.isArray(v) && (depth < OPEN_DEPTH || v.length > WIDE_ARRAY))) {
      const items = lazy ? v.items(position) : (v as unknown[]);
      let count = 0;
      push(header(lazy ? v.length : (v as unknown[]).length, 0x90, 0xdc, 0xdd));
      for (const item of items) {
        if (item instanceof InPlaceMsgpack) {
          count++;
          sinceYield += out.writeInPlace(item);
          if (sinceYield >= sliceBytes) {
            sinceYield = 0;
            yield;
          }
          continue;
        }
        if (item instanceof RawMsgpack) {
          if (!lazy && item.items !== 1) throw new Error('a RawMsgpack of several items outside a LazyArray');
          count += item.items;
          out.borrow(item.bytes);
          sinceYield += item.items * RAW_ITEM_WEIGHT;
          if (sinceYield >= sliceBytes) {
            sinceYield = 0;
            yield;
          }
          continue;
        }
        count++;
        if (isOpen(item, depth + 1)) {
          yield* put(item, depth + 1);
          continue;
        }
        push(encoder.encodeSharedRef(item));
        if (sinceYield >= sliceBytes) {
          sinceYield = 0;
          yield;
        }
      }
      if (lazy && count !== v.length) throw new Error(`a lazy array declared ${v.length} items and produced ${count}`);
      return;
    }
    if (depth < OPEN_DEPTH && isPlainObject(v)) {
      const keys = Object.keys(v);
      push(header(keys.length, 0x80, 0xde, 0xdf));
      for (const k of keys) {
        push(encoder.encodeSharedRef(k));
        yield* put(v[k], depth + 1);
      }
      return;
    }
    if (v instanceof RawMsgpack) {
      if (v.items !== 1) throw new Error('a RawMsgpack of several items outside a LazyArray');
      out.borrow(v.bytes);
      return;
    }
    push(encoder.encodeSharedRef(v));
    if (sinceYield >= sliceBytes) {
      sinceYield = 0;
      yield;
    }
  }

  for (const _ of put(value, 0)) await yieldTurn();
  return out.finish(yieldTurn, opts.allocate);
}

/** Whether `v` at `depth` is written member by member (see put). */
function isOpen(v: unknown, depth: number): boolean {
  if (v instanceof LazyArray) return true;
  if (Array.isArray(v)) return depth < OPEN_DEPTH || v.length > WIDE_ARRAY;
  return depth < OPEN_DEPTH && isPlainObject(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A msgpack array or map header for `n` members: the fix form, then 16-bit, then 32-bit. */
function header(n: number, fix: number, b16: number, b32: number): Uint8Array {
  if (n < 16) return Uint8Array.of(fix + n);
  if (n < 0x10000) return Uint8Array.of(b16, n >> 8, n & 0xff);
  return Uint8Array.of(b32, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
