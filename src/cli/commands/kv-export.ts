import type { Command } from '../command.js';
import { defineHttpCommand } from './http-command.js';
import { kvList } from './kv-api.js';

/** One exported pair, as `kv export` writes and `kv import` reads it. */
export interface KvExportEntry {
  readonly key: string;
  readonly flags: bigint;
  /** Base64 of the value. */
  readonly value: string;
}

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's json.MarshalIndent(entries, "", "\t") for the export format. */
export function formatExport(entries: readonly KvExportEntry[]): string {
  if (entries.length === 0) return '[]';
  const items = entries.map(
    (e) => `\t{\n\t\t"key": ${goString(e.key)},\n\t\t"flags": ${e.flags.toString()},\n\t\t"value": ${goString(e.value)}\n\t}`,
  );
  return `[\n${items.join(',\n')}\n]`;
}

/** `sextant kv export [options] [PREFIX]` — Consul's `kv export`. */
export const kvExportCommand: Command = defineHttpCommand({
  name: 'kv export',
  synopsis: 'Exports a tree from the KV store as JSON',
  usage: '[options] [PREFIX]',
  description: `  Retrieves key-value pairs for the given prefix from Sextant's key-value store,
  and writes a JSON representation to stdout. This can be used with the command
  "sextant kv import" to move entire trees between Consul-compatible clusters.

      $ sextant kv export vault`,
  flags: [],
  async run({ args, client, out, err }) {
    if (args.length > 1) {
      err(`Too many arguments (expected 1, got ${args.length})`);
      return 1;
    }
    let key = args[0] ?? '';
    if (key.startsWith('/')) key = key.slice(1);
    let pairs;
    try {
      pairs = await kvList(client, key);
    } catch (e) {
      err(`Error querying Sextant agent: ${(e as Error).message}`);
      return 1;
    }
    out(formatExport(pairs.map((p) => ({ key: p.key, flags: p.flags, value: p.value.toString('base64') }))));
    return 0;
  },
});
