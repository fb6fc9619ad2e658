/**
 * Clamps a caller's index bound (which may be ±Infinity or fractional) to a whole index that
 * SQLite can bind and a segment can look up: rounded up when `up` (a range's low end), down
 * otherwise.
 */
export function indexBound(n: number, up: boolean): number {
  if (n === Infinity) return Number.MAX_SAFE_INTEGER;
  if (n === -Infinity) return 0;
  return up ? Math.ceil(n) : Math.floor(n);
}
