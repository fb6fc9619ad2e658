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

/** Canonical decimals of at most 19 digits: all below 2^64, so no BigInt is needed for them. */
const SHORT_CANONICAL = /^(?:0|[1-9][0-9]{0,18})$/;

/** True when `s` is already a canonical uint64 decimal string. Every replicated KV write checks
 * its flags with this, so the common case skips BigInt (~1 µs). */
export function isCanonicalUint64(s: string): boolean {
  return SHORT_CANONICAL.test(s) || (s.length === 20 && canonicalUint64(s) === s);
}
