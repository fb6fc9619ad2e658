import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { decodeSnapshotArchive } from '../../snapshot/snapshot-archive.js';
import { defineHttpCommand } from './http-command.js';
import { snapshotFileArg } from './snapshot-file-arg.js';

/**
 * `sextant snapshot save [-stale] FILE` — Consul's command/snapshot/save: GET /v1/snapshot into
 * FILE.unverified, read it back and verify its checksums, then rename it to FILE.
 */
export const snapshotSaveCommand: Command = defineHttpCommand({
  name: 'snapshot save',
  synopsis: 'Saves snapshot of Sextant server state',
  usage: '[options] FILE',
  description: `  Retrieves an atomic, point-in-time snapshot of the state of the Sextant servers
  which includes key/value entries, service catalog, sessions and more.

  To create a snapshot from the leader server and save it to "backup.snap":

    $ sextant snapshot save backup.snap

  To create a potentially stale snapshot from any available server (useful if no
  leader is available):

    $ sextant snapshot save -stale backup.snap`,
  flags: [],
  async run({ client, args, out, err }) {
    const arg = snapshotFileArg(args);
    if ('error' in arg) {
      err(arg.error);
      return 1;
    }
    let body: Buffer;
    let index: string;
    try {
      const res = requireOk(await client.request('GET', '/v1/snapshot'));
      body = res.body;
      index = String(res.headers['x-consul-index'] ?? '0');
    } catch (e) {
      err(`Error saving snapshot: ${(e as Error).message}`);
      return 1;
    }
    const unverified = `${arg.file}.unverified`;
    try {
      writeFileSync(unverified, body, { mode: 0o600 });
    } catch (e) {
      err(`Error writing unverified snapshot file: ${(e as Error).message}`);
      return 1;
    }
    try {
      decodeSnapshotArchive(readFileSync(unverified));
    } catch (e) {
      err(`Error verifying snapshot file: ${(e as Error).message}`);
      return 1;
    }
    try {
      renameSync(unverified, arg.file);
    } catch (e) {
      err(`Error renaming unverified snapshot file: ${(e as Error).message}`);
      return 1;
    }
    out(`Saved and verified snapshot to index ${index}`);
    return 0;
  },
});
