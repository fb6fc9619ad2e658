import type { Random } from '../../contracts/platform.js';

/**
 * The servers a client agent sends its RPCs to (Consul's router.Manager, simplified): the
 * current list comes from `source` (the LAN pool's servers of this datacenter); the pool
 * starts at a random one, sticks with it while it answers, and moves a server that failed to
 * the back, so a client spreads over the servers and leaves a dead one quickly.
 */
export class ServerPool {
  private preferred: string | undefined;
  private readonly failed = new Set<string>();

  constructor(
    private readonly source: () => readonly string[],
    private readonly random: Random,
  ) {}

  /** The servers to try, in order: the preferred one first, the ones that failed last. Empty when none is known. */
  candidates(): string[] {
    const all = [...this.source()];
    if (all.length === 0) return [];
    if (this.preferred === undefined || !all.includes(this.preferred)) this.preferred = all[this.random.int(all.length)];
    const start = all.indexOf(this.preferred!);
    const rotated = [...all.slice(start), ...all.slice(0, start)];
    return [...rotated.filter((a) => !this.failed.has(a)), ...rotated.filter((a) => this.failed.has(a))];
  }

  /** `addr` answered: prefer it. */
  succeeded(addr: string): void {
    this.failed.delete(addr);
    this.preferred = addr;
  }

  /** `addr` could not be reached: try the others first from now on. */
  failedOn(addr: string): void {
    this.failed.add(addr);
    if (this.preferred === addr) this.preferred = undefined;
  }
}
