import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Random } from '../../contracts/platform.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { writeFileDurably } from '../platform/durable-file.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The agent's node id, as Consul keeps it: `<data_dir>/node-id`. A configured id wins (and must
 * match a persisted one); otherwise the persisted one is reused, else a new random UUID is
 * written (atomically and durably). Without a data dir the id lives only as long as the process.
 */
export async function resolveNodeId(dataDir: string | undefined, configured: string, random: Random): Promise<string> {
  if (!dataDir) return configured || random.uuid();
  const file = join(dataDir, 'node-id');
  let stored = '';
  try {
    stored = (await readFile(file, 'utf8')).trim().toLowerCase();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (stored && !UUID_RE.test(stored)) {
    throw new SextantError(ErrorCode.StorageCorrupt, `${file}: not a UUID: ${JSON.stringify(stored)}`);
  }
  if (configured && stored && configured.toLowerCase() !== stored) {
    throw new SextantError(ErrorCode.ConfigInvalid, `node_id ${configured} differs from the id ${stored} persisted in ${file}`);
  }
  const id = (configured || stored || random.uuid()).toLowerCase();
  if (id !== stored) {
    // Durable before the agent uses it: a node that came back with a new id after a power
    // loss would be a stranger to the catalog holding its services.
    await writeFileDurably(file, id, random);
  }
  return id;
}
