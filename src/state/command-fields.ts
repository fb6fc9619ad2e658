import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { isCanonicalUint64 } from './uint64.js';

/**
 * Typed reads of the fields of one decoded command record `[tag, version, ...fields]`, by
 * position: field 0 is the first after the version. A field of the wrong type throws
 * COMMAND_INVALID naming its position in the record (so field 0 is "field 2") and the tag.
 * Plain functions over the record (no wrapper object), so decoding a small command allocates
 * nothing but the command.
 */

/** A decoded command record: `[tag, version, ...fields]`. */
export type CommandRecord = readonly unknown[];

/** Field `i`, as decoded, unchecked (a payload the entry's own codec validates). */
export function anyField(r: CommandRecord, i: number): unknown {
  return r[i + 2];
}

/** Field `i`, a string. */
export function strField(r: CommandRecord, i: number): string {
  const v = r[i + 2];
  if (typeof v !== 'string') throw bad(r, i, 'a string');
  return v;
}

/** Field `i`, bytes (may be a view into the record's buffer). */
export function bytesField(r: CommandRecord, i: number): Uint8Array {
  const v = r[i + 2];
  if (!(v instanceof Uint8Array)) throw bad(r, i, 'bytes');
  return v;
}

/** Field `i`, KV flags: a canonical uint64 decimal string. */
export function flagsField(r: CommandRecord, i: number): string {
  const v = r[i + 2];
  if (typeof v !== 'string' || !isCanonicalUint64(v)) throw bad(r, i, 'a uint64 decimal string');
  return v;
}

/** Field `i`, a Raft or ModifyIndex: a non-negative safe integer. */
export function indexField(r: CommandRecord, i: number): number {
  const v = r[i + 2];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(r, i, 'a non-negative integer');
  return v;
}

/** Field `i`, a clock reading: a finite, non-negative number of ms since the epoch. */
export function timeField(r: CommandRecord, i: number): number {
  const v = r[i + 2];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(r, i, 'a time in ms');
  return v;
}

/** Field `i`, a list of strings. */
export function strListField(r: CommandRecord, i: number): string[] {
  const v = r[i + 2];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(r, i, 'a list of strings');
  return v as string[];
}

function bad(r: CommandRecord, i: number, what: string): SextantError {
  return invalidCommand(`field ${i + 2} of command tag ${String(r[0])} is not ${what}`);
}

/** A COMMAND_INVALID error with `message` (and the underlying cause, if any). */
export function invalidCommand(message: string, cause?: unknown): SextantError {
  return new SextantError(ErrorCode.CommandInvalid, message, undefined, cause === undefined ? undefined : { cause });
}
