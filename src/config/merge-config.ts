/**
 * Consul's merge of config sources: later scalars win, lists are appended, objects (maps) merge
 * key by key, recursively. `service`/`check` (one object) are first folded into `services`/
 * `checks` within their own file, so several files each defining `service` all contribute.
 */

/** A user (snake_case) config fragment: one parsed file, the defaults, or the CLI flags. */
export type UserConfig = Record<string, unknown>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Folds `service` into `services` and `check` into `checks` (after the file's own list, as Consul does). */
export function foldSingulars(file: UserConfig): UserConfig {
  const out: UserConfig = { ...file };
  for (const [one, many] of [
    ['service', 'services'],
    ['check', 'checks'],
  ] as const) {
    if (out[one] === undefined) continue;
    out[many] = [...((out[many] as unknown[] | undefined) ?? []), out[one]];
    delete out[one];
  }
  return out;
}

/**
 * The JSON pointers, in the file, of the entries foldSingulars(file)[many] will hold: the file's
 * own `many` list (`/services/0`, …), then its `one` object (`/service`).
 */
export function foldedPointers(file: UserConfig, one: 'service' | 'check', many: 'services' | 'checks'): string[] {
  const own = Array.isArray(file[many]) ? (file[many] as unknown[]).map((_, i) => `/${many}/${i}`) : [];
  return file[one] !== undefined ? [...own, `/${one}`] : own;
}

/** Returns `base` overlaid with `over`: arrays appended, objects merged recursively, anything else replaced. Inputs are not modified. */
export function mergeUserConfig(base: UserConfig, over: UserConfig): UserConfig {
  const out: UserConfig = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const cur = out[k];
    if (Array.isArray(v) && Array.isArray(cur)) out[k] = [...cur, ...v];
    else if (isPlainObject(v) && isPlainObject(cur)) out[k] = mergeUserConfig(cur, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

