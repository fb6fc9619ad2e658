import type { Command } from '../command.js';
import { kvDeleteCommand } from './kv-delete.js';
import { kvExportCommand } from './kv-export.js';
import { kvGetCommand } from './kv-get.js';
import { kvImportCommand } from './kv-import.js';
import { kvPutCommand } from './kv-put.js';
import { membersCommand } from './members.js';
import { reloadCommand } from './reload.js';
import { versionCommand } from './version.js';

/** The HTTP-client commands (and `version`), for the CLI dispatcher's registry. */
export const HTTP_CLIENT_COMMANDS: readonly Command[] = [
  kvGetCommand,
  kvPutCommand,
  kvDeleteCommand,
  kvExportCommand,
  kvImportCommand,
  membersCommand,
  reloadCommand,
  versionCommand,
];

export { kvDeleteCommand, kvExportCommand, kvGetCommand, kvImportCommand, kvPutCommand, membersCommand, reloadCommand, versionCommand };
