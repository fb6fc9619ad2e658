import { crc32 } from 'node:zlib';
import type { LogEntry, LogEntryType } from '../../contracts/ports/log-store.js';

/**
 * Bytes before a record's payload, all little-endian: payload length (u32), CRC-32 (u32) of
 * everything after it (header rest and payload), index (u32 low, u32 high), term (likewise) and
 * type (u32).
 */
export const RECORD_HEADER_BYTES = 28;

const TWO_32 = 2 ** 32;

/** The bytes `entry` takes as a record. */
export function recordBytes(entry: LogEntry): number {
  return RECORD_HEADER_BYTES + entry.data.byteLength;
}

/** Writes `entry` as a record into `buf` at `at`; returns the offset just past it. */
export function encodeRecord(buf: Buffer, at: number, entry: LogEntry): number {
  const len = entry.data.byteLength;
  buf.writeUInt32LE(len, at);
  buf.writeUInt32LE(entry.index % TWO_32, at + 8);
  buf.writeUInt32LE(Math.floor(entry.index / TWO_32), at + 12);
  buf.writeUInt32LE(entry.term % TWO_32, at + 16);
  buf.writeUInt32LE(Math.floor(entry.term / TWO_32), at + 20);
  buf.writeUInt32LE(entry.type, at + 24);
  buf.set(entry.data, at + RECORD_HEADER_BYTES);
  const end = at + RECORD_HEADER_BYTES + len;
  buf.writeUInt32LE(crc32(buf.subarray(at + 8, end)), at + 4);
  return end;
}

/**
 * Reads the record at `at` in `buf[0, limit)`. Returns the entry (with its own copy of the
 * payload) and the offset past it, or undefined when no whole, intact record with index
 * `expectIndex` (when given) starts there: cut short, a CRC mismatch (a torn or zeroed write), an
 * index or term below 1.
 */
export function decodeRecord(buf: Buffer, at: number, limit: number, expectIndex?: number): { entry: LogEntry; end: number } | undefined {
  if (at + RECORD_HEADER_BYTES > limit) return undefined;
  const len = buf.readUInt32LE(at);
  const end = at + RECORD_HEADER_BYTES + len;
  if (end > limit) return undefined;
  if (crc32(buf.subarray(at + 8, end)) !== buf.readUInt32LE(at + 4)) return undefined;
  const index = buf.readUInt32LE(at + 8) + buf.readUInt32LE(at + 12) * TWO_32;
  const term = buf.readUInt32LE(at + 16) + buf.readUInt32LE(at + 20) * TWO_32;
  if (index < 1 || term < 1 || (expectIndex !== undefined && index !== expectIndex)) return undefined;
  const data = new Uint8Array(len);
  data.set(buf.subarray(at + RECORD_HEADER_BYTES, end));
  return { entry: { index, term, type: buf.readUInt32LE(at + 24) as LogEntryType, data }, end };
}
