import { decode, encode } from '@msgpack/msgpack';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { CommandTag, type Command } from './command.js';
import { catalogDeregisterPayload, catalogRegisterPayload, decodeCatalogDeregister, decodeCatalogRegister } from './catalog-command-codec.js';
import { decodeSessionCreate, sessionCreatePayload } from './session-command-codec.js';
import { decodeTxn, txnPayload } from './txn-command-codec.js';
import { isCanonicalUint64 } from './uint64.js';

/**
 * Binary form of a replicated command: a msgpack array `[tag, version, ...fields]` (tag from
 * CommandTag, version per type, currently 1 for all). Byte values travel as msgpack `bin`, so
 * arbitrary binary KV values survive.
 */

/** The record version the encoder writes for every type today. */
const V1 = 1;

/** Encodes `cmd` into the bytes Raft replicates. Does not validate the fields. */
export function encodeCommand(cmd: Command): Uint8Array {
  switch (cmd.type) {
    case 'kv.set':
      return encode([CommandTag.KvSet, V1, cmd.key, cmd.value, cmd.flags]);
    case 'kv.cas':
      return encode([CommandTag.KvCas, V1, cmd.key, cmd.value, cmd.flags, cmd.index]);
    case 'kv.delete':
      return encode([CommandTag.KvDelete, V1, cmd.key]);
    case 'kv.delete-cas':
      return encode([CommandTag.KvDeleteCas, V1, cmd.key, cmd.index]);
    case 'kv.delete-tree':
      return encode([CommandTag.KvDeleteTree, V1, cmd.prefix]);
    case 'kv.tombstone-reap':
      return encode([CommandTag.KvTombstoneReap, V1, cmd.index]);
    case 'catalog.register':
      return encode([CommandTag.CatalogRegister, V1, catalogRegisterPayload(cmd)]);
    case 'catalog.deregister':
      return encode([CommandTag.CatalogDeregister, V1, catalogDeregisterPayload(cmd)]);
    case 'kv.lock':
      return encode([CommandTag.KvLock, V1, cmd.key, cmd.value, cmd.flags, cmd.session, cmd.now]);
    case 'kv.unlock':
      return encode([CommandTag.KvUnlock, V1, cmd.key, cmd.value, cmd.flags, cmd.session]);
    case 'session.create':
      return encode([CommandTag.SessionCreate, V1, sessionCreatePayload(cmd)]);
    case 'session.destroy':
      return encode([CommandTag.SessionDestroy, V1, cmd.id, cmd.now]);
    case 'session.renew':
      return encode([CommandTag.SessionRenew, V1, cmd.ids, cmd.now]);
    case 'session.expire':
      return encode([CommandTag.SessionExpire, V1, cmd.id, cmd.now]);
    case 'txn':
      return encode([CommandTag.TxnApply, V1, txnPayload(cmd)]);
  }
}

/**
 * Decodes command bytes. Throws SextantError COMMAND_INVALID for malformed msgpack, an unknown
 * tag or version, or a field of the wrong type (keys must be strings, values bytes, flags
 * canonical uint64 decimal strings, indexes non-negative safe integers). The returned value
 * bytes may be a view into `data`.
 */
export function decodeCommand(data: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = decode(data);
  } catch (e) {
    throw invalid(`undecodable command: ${(e as Error).message}`, e);
  }
  if (!Array.isArray(raw) || raw.length < 2) throw invalid('command is not a [tag, version, ...] record');
  const [tag, version] = raw as unknown[];
  const f = new Fields(raw, tag);
  if (version !== V1) throw invalid(`unknown version ${String(version)} of command tag ${String(tag)}`);
  switch (tag) {
    case CommandTag.KvSet:
      f.arity(5);
      return { type: 'kv.set', key: f.str(2), value: f.bytes(3), flags: f.flags(4) };
    case CommandTag.KvCas:
      f.arity(6);
      return { type: 'kv.cas', key: f.str(2), value: f.bytes(3), flags: f.flags(4), index: f.index(5) };
    case CommandTag.KvDelete:
      f.arity(3);
      return { type: 'kv.delete', key: f.str(2) };
    case CommandTag.KvDeleteCas:
      f.arity(4);
      return { type: 'kv.delete-cas', key: f.str(2), index: f.index(3) };
    case CommandTag.KvDeleteTree:
      f.arity(3);
      return { type: 'kv.delete-tree', prefix: f.str(2) };
    case CommandTag.KvTombstoneReap:
      f.arity(3);
      return { type: 'kv.tombstone-reap', index: f.index(2) };
    case CommandTag.CatalogRegister:
      f.arity(3);
      return decodeCatalogRegister(raw[2]);
    case CommandTag.CatalogDeregister:
      f.arity(3);
      return decodeCatalogDeregister(raw[2]);
    case CommandTag.KvLock:
      f.arity(7);
      return { type: 'kv.lock', key: f.str(2), value: f.bytes(3), flags: f.flags(4), session: f.str(5), now: f.time(6) };
    case CommandTag.KvUnlock:
      f.arity(6);
      return { type: 'kv.unlock', key: f.str(2), value: f.bytes(3), flags: f.flags(4), session: f.str(5) };
    case CommandTag.SessionCreate:
      f.arity(3);
      return decodeSessionCreate(raw[2]);
    case CommandTag.SessionDestroy:
      f.arity(4);
      return { type: 'session.destroy', id: f.str(2), now: f.time(3) };
    case CommandTag.SessionRenew:
      f.arity(4);
      return { type: 'session.renew', ids: f.strList(2), now: f.time(3) };
    case CommandTag.SessionExpire:
      f.arity(4);
      return { type: 'session.expire', id: f.str(2), now: f.time(3) };
    case CommandTag.TxnApply:
      f.arity(3);
      return decodeTxn(raw[2]);
    default:
      throw invalid(`unknown command tag ${String(tag)}`);
  }
}

class Fields {
  constructor(
    private readonly raw: unknown[],
    private readonly tag: unknown,
  ) {}

  arity(n: number): void {
    if (this.raw.length !== n) throw invalid(`command tag ${String(this.tag)} has ${this.raw.length} fields, expected ${n}`);
  }

  str(i: number): string {
    const v = this.raw[i];
    if (typeof v !== 'string') throw this.bad(i, 'a string');
    return v;
  }

  bytes(i: number): Uint8Array {
    const v = this.raw[i];
    if (!(v instanceof Uint8Array)) throw this.bad(i, 'bytes');
    return v;
  }

  flags(i: number): string {
    const v = this.raw[i];
    if (typeof v !== 'string' || !isCanonicalUint64(v)) throw this.bad(i, 'a uint64 decimal string');
    return v;
  }

  index(i: number): number {
    const v = this.raw[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.bad(i, 'a non-negative integer');
    return v;
  }

  /** A clock reading: a finite, non-negative number of ms since the epoch. */
  time(i: number): number {
    const v = this.raw[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw this.bad(i, 'a time in ms');
    return v;
  }

  strList(i: number): string[] {
    const v = this.raw[i];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw this.bad(i, 'a list of strings');
    return v as string[];
  }

  private bad(i: number, what: string): SextantError {
    return invalid(`field ${i} of command tag ${String(this.tag)} is not ${what}`);
  }
}

function invalid(message: string, cause?: unknown): SextantError {
  return new SextantError(ErrorCode.CommandInvalid, message, undefined, cause === undefined ? undefined : { cause });
}
