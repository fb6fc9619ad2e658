/**
 * memberlist's compound message (util.go makeCompoundMessage / decodeCompoundMessage):
 * [compoundMsg][count u8][count × length u16 big-endian][messages…], and packing a list of
 * messages into packets that fit the UDP size limit.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { MessageType } from './messages.js';

/** Overhead memberlist assumes for a compound header and for each entry (util.go). */
export const COMPOUND_HEADER_OVERHEAD = 2;
export const COMPOUND_OVERHEAD = 2;
const MAX_PARTS = 255;

/** Builds one compound message from at most 255 messages of at most 65535 bytes each. */
export function makeCompoundMessage(msgs: readonly Uint8Array[]): Uint8Array {
  if (msgs.length > MAX_PARTS) throw new SextantError(ErrorCode.Internal, 'a compound message holds at most 255 messages');
  let total = 2 + 2 * msgs.length;
  for (const m of msgs) {
    if (m.length > 0xffff) throw new SextantError(ErrorCode.TooLarge, 'a compound part is at most 65535 bytes');
    total += m.length;
  }
  const out = new Uint8Array(total);
  out[0] = MessageType.Compound;
  out[1] = msgs.length;
  let p = 2;
  for (const m of msgs) {
    out[p++] = m.length >>> 8;
    out[p++] = m.length & 0xff;
  }
  for (const m of msgs) {
    out.set(m, p);
    p += m.length;
  }
  return out;
}

/** Splits a compound body (after the type byte). `truncated` counts parts the buffer cut off (memberlist logs and drops them). */
export function decodeCompoundMessage(buf: Uint8Array): { parts: Uint8Array[]; truncated: number } {
  if (buf.length < 1) throw new SextantError(ErrorCode.TransportFailed, 'missing compound length byte', { reason: 'compound' });
  const n = buf[0]!;
  if (buf.length < 1 + 2 * n) throw new SextantError(ErrorCode.TransportFailed, 'truncated len slice', { reason: 'compound' });
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) lengths.push((buf[1 + 2 * i]! << 8) | buf[2 + 2 * i]!);
  let p = 1 + 2 * n;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = lengths[i]!;
    if (p + len > buf.length) return { parts, truncated: n - i };
    parts.push(buf.subarray(p, p + len));
    p += len;
  }
  return { parts, truncated: 0 };
}

/**
 * Packs messages into as few packets as fit `maxBytes` each: a lone message goes as itself, two
 * or more as a compound (at most 255 per compound). A message larger than `maxBytes` on its own
 * still goes alone (the transport drops it if it cannot carry it).
 */
export function packMessages(msgs: readonly Uint8Array[], maxBytes: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let size = COMPOUND_HEADER_OVERHEAD;
  const flush = (): void => {
    if (group.length === 1) packets.push(group[0]!);
    else if (group.length > 1) packets.push(makeCompoundMessage(group));
    group = [];
    size = COMPOUND_HEADER_OVERHEAD;
  };
  for (const m of msgs) {
    const cost = m.length + COMPOUND_OVERHEAD;
    if (group.length > 0 && (size + cost > maxBytes || group.length === MAX_PARTS)) flush();
    group.push(m);
    size += cost;
  }
  flush();
  return packets;
}
