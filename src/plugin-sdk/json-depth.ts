import { MAX_JSON_DEPTH } from '../../contracts/limits.js';

/**
 * Where JSON text first nests objects and arrays deeper than `limit` (the offset of the bracket
 * that goes one level too deep), or undefined when it never does. Counted without parsing
 * (brackets inside strings are skipped), so it is safe on any input; malformed JSON gets an
 * answer too and parsing then reports its error.
 */
export function jsonTooDeepAt(text: string, limit = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return undefined;
}

/** Undefined when `text` nests at most MAX_JSON_DEPTH levels, else why it is refused: `nesting deeper than 64 levels`. */
export function jsonDepthProblem(text: string): string | undefined {
  return jsonTooDeepAt(text) === undefined ? undefined : `nesting deeper than ${MAX_JSON_DEPTH} levels`;
}

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
