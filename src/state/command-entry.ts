import type { Command, CommandTag } from './command.js';
import type { CommandRecord } from './command-fields.js';
import type { StateTables } from './state-tables.js';

/**
 * Everything about one replicated command type, in one place: its wire tag and record version,
 * its codec and its write rule. A record on the wire is the msgpack array
 * `[tag, version, ...encode(cmd)]`; the registry (command-registry.ts) looks entries up by tag
 * when decoding and by type when encoding and applying. Tags and field orders are append-only
 * (persisted Raft logs and snapshots must keep decoding): to change a type's fields, bump its
 * version and keep decoding the old one.
 */
export interface CommandEntry<C extends Command> {
  /** The command's `type`. */
  readonly type: C['type'];
  /** Its stable wire tag. */
  readonly tag: CommandTag;
  /** The record version written (and the only one read today). */
  readonly version: number;
  /** How many fields follow the tag and version (a record of another length is COMMAND_INVALID). */
  readonly arity: number;
  /** The fields after the tag and version, in wire order. Does not validate. */
  encode(cmd: C): unknown[];
  /**
   * The command from a record (read its fields with command-fields.ts; the caller checked the
   * tag, version and arity); throws COMMAND_INVALID naming the first bad field.
   */
  decode(r: CommandRecord): C;
  /**
   * Applies `cmd` at Raft index `idx` on the tables, inside the open transaction `t.tx` (which
   * the caller commits afterwards; an apply may abort it). Deterministic: a pure function of the
   * state and the command. Domain failures are result values, never throws.
   */
  apply(t: StateTables, idx: number, cmd: C): unknown;
}

/** The command whose `type` is T. */
export type CommandOfType<T extends Command['type']> = Extract<Command, { type: T }>;

/** One entry for each of the command types T, keyed by type. */
export type CommandEntries<T extends Command['type']> = { readonly [K in T]: CommandEntry<CommandOfType<K>> };
