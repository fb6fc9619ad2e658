import type { DirEntry, KvEntry } from '../../contracts/model/kv.js';

/**
 * A stored KV entry as Consul's DirEntry JSON, fields in Consul's order: Value is base64 or null
 * when empty, Flags an exact uint64 (a plain number up to 2^53 so the answer stays JSON-native and
 * takes encodeJson's fast path; a bigint beyond), Session only when held.
 */
export function toDirEntry(e: KvEntry): DirEntry {
  const out: DirEntry = {
    LockIndex: e.lockIndex,
    Key: e.key,
    Flags: flagsOf(e.flags),
    Value: e.value.length === 0 ? null : Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength).toString('base64'),
    CreateIndex: e.createIndex,
    ModifyIndex: e.modifyIndex,
  };
  if (e.session !== '') {
    return { LockIndex: out.LockIndex, Key: out.Key, Flags: out.Flags, Value: out.Value, Session: e.session, CreateIndex: out.CreateIndex, ModifyIndex: out.ModifyIndex };
  }
  return out;
}

/** The stored decimal uint64 flags as a number when exact, else as a bigint. */
function flagsOf(flags: string): number | bigint {
  if (flags === '') return 0;
  const n = Number(flags);
  return Number.isSafeInteger(n) ? n : BigInt(flags);
}
