/**
 * Structural equality of JSON-like values (strings, numbers, booleans, null, arrays, plain
 * objects; key order ignored; an undefined member equals an absent one). The catalog uses it
 * to recognise a write that changes nothing.
 */
export function catalogEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!catalogEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let na = 0;
  for (const k of Object.keys(ao)) {
    if (ao[k] === undefined) continue;
    na++;
    if (!catalogEqual(ao[k], bo[k])) return false;
  }
  let nb = 0;
  for (const k of Object.keys(bo)) if (bo[k] !== undefined) nb++;
  return na === nb;
}
