import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';
import { readSnapshotFileArg } from './snapshot-file-arg.js';

/** `sextant snapshot restore FILE` — Consul's command/snapshot/restore: PUT /v1/snapshot with FILE. */
export const snapshotRestoreCommand: Command = defineHttpCommand({
  name: 'snapshot restore',
  synopsis: 'Restores snapshot of Sextant server state',
  usage: '[options] FILE',
  description: `  Restores an atomic, point-in-time snapshot of the state of the Sextant servers
  which includes key/value entries, service catalog, sessions and more.

  Restores involve a potentially dangerous low-level Raft operation that is not
  designed to handle server failures during a restore. This command is primarily
  intended to be used when recovering from a disaster, restoring into a fresh
  cluster of Sextant servers.

  To restore a snapshot from the file "backup.snap":

    $ sextant snapshot restore backup.snap`,
  flags: [],
  async run({ client, args, out, err }) {
    const file = readSnapshotFileArg(args);
    if ('error' in file) {
      err(file.error);
      return 1;
    }
    const body = file.body;
    try {
      requireOk(await client.request('PUT', '/v1/snapshot', { body }));
    } catch (e) {
      err(`Error restoring snapshot: ${(e as Error).message}`);
      return 1;
    }
    out('Restored snapshot');
    return 0;
  },
});
