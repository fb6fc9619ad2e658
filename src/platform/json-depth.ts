/**
 * The nesting depth of a parsed JSON value: the most objects and arrays open at once on any path
 * (`{}` and `[]` are 1, a scalar 0), counted without recursion so a hostile value cannot
 * overflow the stack. Stops counting once `limit` is passed and returns `limit + 1`.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return limit + 1;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push({ v: c, d: depth });
  }
  return max;
}
