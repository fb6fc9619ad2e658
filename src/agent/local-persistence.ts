import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, Random } from '../../contracts/platform.js';
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

/**
 * Persists the agent's HTTP-registered services and checks, maintenance checks and TTL check
 * states under the data directory, in Consul's layout (`services/`, `checks/`, `checks/state/`,
 * one file per id named by the MD5 of the id). Writes are atomic (temp file, fsync, rename) and
 * serialized per file; a file that cannot be parsed is logged and skipped at load.
 */
export class LocalPersistence {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly dataDir: string,
    private readonly deps: { logger: Logger; random: Random },
  ) {}

  private servicesDir(): string {
    return join(this.dataDir, 'services');
  }
  private checksDir(): string {
    return join(this.dataDir, 'checks');
  }
  private statesDir(): string {
    return join(this.dataDir, 'checks', 'state');
  }

  /** Persists a service definition. */
  saveService(id: string, definition: Record<string, unknown>): Promise<void> {
    const body: PersistedService = { Version: PERSIST_VERSION, Definition: definition };
    return this.write(join(this.servicesDir(), `${idFileName(id)}.json`), body);
  }

  /** Removes a persisted service (no error when absent). */
  removeService(id: string): Promise<void> {
    return this.remove(join(this.servicesDir(), `${idFileName(id)}.json`));
  }

  /** Persists a check (API definition or maintenance check). */
  saveCheck(id: string, check: PersistedCheck): Promise<void> {
    return this.write(join(this.checksDir(), `${idFileName(id)}.json`), check);
  }

  /** Removes a persisted check and its TTL state (no error when absent). */
  async removeCheck(id: string): Promise<void> {
    await this.remove(join(this.checksDir(), `${idFileName(id)}.json`));
    await this.removeCheckState(id);
  }

  /** Persists a TTL check's status with its expiry. */
  saveCheckState(state: Omit<PersistedCheckState, 'Version'>): Promise<void> {
    return this.write(join(this.statesDir(), `${idFileName(state.CheckID)}.json`), { Version: PERSIST_VERSION, ...state });
  }

  /** Removes a TTL check's persisted status. */
  removeCheckState(id: string): Promise<void> {
    return this.remove(join(this.statesDir(), `${idFileName(id)}.json`));
  }

  /** Reads everything persisted; missing directories read as empty. */
  async load(): Promise<PersistedLocalState> {
    const services = (await this.readAll(this.servicesDir())).filter((x): x is PersistedService => {
      const s = x as Partial<PersistedService>;
      return s.Version === PERSIST_VERSION && typeof s.Definition === 'object' && s.Definition !== null;
    });
    const checks = (await this.readAll(this.checksDir())).filter((x): x is PersistedCheck => {
      const c = x as { Version?: unknown; Source?: unknown };
      return c.Version === PERSIST_VERSION && (c.Source === 'api' || c.Source === 'maintenance');
    });
    const checkStates = new Map<string, PersistedCheckState>();
    for (const x of await this.readAll(this.statesDir())) {
      const s = x as Partial<PersistedCheckState>;
      if (s.Version === PERSIST_VERSION && typeof s.CheckID === 'string' && typeof s.Expires === 'number') checkStates.set(s.CheckID, s as PersistedCheckState);
    }
    return { services, checks, checkStates };
  }

  /** Waits for every queued write or removal to finish. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
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

  private enqueue(path: string, op: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(path) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    this.chains.set(path, next);
    void next.finally(() => {
      if (this.chains.get(path) === next) this.chains.delete(path);
    }).catch(() => undefined);
    return next;
  }

  private write(path: string, value: unknown): Promise<void> {
    return this.enqueue(path, async () => {
      const dir = path.slice(0, path.lastIndexOf('/'));
      await mkdir(dir, { recursive: true });
      const tmp = `${path}.${Buffer.from(this.deps.random.bytes(6)).toString('hex')}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(value), 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    });
  }

  private remove(path: string): Promise<void> {
    return this.enqueue(path, () => rm(path, { force: true }));
  }
}
