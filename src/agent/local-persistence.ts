import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Logger, Random } from '../../contracts/platform.js';
import { removeFileDurably, writeFileDurably } from '../platform/durable-file.js';
import { SerialQueue } from '../platform/serial-queue.js';
import type { CheckStatus } from './check-definition.js';

/** Format version written into every persisted file (append-only: readers skip versions they do not know). */
export const PERSIST_VERSION = 1;

/** A service registered over HTTP, as persisted (`services/<md5(id)>.json`). */
export interface PersistedService {
  readonly Version: number;
  /** The canonical snake_case service definition (without its checks; they persist on their own). */
  readonly Definition: Record<string, unknown>;
}

/** A check registered over HTTP, or a maintenance check, as persisted (`checks/<md5(id)>.json`). */
export type PersistedCheck =
  | { readonly Version: number; readonly Source: 'api'; readonly Definition: Record<string, unknown> }
  | { readonly Version: number; readonly Source: 'maintenance'; readonly CheckID: string; readonly ServiceID: string; readonly Reason: string };

/** A TTL check's last status, as persisted (`checks/state/<md5(id)>.json`). */
export interface PersistedCheckState {
  readonly Version: number;
  readonly CheckID: string;
  readonly Status: CheckStatus;
  readonly Output: string;
  /** When the status lapses (ms since the epoch): restored only before this. */
  readonly Expires: number;
}

/** Everything restored at start. */
export interface PersistedLocalState {
  services: PersistedService[];
  checks: PersistedCheck[];
  /** By check id. */
  checkStates: Map<string, PersistedCheckState>;
}

/** Consul's stringHash: the hex MD5 of an id, used as the file name. */
export function idFileName(id: string): string {
  return createHash('md5').update(id, 'utf8').digest('hex');
}

/** One change of a batch: the file's new content, or undefined to remove it. */
export interface FileChange {
  readonly path: string;
  readonly content: string | undefined;
}

/** The file's content, or undefined when it does not exist (ENOENT, or ENOTDIR: a file where a directory should be). */
async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Changes to the persisted files that apply together or not at all (see LocalPersistence.commit).
 * Changes apply in the order they were added: callers order them so that a crash half-way
 * through leaves files that restore sensibly (a service's checks before the service file when
 * registering, the service file first when deregistering: orphan checks are dropped at start).
 */
export class PersistBatch {
  private readonly changes: FileChange[] = [];

  constructor(
    private readonly owner: LocalPersistence,
    /** What the batch does, for the error message (`failed persisting service "web"`). */
    private readonly what: string,
  ) {}

  /** Writes a service definition. */
  saveService(id: string, definition: Record<string, unknown>): this {
    const body: PersistedService = { Version: PERSIST_VERSION, Definition: definition };
    return this.add(this.owner.servicePath(id), body);
  }

  /** Removes a persisted service (nothing when absent). */
  removeService(id: string): this {
    return this.add(this.owner.servicePath(id), undefined);
  }

  /** Writes a check (API definition or maintenance check). */
  saveCheck(id: string, check: PersistedCheck): this {
    return this.add(this.owner.checkPath(id), check);
  }

  /** Removes a persisted check and its TTL state (nothing when absent). */
  removeCheck(id: string): this {
    this.add(this.owner.checkPath(id), undefined);
    return this.removeCheckState(id);
  }

  /** Writes a TTL check's status with its expiry. */
  saveCheckState(state: Omit<PersistedCheckState, 'Version'>): this {
    const body: PersistedCheckState = { Version: PERSIST_VERSION, ...state };
    return this.add(this.owner.checkStatePath(state.CheckID), body);
  }

  /** Removes a TTL check's persisted status (nothing when absent). */
  removeCheckState(id: string): this {
    return this.add(this.owner.checkStatePath(id), undefined);
  }

  /** Applies the changes, all or nothing; rejects with STORAGE_FAILED (see LocalPersistence.commit). */
  commit(): Promise<void> {
    return this.owner.commit(this.what, this.changes);
  }

  private add(path: string, value: unknown): this {
    this.changes.push({ path, content: value === undefined ? undefined : JSON.stringify(value) });
    return this;
  }
}

/**
 * Persists the agent's HTTP-registered services and checks, maintenance checks and TTL check
 * states under the data directory, in Consul's layout (`services/`, `checks/`, `checks/state/`,
 * one file per id named by the MD5 of the id). Every write is atomic and durable (temp file,
 * fsync, rename, fsync of the directory), so a change that resolved survives kill -9 and power
 * loss; a file whose content would not change is not rewritten (no fsync). Batches run one at a
 * time. A file that cannot be parsed is logged and skipped at load.
 */
export class LocalPersistence {
  private readonly queue = new SerialQueue();

  constructor(
    private readonly dataDir: string,
    private readonly deps: { logger: Logger; random: Random },
  ) {}

  /** `<data_dir>/services/<md5(id)>.json`. */
  servicePath(id: string): string {
    return join(this.dataDir, 'services', `${idFileName(id)}.json`);
  }
  /** `<data_dir>/checks/<md5(id)>.json`. */
  checkPath(id: string): string {
    return join(this.dataDir, 'checks', `${idFileName(id)}.json`);
  }
  /** `<data_dir>/checks/state/<md5(id)>.json`. */
  checkStatePath(id: string): string {
    return join(this.dataDir, 'checks', 'state', `${idFileName(id)}.json`);
  }

  /** Starts a batch of changes; `what` names it in errors (`failed persisting service "web"`). */
  batch(what: string): PersistBatch {
    return new PersistBatch(this, what);
  }

  /**
   * Applies `changes` in order, after every batch committed before (batches never interleave).
   * Resolves once all of them are durable. When one fails, the files already changed are put
   * back as they were (best effort: a failure to undo is logged) and the promise rejects with
   * STORAGE_FAILED `<what>: <the OS error>`; the caller then must not apply the change in memory.
   */
  commit(what: string, changes: readonly FileChange[]): Promise<void> {
    return this.queue.run(async () => {
      const touched: { path: string; before: string | undefined }[] = [];
      let at = '';
      try {
        for (const c of changes) {
          at = c.path;
          const before = await readIfExists(c.path);
          if (before === c.content) continue; // already so: nothing to write, nothing to fsync
          touched.push({ path: c.path, before });
          if (c.content === undefined) await removeFileDurably(c.path);
          else await writeFileDurably(c.path, c.content, this.deps.random);
        }
      } catch (e) {
        await this.undo(touched);
        const msg = e instanceof Error ? e.message : String(e);
        // Some OS errors (EISDIR on read) do not name the file: say which one.
        const reason = at === '' || msg.includes(dirname(at)) ? msg : `${msg}: ${at}`;
        throw new SextantError(ErrorCode.StorageFailed, `${what}: ${reason}`, { what, file: at }, { cause: e });
      }
    });
  }

  /** Reads everything persisted; missing directories read as empty. */
  async load(): Promise<PersistedLocalState> {
    const services = (await this.readAll(join(this.dataDir, 'services'))).filter((x): x is PersistedService => {
      const s = x as Partial<PersistedService>;
      return s.Version === PERSIST_VERSION && typeof s.Definition === 'object' && s.Definition !== null;
    });
    const checks = (await this.readAll(join(this.dataDir, 'checks'))).filter((x): x is PersistedCheck => {
      const c = x as { Version?: unknown; Source?: unknown };
      return c.Version === PERSIST_VERSION && (c.Source === 'api' || c.Source === 'maintenance');
    });
    const checkStates = new Map<string, PersistedCheckState>();
    for (const x of await this.readAll(join(this.dataDir, 'checks', 'state'))) {
      const s = x as Partial<PersistedCheckState>;
      if (s.Version === PERSIST_VERSION && typeof s.CheckID === 'string' && typeof s.Expires === 'number') checkStates.set(s.CheckID, s as PersistedCheckState);
    }
    return { services, checks, checkStates };
  }

  /** Waits for every batch committed so far to finish. */
  flush(): Promise<void> {
    return this.queue.idle();
  }

  /** Puts touched files back to their content before the batch, newest first. */
  private async undo(touched: readonly { path: string; before: string | undefined }[]): Promise<void> {
    for (const t of [...touched].reverse()) {
      try {
        const now = await readIfExists(t.path);
        if (now === t.before) continue; // the failed step changed nothing here
        if (t.before === undefined) await removeFileDurably(t.path);
        else await writeFileDurably(t.path, t.before, this.deps.random);
      } catch (e) {
        this.deps.logger.error('could not undo a failed persistence batch: the data directory may not match the agent until it restarts', {
          file: t.path,
          error: (e as Error).message,
        });
      }
    }
  }

  private async readAll(dir: string): Promise<unknown[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: unknown[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = join(dir, name);
      try {
        out.push(JSON.parse(await readFile(file, 'utf8')));
      } catch (e) {
        this.deps.logger.warn('skipping an unreadable persisted file', { file, error: (e as Error).message });
      }
    }
    return out;
  }
}
