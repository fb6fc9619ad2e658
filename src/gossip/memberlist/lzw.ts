/**
 * LZW as Go's compress/lzw writes and reads it with order LSB and litWidth 8, memberlist's
 * compression (util.go compressPayload / decompressBuffer): codes start 9 bits wide and grow
 * to 12, 256 is the clear code, 257 end-of-data; the writer starts with a clear code (as Go ≥
 * 1.17 does; older Go omitted it, the reader accepts both) and clears its table when it runs
 * out of codes.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';

const LIT_WIDTH = 8;
const CLEAR = 1 << LIT_WIDTH;
const EOF = CLEAR + 1;
const MAX_WIDTH = 12;
const MAX_CODE = (1 << MAX_WIDTH) - 1;

// The compressor's code table: open addressing over (prefix code << 8 | byte) keys, as Go's
// writer keeps it; entries are valid only when stamped with the current generation, so a call
// (or a table reset) starts empty without clearing 16,384 slots.
const TABLE_SIZE = 1 << 14;
const TABLE_MASK = TABLE_SIZE - 1;
const tableKeys = new Int32Array(TABLE_SIZE);
const tableCodes = new Uint16Array(TABLE_SIZE);
const tableGen = new Uint32Array(TABLE_SIZE);
let generation = 0;

function newGeneration(): void {
  generation = (generation + 1) >>> 0;
  if (generation === 0) {
    tableGen.fill(0);
    generation = 1;
  }
}

/** Compresses `input` into Go compress/lzw LSB/8 format (the stream ends with the EOF code). */
export function lzwCompress(input: Uint8Array): Uint8Array {
  let out = new Uint8Array(Math.max(16, (input.length * 3) >> 1) + 8);
  let outLen = 0;
  let bits = 0;
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = 1 << (LIT_WIDTH + 1);
  newGeneration();
  const write = (code: number): void => {
    bits |= code << nBits;
    nBits += width;
    while (nBits >= 8) {
      if (outLen === out.length) {
        const next = new Uint8Array(out.length * 2);
        next.set(out);
        out = next;
      }
      out[outLen++] = bits & 0xff;
      bits >>>= 8;
      nBits -= 8;
    }
  };
  // Returns false when the table was reset (the new entry must not be recorded).
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = LIT_WIDTH + 1;
      hi = CLEAR + 1;
      overflow = CLEAR << 1;
      newGeneration();
      return false;
    }
    return true;
  };
  write(CLEAR);
  if (input.length > 0) {
    let code = input[0]!;
    outer: for (let i = 1; i < input.length; i++) {
      const lit = input[i]!;
      const key = (code << 8) | lit;
      let h = ((key >>> 12) ^ key) & TABLE_MASK;
      while (tableGen[h] === generation) {
        if (tableKeys[h] === key) {
          code = tableCodes[h]!;
          continue outer;
        }
        h = (h + 1) & TABLE_MASK;
      }
      write(code);
      code = lit;
      if (incHi()) {
        tableGen[h] = generation;
        tableKeys[h] = key;
        tableCodes[h] = hi;
      }
    }
    write(code);
    incHi();
  }
  write(EOF);
  if (nBits > 0) {
    if (outLen === out.length) {
      const next = new Uint8Array(out.length + 1);
      next.set(out);
      out = next;
    }
    out[outLen++] = bits & 0xff;
  }
  return out.slice(0, outLen);
}

// The decompressor's tables, reused by every call (each call writes an entry before reading it).
const decPrefix = new Uint16Array(1 << MAX_WIDTH);
const decSuffix = new Uint8Array(1 << MAX_WIDTH);
const decStack = new Uint8Array(1 << MAX_WIDTH);
/** The decompressor's output scratch (grown as needed, kept up to DEC_OUT_KEEP bytes); callers get a copy. */
const DEC_OUT_KEEP = 1 << 20;
let decOut = new Uint8Array(1 << 16);

/** Decompresses Go compress/lzw LSB/8 data. Throws TRANSPORT_FAILED on an invalid code or data past the size limit. */
export function lzwDecompress(input: Uint8Array, maxOutput = 20 * 1024 * 1024): Uint8Array {
  const prefix = decPrefix;
  const suffix = decSuffix;
  const stack = decStack;
  let out = decOut;
  let outLen = 0;
  const push = (b: number): void => {
    if (outLen >= maxOutput) throw new SextantError(ErrorCode.TooLarge, 'lzw: output over the size limit');
    if (outLen === out.length) {
      const next = new Uint8Array(Math.min(maxOutput, out.length * 2));
      next.set(out);
      out = next;
    }
    out[outLen++] = b;
  };
  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = 1 << width;
  let last = -1;
  let bits = 0;
  let nBits = 0;
  let pos = 0;
  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) throw new SextantError(ErrorCode.TransportFailed, 'lzw: unexpected end of data', { reason: 'lzw' });
      bits |= input[pos++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;
    if (code === CLEAR) {
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = 1 << width;
      last = -1;
      continue;
    }
    if (code === EOF) break;
    if (code < CLEAR) {
      push(code);
      if (last !== -1) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code <= hi) {
      // Expand `code` (or, in the KwKwK case code === hi, `last` followed by its own first byte).
      let c = code;
      let sp = stack.length;
      if (code === hi) {
        if (last === -1) throw new SextantError(ErrorCode.TransportFailed, 'lzw: invalid code', { reason: 'lzw' });
        c = last;
        // The byte after the expansion of last is its own first byte; filled below.
        sp--;
      }
      const tail = sp;
      while (c >= CLEAR) {
        stack[--sp] = suffix[c]!;
        c = prefix[c]!;
      }
      stack[--sp] = c;
      if (code === hi) stack[tail] = c;
      for (let i = sp; i < stack.length; i++) push(stack[i]!);
      if (last !== -1) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new SextantError(ErrorCode.TransportFailed, 'lzw: invalid code', { reason: 'lzw' });
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1;
        hi--;
      } else {
        width++;
        overflow <<= 1;
      }
    }
  }
  if (out.length <= DEC_OUT_KEEP) decOut = out;
  return out.slice(0, outLen);
}
