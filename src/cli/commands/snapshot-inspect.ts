import type { Command } from '../command.js';
import { decodeSnapshotArchive, type SnapshotMeta } from '../../snapshot/snapshot-archive.js';
import { defineHttpCommand } from './http-command.js';
import { readSnapshotFileArg } from './snapshot-file-arg.js';

/**
 * Consul's inspect table (command/snapshot/inspect, tabwriter padding 6): ID, Size, Index,
 * Term, Version, one per line, values aligned after the longest name.
 */
export function snapshotMetaTable(meta: SnapshotMeta): string {
  const rows: [string, string][] = [['ID', meta.ID], ['Size', String(meta.Size)], ['Index', String(meta.Index)], ['Term', String(meta.Term)], ['Version', String(meta.Version)]];
  const width = Math.max(...rows.map(([k]) => k.length)) + 6;
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n');
}

/** `sextant snapshot inspect FILE` — reads a snapshot file offline and prints its metadata. */
export const snapshotInspectCommand: Command = defineHttpCommand({
  name: 'snapshot inspect',
  synopsis: 'Displays information about a Sextant snapshot file',
  usage: '[options] FILE',
  description: `  Displays information about a snapshot file on disk.

  To inspect the file "backup.snap":

    $ sextant snapshot inspect backup.snap`,
  flags: [],
  http: false,
  async run({ args, out, err }) {
    const file = readSnapshotFileArg(args);
    if ('error' in file) {
      err(file.error);
      return 1;
    }
    const body = file.body;
    let meta: SnapshotMeta;
    try {
      meta = decodeSnapshotArchive(body).meta;
    } catch (e) {
      err(`Error extracting snapshot data: ${(e as Error).message}`);
      return 1;
    }
    out(snapshotMetaTable(meta));
    return 0;
  },
});
