import type { FilterNode, FilterValue, MatchNode, SelectorPath } from './filter-ast.js';

/**
 * Evaluates a parsed filter against one JSON-like object (the record as the endpoint returns it).
 *
 * Selectors walk fields and map keys exactly (case-sensitive). When a step meets an array, the
 * rest of the path is applied to every element ("any" semantics: `Checks.Status == passing` is
 * true when some check passes). A positive operator is true when any value found satisfies it;
 * each negated operator (`!=`, `not in`, `not contains`, `not matches`, `is not empty`) is the
 * exact negation of its positive form, so a selector that finds nothing makes `!=`, `not …` and
 * `is empty` true, as go-bexpr does for missing map keys.
 */
export function evaluateFilter(node: FilterNode, obj: unknown): boolean {
  switch (node.type) {
    case 'and':
      return evaluateFilter(node.left, obj) && evaluateFilter(node.right, obj);
    case 'or':
      return evaluateFilter(node.left, obj) || evaluateFilter(node.right, obj);
    case 'not':
      return !evaluateFilter(node.operand, obj);
    case 'match':
      return evaluateMatch(node, obj);
  }
}

function evaluateMatch(node: MatchNode, obj: unknown): boolean {
  const found = resolve(node.selector, obj);
  switch (node.op) {
    case 'equal':
      return found.some((v) => equals(v, node.value!));
    case 'not-equal':
      return !found.some((v) => equals(v, node.value!));
    case 'is-empty':
      return found.length === 0 || found.some(isEmpty);
    case 'is-not-empty':
      return !(found.length === 0 || found.some(isEmpty));
    case 'in':
    case 'contains':
      return found.some((v) => contains(v, node.value!));
    case 'not-in':
    case 'not-contains':
      return !found.some((v) => contains(v, node.value!));
    case 'matches':
      return found.some((v) => regexTest(node.regex!, v));
    case 'not-matches':
      return !found.some((v) => regexTest(node.regex!, v));
  }
}

/** Every value `path` reaches in `obj`, fanning out over arrays met before the last step. */
function resolve(path: SelectorPath, obj: unknown): unknown[] {
  let current: unknown[] = [obj];
  for (const step of path) {
    const next: unknown[] = [];
    for (const v of current) stepInto(v, step, next);
    if (next.length === 0) return next;
    current = next;
  }
  return current;
}

function stepInto(v: unknown, step: string, out: unknown[]): void {
  if (Array.isArray(v)) {
    for (const el of v) stepInto(el, step, out);
    return;
  }
  if (v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, step)) {
    const x = (v as Record<string, unknown>)[step];
    if (x !== undefined) out.push(x);
  }
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

function equals(v: unknown, lit: FilterValue): boolean {
  if (typeof v === 'number' && lit.kind === 'number') return v === Number(lit.text);
  if (typeof v === 'number') {
    const n = Number(lit.text);
    return lit.text.trim() !== '' && Number.isFinite(n) ? v === n : false;
  }
  if (v === null) return lit.text === '' || lit.text === 'null';
  const s = scalarText(v);
  return s !== undefined && s === lit.text;
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function contains(v: unknown, lit: FilterValue): boolean {
  if (typeof v === 'string') return v.includes(lit.text);
  if (Array.isArray(v)) return v.some((el) => equals(el, lit));
  if (v !== null && typeof v === 'object') return Object.prototype.hasOwnProperty.call(v, lit.text);
  return false;
}

function regexTest(re: RegExp, v: unknown): boolean {
  const s = scalarText(v);
  if (s === undefined) return false;
  re.lastIndex = 0;
  return re.test(s);
}
