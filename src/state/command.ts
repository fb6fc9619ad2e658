import type { CatalogDeregisterCommand, CatalogRegisterCommand } from './catalog-command.js';
import type { CoordinateBatchUpdateCommand } from './coordinate-command.js';
import type {
  KvLockCommand,
  KvUnlockCommand,
  SessionCreateCommand,
  SessionDestroyCommand,
  SessionExpireCommand,
  SessionRenewCommand,
} from './session-command.js';
import type { TxnCommand } from './txn-op.js';
import type { StateRestoreCommand } from './restore-command.js';
import type { AutopilotSetConfigCommand } from './autopilot-command.js';

export type { TxnCommand } from './txn-op.js';
export type { StateRestoreCommand } from './restore-command.js';
export type { AutopilotSetConfigCommand } from './autopilot-command.js';
export type { CatalogDeregisterCommand, CatalogRegisterCommand } from './catalog-command.js';
export type { CoordinateBatchUpdateCommand } from './coordinate-command.js';
export type {
  KvLockCommand,
  KvUnlockCommand,
  SessionCreateCommand,
  SessionDestroyCommand,
  SessionExpireCommand,
  SessionRenewCommand,
} from './session-command.js';

/**
 * The replicated commands: what a Raft log entry carries. Each type has a stable numeric tag
 * on the wire (CommandTag) and its own record version, and one entry in the command registry
 * (command-registry.ts: tag, version, codec and write rule). Both lists are append-only: never
 * renumber or reuse a tag, bump a type's version (keeping the old decoder) when its fields
 * change.
 */

/** Wire tags. Ranges reserved for later tables: 32–63 session, 64–95 catalog (coordinates included), 96–127 txn, 128–223 acl, 224–239 whole-state operations, 240– operator settings (autopilot). */
export const CommandTag = {
  KvSet: 1,
  KvCas: 2,
  KvDelete: 3,
  KvDeleteCas: 4,
  KvDeleteTree: 5,
  KvTombstoneReap: 6,
  KvLock: 7,
  KvUnlock: 8,
  SessionCreate: 32,
  SessionDestroy: 33,
  SessionRenew: 34,
  SessionExpire: 35,
  CatalogRegister: 64,
  CatalogDeregister: 65,
  CoordinateBatchUpdate: 66,
  TxnApply: 96,
  StateRestore: 224,
  AutopilotSetConfig: 240,
} as const;

export type CommandTag = (typeof CommandTag)[keyof typeof CommandTag];

/** Sets `key` (plain PUT). Flags: canonical uint64 decimal string. */
export interface KvSetCommand {
  type: 'kv.set';
  key: string;
  value: Uint8Array;
  flags: string;
}

/** Check-and-set: `index` 0 = create only; N = only if the key's ModifyIndex is N. */
export interface KvCasCommand {
  type: 'kv.cas';
  key: string;
  value: Uint8Array;
  flags: string;
  index: number;
}

/** Deletes `key` (true even when absent). */
export interface KvDeleteCommand {
  type: 'kv.delete';
  key: string;
}

/** Deletes `key` only if its ModifyIndex is `index` (a missing key answers true). */
export interface KvDeleteCasCommand {
  type: 'kv.delete-cas';
  key: string;
  index: number;
}

/** Deletes every key starting with `prefix` ('' = the whole KV store). */
export interface KvDeleteTreeCommand {
  type: 'kv.delete-tree';
  prefix: string;
}

/** Drops KV tombstones whose index is ≤ `index` (leader-issued, after the tombstone TTL). */
export interface KvTombstoneReapCommand {
  type: 'kv.tombstone-reap';
  index: number;
}

export type Command =
  | KvSetCommand
  | KvCasCommand
  | KvDeleteCommand
  | KvDeleteCasCommand
  | KvDeleteTreeCommand
  | KvTombstoneReapCommand
  | CatalogRegisterCommand
  | CatalogDeregisterCommand
  | CoordinateBatchUpdateCommand
  | KvLockCommand
  | KvUnlockCommand
  | SessionCreateCommand
  | SessionDestroyCommand
  | SessionRenewCommand
  | SessionExpireCommand
  | TxnCommand
  | StateRestoreCommand
  | AutopilotSetConfigCommand;
