import { Decoder, Encoder } from '@msgpack/msgpack';
import type { Command } from './command.js';
import { invalidCommand } from './command-fields.js';
import { entryFor, entryForTag } from './command-registry.js';

/**
 * Binary form of a replicated command: a msgpack array `[tag, version, ...fields]` (tag,
 * version and fields from the type's CommandEntry; every version is 1 today). Byte values
 * travel as msgpack `bin`, so arbitrary binary KV values survive.
 */

/** One encoder and decoder for every command (the library's encode()/decode() build one per call: ~13 µs a put). */
const encoder = new Encoder();
const decoder = new Decoder();

/** Encodes `cmd` into the bytes Raft replicates. Does not validate the fields. */
export function encodeCommand(cmd: Command): Uint8Array {
  const e = entryFor(cmd);
  const record: unknown[] = e.encode(cmd);
  record.unshift(e.tag, e.version);
  return encoder.encode(record);
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
    raw = decoder.decode(data);
  } catch (e) {
    throw invalidCommand(`undecodable command: ${(e as Error).message}`, e);
  }
  if (!Array.isArray(raw) || raw.length < 2) throw invalidCommand('command is not a [tag, version, ...] record');
  const tag: unknown = raw[0];
  const version: unknown = raw[1];
  const e = entryForTag(tag);
  if (!e) throw invalidCommand(`unknown command tag ${String(tag)}`);
  if (version !== e.version) throw invalidCommand(`unknown version ${String(version)} of command tag ${String(tag)}`);
  if (raw.length !== e.arity + 2) throw invalidCommand(`command tag ${String(tag)} has ${raw.length} fields, expected ${e.arity + 2}`);
  return e.decode(raw);
}
