/**
 * `dns_config.service_ttl` lookups, as Consul resolves them: an exact service name first, then
 * the longest prefix pattern ending in `*`, then the `*` wildcard, else 0. Names compare
 * case-insensitively.
 */
export class ServiceTtl {
  private readonly exact = new Map<string, number>();
  /** Prefix patterns (without the `*`), longest first. */
  private readonly prefixes: (readonly [string, number])[] = [];
  private readonly memo = new Map<string, number>();

  /** @param ttls service name or `prefix*` pattern → TTL in seconds. */
  constructor(ttls: Readonly<Record<string, number>>) {
    for (const [pattern, seconds] of Object.entries(ttls)) {
      const p = pattern.toLowerCase();
      if (p.endsWith('*')) this.prefixes.push([p.slice(0, -1), seconds]);
      else this.exact.set(p, seconds);
    }
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  /** The TTL in seconds for `service`. */
  ttl(service: string): number {
    if (this.exact.size === 0 && this.prefixes.length === 0) return 0;
    const key = service.toLowerCase();
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    let ttl = this.exact.get(key);
    if (ttl === undefined) ttl = this.prefixes.find(([p]) => key.startsWith(p))?.[1] ?? 0;
    if (this.memo.size < 4096) this.memo.set(key, ttl);
    return ttl;
  }
}
