import type { KvEntry } from '../../contracts/model/kv.js';
import type { KvTableSnapshot } from './kv-table.js';

/**
 * A KV entry as the KV table keeps it: the value's bytes held as a one-byte (latin1) string
 * rather than a Uint8Array. A Uint8Array of more than 64 bytes owns an ArrayBuffer of its own,
 * and V8 sweeps every live ArrayBuffer after each full GC on a helper thread that the next
 * scavenge waits for: with 500,000 keys stored that made young-generation pauses of 50-120 ms
 * (and held the write path for as long). A string is an ordinary heap object, smaller too.
 * Frozen, and replaced as a whole on every change.
 */
export interface KvRecord {
  readonly key: string;
  /** The value, one character per byte (latin1). */
  readonly raw: string;
  readonly flags: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
  readonly session: string;
}

/** `bytes` as a latin1 string: one character per byte, any byte value. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The bytes of a latin1 string: a fresh copy (small ones share Node's allocation pool, not an ArrayBuffer each). */
export function latin1Bytes(raw: string): Uint8Array {
  const b = Buffer.from(raw, 'latin1');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The snapshot row of a record, its value as fresh bytes. */
export function entryRow(e: KvRecord): KvTableSnapshot['entries'][number] {
  return [e.key, latin1Bytes(e.raw), e.flags, e.createIndex, e.modifyIndex, e.lockIndex, e.session];
}

/** The KvEntry of `r`, with a fresh copy of its value the caller may keep. */
export function recordEntry(r: KvRecord): KvEntry {
  return {
    key: r.key,
    value: latin1Bytes(r.raw),
    flags: r.flags,
    createIndex: r.createIndex,
    modifyIndex: r.modifyIndex,
    lockIndex: r.lockIndex,
    session: r.session,
  };
}
