import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Random } from '../../contracts/platform.js';

/**
 * Small files that must survive kill -9 and power loss once a promise resolves (the agent's
 * persisted registrations, the node id). On Linux a rename is durable only after the directory
 * holding it is fsync'd, and a newly created directory only after its parent is: these helpers
 * do both. Windows cannot open a directory for fsync; there the directory step is skipped.
 */

/** Fsyncs a directory, making the creations, renames and removals of entries in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Creates `dir` (and missing parents) and makes the creation durable: every parent that got a
 * new entry is fsync'd. A directory that already existed costs one mkdir call and no fsync.
 */
export async function ensureDirectory(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  // `first` is the top-most directory created; each created one and its parent got a new entry.
  const created: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    created.push(d);
    if (d === first || dirname(d) === d) break;
  }
  for (const d of [dirname(first), ...created]) await syncDirectory(d);
}

/**
 * Replaces `path` with `data` atomically and durably: a temp file next to it (`<path>.<12 hex
 * digits from random>.tmp`, created exclusively, mode 0600) is written and fsync'd, renamed over `path`, and the directory
 * is fsync'd. Readers see the old content or the new one, never a mix; once this resolves the
 * new content survives a crash. On failure the temp file is removed and the error rethrown
 * (`path` then holds its old content, unless the failure was the final directory fsync).
 */
export async function writeFileDurably(path: string, data: string, random: Random): Promise<void> {
  const dir = dirname(path);
  await ensureDirectory(dir);
  const tmp = `${path}.${Buffer.from(random.bytes(6)).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dir);
}

/**
 * Removes the file at `path` durably (unlink, then fsync of its directory). Resolves false, with
 * no fsync, when there was nothing to remove (the file or a directory on its path is missing).
 */
export async function removeFileDurably(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
  await syncDirectory(dirname(path));
  return true;
}
