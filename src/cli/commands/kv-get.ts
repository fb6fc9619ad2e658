import type { Command } from '../command.js';
import { defineHttpCommand } from './http-command.js';
import { kvGet, kvKeys, kvList } from './kv-api.js';
import type { KvPair } from './kv-api.js';

/**
 * Consul's tabwriter layout for `-detailed` (minwidth 0, padding 6): labels padded to the longest
 * label plus six spaces; no newline after the value (the caller's println adds it). No session
 * shows as `-`; `keysOnly` (`-keys -recurse -detailed`) leaves the Value row out.
 */
export function prettyKvPair(p: KvPair, base64: boolean, keysOnly = false): string {
  const rows: [string, string][] = [
    ['CreateIndex', String(p.createIndex)],
    ['Flags', p.flags.toString()],
    ['Key', p.key],
    ['LockIndex', String(p.lockIndex)],
    ['ModifyIndex', String(p.modifyIndex)],
    ['Session', p.session === '' ? '-' : p.session],
  ];
  if (!keysOnly) rows.push(['Value', base64 ? p.value.toString('base64') : p.value.toString('utf8')]);
  const width = Math.max(...rows.map(([l]) => l.length)) + 6;
  return rows.map(([l, v]) => l.padEnd(width) + v).join('\n');
}

/** `sextant kv get [options] [KEY_OR_PREFIX]` — Consul's `kv get`. */
export const kvGetCommand: Command = defineHttpCommand({
  name: 'kv get',
  synopsis: 'Retrieves or lists data from the KV store',
  usage: '[options] [KEY_OR_PREFIX]',
  description: `  Retrieves the value from Sextant's key-value store at the given key name. If no
  key exists with that name, an error is returned. If a key exists with that
  name but has no data, nothing is returned. If the name or prefix is omitted,
  it defaults to "" which is the root of the key-value store.

  To retrieve the value for the key named "foo" in the key-value store:

      $ sextant kv get foo

  To treat the path as a prefix and list all keys which start with the given
  prefix, specify the -recurse flag:

      $ sextant kv get -recurse foo

  To list only the key names, specify -keys (with -separator to group "folders";
  add -recurse for every key under the prefix).`,
  flags: [
    { name: 'base64', kind: 'bool', usage: 'Base64 encode the value. The default value is false.' },
    {
      name: 'detailed',
      kind: 'bool',
      usage: 'Provide additional metadata about the key in addition to the value such as the ModifyIndex and any flags that may have been set on the key. The default value is false.',
    },
    {
      name: 'keys',
      kind: 'bool',
      usage: 'List keys which start with the given prefix, but not the data. This is useful for quickly generating a list of keys in a given path. The default value is false.',
    },
    {
      name: 'recurse',
      kind: 'bool',
      usage: 'Recursively look at all keys prefixed with the given path. The default value is false.',
    },
    {
      name: 'separator',
      kind: 'string',
      default: '/',
      usage: 'String to use as a separator between keys. The default value is "/", but this option is only taken into account when paired with the -keys flag.',
    },
  ],
  async run({ flags, args, client, out, err }) {
    if (args.length > 1) {
      err(`Too many arguments (expected 1, got ${args.length})`);
      return 1;
    }
    let key = args[0] ?? '';
    // Keys cannot start with "/", but users will type "/" or "/foo": strip it as Consul does.
    if (key.startsWith('/')) key = key.slice(1);
    const recurse = flags.values['recurse'] === true;
    const keysOnly = flags.values['keys'] === true;
    const detailed = flags.values['detailed'] === true;
    const b64 = flags.values['base64'] === true;
    if (key === '' && !(recurse || keysOnly)) {
      err('Error! Missing KEY argument');
      return 1;
    }
    try {
      if (keysOnly && recurse) {
        // Every key under the prefix, whole (no separator grouping), as Consul's -keys -recurse.
        const pairs = await kvList(client, key);
        pairs.forEach((p, i) => {
          if (detailed) {
            out(prettyKvPair(p, false, true));
            if (i < pairs.length - 1) out('');
          } else {
            out(p.key);
          }
        });
        return 0;
      }
      if (keysOnly) {
        for (const k of await kvKeys(client, key, flags.values['separator'] as string)) out(k);
        return 0;
      }
      if (recurse) {
        const pairs = await kvList(client, key);
        pairs.forEach((p, i) => {
          if (detailed) {
            out(prettyKvPair(p, b64));
            if (i < pairs.length - 1) out('');
          } else {
            out(`${p.key}:${b64 ? p.value.toString('base64') : p.value.toString('utf8')}`);
          }
        });
        return 0;
      }
      const pair = await kvGet(client, key);
      if (pair === null) {
        err(`Error! No key exists at: ${key}`);
        return 1;
      }
      if (detailed) out(prettyKvPair(pair, b64));
      else out(b64 ? pair.value.toString('base64') : pair.value.toString('utf8'));
      return 0;
    } catch (e) {
      err(`Error querying Sextant agent: ${(e as Error).message}`);
      return 1;
    }
  },
});
