const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * Parses a uint64 given as a decimal string (KV flags) and returns its canonical form ("007" →
 * "7"), or undefined when it is not a decimal unsigned integer below 2^64.
 */
export function canonicalUint64(s: string): string | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const digits = s.replace(/^0+(?=.)/, '');
  if (digits.length > 20) return undefined;
  const n = BigInt(digits);
  return n <= MAX_UINT64 ? n.toString() : undefined;
}

/** True when `s` is already a canonical uint64 decimal string. */
export function isCanonicalUint64(s: string): boolean {
  return canonicalUint64(s) === s;
}
