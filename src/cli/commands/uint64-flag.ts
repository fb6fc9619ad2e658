/**
 * Go's flag.Uint64Var value parsing (strconv.ParseUint(s, 0, 64): decimal, 0x, 0o, 0b, leading 0
 * octal, underscores between digits): the value, or null for Go's `parse error`.
 */
export function parseUint64Flag(s: string): bigint | null {
  const t = s.replaceAll('_', '');
  if (t === '' || s.startsWith('_') || s.endsWith('_') || s.includes('__')) return null;
  let n: bigint;
  try {
    if (/^0[xX][0-9a-fA-F]+$/.test(t) || /^0[bB][01]+$/.test(t) || /^0[oO][0-7]+$/.test(t)) n = BigInt(t);
    else if (/^0[0-7]+$/.test(t)) n = BigInt('0o' + t.slice(1));
    else if (/^[0-9]+$/.test(t)) n = BigInt(t);
    else return null;
  } catch {
    return null;
  }
  return n < 1n << 64n ? n : null;
}

/** Reads uint64 flag `name` (declared as a string flag with default '0'); throws Go's flag error text. */
export function uint64FlagValue(values: Readonly<Record<string, unknown>>, name: string): bigint {
  const raw = String(values[name] ?? '0');
  const n = parseUint64Flag(raw);
  if (n === null) throw new FlagValueError(`invalid value ${JSON.stringify(raw)} for flag -${name}: parse error`);
  return n;
}

/** A flag value that failed Go's parsing; the command prints it with its help and exits 1. */
export class FlagValueError extends Error {}
