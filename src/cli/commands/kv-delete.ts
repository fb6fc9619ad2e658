import type { Command } from '../command.js';
import { defineHttpCommand } from './http-command.js';
import { kvDelete } from './kv-api.js';
import { FlagValueError, uint64FlagValue } from './uint64-flag.js';

/** `sextant kv delete [options] KEY_OR_PREFIX` — Consul's `kv delete`. */
export const kvDeleteCommand: Command = defineHttpCommand({
  name: 'kv delete',
  synopsis: 'Removes data from the KV store',
  usage: '[options] KEY_OR_PREFIX',
  description: `  Removes the value from Sextant's key-value store at the given path. If no
  key exists at the path, no action is taken.

  To delete the value for the key named "foo" in the key-value store:

      $ sextant kv delete foo

  To delete all keys which start with "foo", specify the -recurse option:

      $ sextant kv delete -recurse foo

  This will delete the keys named "foo", "food", and "foo/bar/zip" if they
  existed.`,
  flags: [
    { name: 'cas', kind: 'bool', usage: 'Perform a Check-And-Set operation. Specifying this value also requires the -modify-index flag to be set. The default value is false.' },
    { name: 'modify-index', kind: 'string', default: '0', usage: 'Unsigned integer representing the ModifyIndex of the key. This is used in combination with the -cas flag.' },
    { name: 'recurse', kind: 'bool', usage: 'Recursively delete all keys with the path. The default value is false.' },
  ],
  async run({ flags, args, client, out, err }) {
    let modifyIndex: bigint;
    try {
      modifyIndex = uint64FlagValue(flags.values, 'modify-index');
    } catch (e) {
      if (e instanceof FlagValueError) {
        err(e.message);
        return 1;
      }
      throw e;
    }
    if (args.length > 1) {
      err(`Too many arguments (expected 1, got ${args.length})`);
      return 1;
    }
    let key = args[0] ?? '';
    if (key.startsWith('/')) key = key.slice(1);
    const recurse = flags.values['recurse'] === true;
    const cas = flags.values['cas'] === true;
    if (key === '' && !recurse) {
      err('Error! Missing KEY argument');
      return 1;
    }
    if (cas && modifyIndex === 0n) {
      // Consul's text, doubled "than" included (command/kv/del/kv_delete.go).
      err('Cannot delete a key that does not exist. Provide a -modify-index greater than than 0.');
      return 1;
    }
    if (modifyIndex !== 0n && !cas) {
      err('Cannot specify -modify-index without -cas!');
      return 1;
    }
    if (recurse && cas) {
      err('Cannot specify both -cas and -recurse!');
      return 1;
    }
    if (recurse) {
      try {
        await kvDelete(client, key, { recurse: true });
      } catch (e) {
        err(`Error! Did not delete prefix ${key}: ${(e as Error).message}`);
        return 1;
      }
      out(`Success! Deleted keys with prefix: ${key}`);
      return 0;
    }
    if (cas) {
      let ok: boolean;
      try {
        ok = await kvDelete(client, key, { cas: modifyIndex });
      } catch (e) {
        err(`Error! Did not delete key ${key}: ${(e as Error).message}`);
        return 1;
      }
      if (!ok) {
        err(`Error! Did not delete key ${key}: CAS failed`);
        return 1;
      }
      out(`Success! Deleted key: ${key}`);
      return 0;
    }
    try {
      await kvDelete(client, key, {});
    } catch (e) {
      err(`Error deleting key ${key}: ${(e as Error).message}`);
      return 1;
    }
    out(`Success! Deleted key: ${key}`);
    return 0;
  },
});
