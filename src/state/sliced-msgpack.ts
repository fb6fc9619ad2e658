import { Encoder } from '@msgpack/msgpack';

/** How many encoded bytes one slice produces before the encoder lets the event loop run. */
const SLICE_BYTES = 64 * 1024;

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
 * row arrays being built first and kept until the encode ends. encodeSliced rejects when
 * `items()` yields a different number of items.
 */
export class LazyArray {
  /**
   * @param length the number of items `items()` yields
   * @param items produces the items, once, in order
   */
  constructor(
    readonly length: number,
    readonly items: () => Iterable<unknown>,
  ) {}
}

/** Output is gathered in blocks of this size (one allocation per block, not one per row). */
const BLOCK_BYTES = 1024 * 1024;

/** A growing byte buffer made of large blocks, joined once at the end. */
class BlockWriter {
  private readonly blocks: Uint8Array[] = [];
  private cur = new Uint8Array(BLOCK_BYTES);
  private pos = 0;
  total = 0;

  write(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.pos === this.cur.length) {
        this.blocks.push(this.cur);
        this.cur = new Uint8Array(BLOCK_BYTES);
        this.pos = 0;
      }
      const n = Math.min(bytes.length - at, this.cur.length - this.pos);
      this.cur.set(n === bytes.length ? bytes : bytes.subarray(at, at + n), this.pos);
      this.pos += n;
      at += n;
    }
    this.total += bytes.length;
  }

  /**
   * The bytes written, joined into one buffer a block per turn (awaiting `yieldTurn` between
   * blocks): allocating and touching tens of MB at once would hold the event loop for ~80 ms.
   */
  async finish(yieldTurn: () => Promise<void>): Promise<Uint8Array> {
    const out = new Uint8Array(Buffer.allocUnsafeSlow(this.total).buffer, 0, this.total);
    let at = 0;
    for (const b of this.blocks) {
      out.set(b, at);
      at += b.length;
      await yieldTurn();
    }
    out.set(this.cur.subarray(0, this.pos), at);
    return out;
  }
}

/**
 * msgpack of `value`, byte for byte what `encode(value)` of @msgpack/msgpack writes, produced a
 * slice at a time: the envelope's objects and every long array are written member by member
 * (each row of a table encoded whole, into the encoder's shared buffer and copied straight into
 * large output blocks, so no per-row allocation), and after each `sliceBytes` of output the
 * encoder awaits `yieldTurn`, so a large state image (tens of MB for a big catalog) does not
 * hold the event loop for the whole encode. The value must not change until the promise
 * settles (StateStore hands it a snapshot of the tables' rows, so apply may go on).
 */
export async function encodeSliced(
  value: unknown,
  opts: { sliceBytes?: number; yieldTurn?: () => Promise<void> } = {},
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
  // A generator so that only a full slice costs an await: it yields when one is full. Rows of a
  // wide array are written in a plain loop (no generator per row).
  function* put(v: unknown, depth: number): Generator<void, void, undefined> {
    const lazy = v instanceof LazyArray;
    if (lazy || (Array.isArray(v) && (depth < OPEN_DEPTH || v.length > WIDE_ARRAY))) {
      const items = lazy ? v.items() : (v as unknown[]);
      let count = 0;
      push(header(lazy ? v.length : (v as unknown[]).length, 0x90, 0xdc, 0xdd));
      for (const item of items) {
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
    push(encoder.encodeSharedRef(v));
    if (sinceYield >= sliceBytes) {
      sinceYield = 0;
      yield;
    }
  }

  for (const _ of put(value, 0)) await yieldTurn();
  return out.finish(yieldTurn);
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
