import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { AUTOPILOT_COMMANDS } from './autopilot-command-entries.js';
import { CATALOG_COMMANDS } from './catalog-command-entries.js';
import type { Command } from './command.js';
import type { CommandEntries, CommandEntry } from './command-entry.js';
import { COORDINATE_COMMANDS } from './coordinate-command-entries.js';
import { KV_COMMANDS } from './kv-command-entries.js';
import { RESTORE_COMMANDS } from './restore-command-entries.js';
import { SESSION_COMMANDS } from './session-command-entries.js';
import { TXN_COMMANDS } from './txn-command-entries.js';

/**
 * The registry of replicated command types: one CommandEntry per type (its tag, version, codec
 * and write rule), gathered from the family files. Adding a command type is one entry in one of
 * them (plus its tag in CommandTag and its type in the Command union — the compiler then insists
 * on the entry). encodeCommand, decodeCommand and StateStore.apply are look-ups here.
 */
const BY_TYPE: CommandEntries<Command['type']> = { ...KV_COMMANDS, ...SESSION_COMMANDS, ...CATALOG_COMMANDS, ...COORDINATE_COMMANDS, ...TXN_COMMANDS, ...RESTORE_COMMANDS, ...AUTOPILOT_COMMANDS };

/** Every entry, as one type (each entry only ever sees commands of its own type: see entryFor). */
const ENTRIES: readonly CommandEntry<Command>[] = Object.values(BY_TYPE) as readonly CommandEntry<Command>[];

/** Look-up tables (Maps: one fast path for every type string and tag). */
const BY_TYPE_MAP = new Map<string, CommandEntry<Command>>();
const BY_TAG = new Map<number, CommandEntry<Command>>();
for (const e of ENTRIES) {
  BY_TYPE_MAP.set(e.type, e);
  if (BY_TAG.has(e.tag)) throw new SextantError(ErrorCode.Internal, `command tag ${e.tag} is registered twice (${BY_TAG.get(e.tag)!.type}, ${e.type})`);
  BY_TAG.set(e.tag, e);
}

/** The entry of `cmd`'s type. */
export function entryFor(cmd: Command): CommandEntry<Command> {
  // BY_TYPE (so BY_TYPE_MAP) holds an entry for every type: the entry of exactly cmd's type.
  return BY_TYPE_MAP.get(cmd.type)!;
}

/** The entry registered for wire tag `tag`, or undefined. */
export function entryForTag(tag: unknown): CommandEntry<Command> | undefined {
  return typeof tag === 'number' ? BY_TAG.get(tag) : undefined;
}

/** Every registered entry (one per command type). */
export function commandEntries(): readonly CommandEntry<Command>[] {
  return ENTRIES;
}
