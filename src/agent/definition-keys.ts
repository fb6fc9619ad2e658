/**
 * Key canonicalization for service and check definitions. Consul decodes definitions with
 * case-insensitive field matching and accepts both the API's CamelCase (`DeregisterCriticalServiceAfter`)
 * and the config files' snake_case (`deregister_critical_service_after`), and python-consul's
 * lowercase (`deregistercriticalserviceafter` is not sent, but `ttl`, `http` … are). Every
 * spelling is folded to one canonical snake_case name here.
 */

/** A key reduced for comparison: lower case, without `_` and `-`. */
export function squashKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** Builds a lookup from squashed spellings to the canonical snake_case field name. */
export function fieldIndex(fields: readonly string[], aliases: Readonly<Record<string, string>> = {}): ReadonlyMap<string, string> {
  const m = new Map<string, string>();
  for (const f of fields) m.set(squashKey(f), f);
  for (const [alias, f] of Object.entries(aliases)) m.set(squashKey(alias), f);
  return m;
}

/** CamelCase / PascalCase to snake_case (`FileExists` → `file_exists`, `TLSFoo` → `tls_foo`); snake_case is kept. */
export function snakeCase(key: string): string {
  return key
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

/** The canonical name of `key`: a known field's name, else the key in snake_case. */
export function canonicalKey(key: string, index: ReadonlyMap<string, string>): string {
  return index.get(squashKey(key)) ?? snakeCase(key);
}

/** True for a plain JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Renames the top-level keys of `obj` to their canonical names. When two spellings of one field
 * are present, the canonical (snake_case) one wins, then the later one.
 */
export function canonicalizeKeys(obj: Record<string, unknown>, index: ReadonlyMap<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const exact = new Set<string>();
  for (const [k, v] of Object.entries(obj)) {
    const c = canonicalKey(k, index);
    if (exact.has(c) && k !== c) continue;
    out[c] = v;
    if (k === c) exact.add(c);
  }
  return out;
}
