import type { FilterNode } from './filter-ast.js';
import { evaluateFilter } from './filter-evaluate.js';
import { parseFilter } from './filter-parser.js';

/** A compiled `?filter`: true for the records to keep. */
export type FilterPredicate = (record: unknown) => boolean;

const CACHE_LIMIT = 256;
const cache = new Map<string, FilterNode>();

/**
 * Compiles a `?filter` expression (see parseFilter) into a predicate. Blank or absent filters
 * keep everything. Parsed trees are memoized (bounded) because a blocking query re-runs its
 * filter on every wake-up. Throws BAD_REQUEST with the position of a syntax error.
 */
export function compileFilter(src: string | undefined): FilterPredicate | undefined {
  if (src === undefined || src.trim() === '') return undefined;
  let node = cache.get(src);
  if (!node) {
    node = parseFilter(src);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(src, node);
  }
  const tree = node;
  return (record) => evaluateFilter(tree, record);
}

/** `items` kept by `filter` (all of them when there is none). */
export function applyFilter<T>(items: readonly T[], filter: FilterPredicate | undefined): T[] {
  return filter ? items.filter((x) => filter(x)) : [...items];
}
