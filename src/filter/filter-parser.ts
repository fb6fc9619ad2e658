import type { FilterNode, FilterValue, MatchNode, MatchOperator, SelectorPath } from './filter-ast.js';
import { filterError, lexFilter, type FilterToken } from './filter-lexer.js';

/**
 * Parses a `?filter` expression into a FilterNode. Precedence as go-bexpr: `not` binds
 * tightest, then `and`, then `or`; parentheses group. Matching expressions:
 *
 *   Selector == Value        Selector != Value
 *   Selector is empty        Selector is not empty
 *   Value in Selector        Value not in Selector
 *   Selector contains Value  Selector not contains Value
 *   Selector matches Value   Selector not matches Value
 *
 * Selectors are dotted (`Service.Meta.env`) or index map keys (`Meta["env"]`). Values are
 * "double-quoted", `raw`, numbers, or bare words. Throws BAD_REQUEST naming the position
 * (`1:12 (11): …`) for anything else, including an invalid regular expression.
 */
export function parseFilter(src: string): FilterNode {
  const p = new Parser(src, lexFilter(src));
  const node = p.expression();
  p.expectEnd();
  return node;
}

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly toks: readonly FilterToken[],
  ) {}

  expression(): FilterNode {
    let left = this.andExpr();
    while (this.isWord('or')) {
      this.pos++;
      left = { type: 'or', left, right: this.andExpr() };
    }
    return left;
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'eof') throw this.fail(t, `unexpected ${describe(t)}, expected "and", "or" or the end of the expression`);
  }

  private andExpr(): FilterNode {
    let left = this.unary();
    while (this.isWord('and')) {
      this.pos++;
      left = { type: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    const t = this.peek();
    if (this.isWord('not')) {
      this.pos++;
      return { type: 'not', operand: this.unary() };
    }
    if (t.kind === 'op' && t.text === '(') {
      this.pos++;
      const inner = this.expression();
      const close = this.peek();
      if (!(close.kind === 'op' && close.text === ')')) throw this.fail(close, `unexpected ${describe(close)}, expected ")"`);
      this.pos++;
      return inner;
    }
    return this.match();
  }

  private match(): MatchNode {
    const t = this.peek();
    if (t.kind === 'string' || t.kind === 'number') {
      this.pos++;
      const value: FilterValue = { text: t.text, kind: t.kind === 'number' ? 'number' : 'string' };
      return this.inExpr(value);
    }
    if (t.kind !== 'ident') throw this.fail(t, `unexpected ${describe(t)}, expected a selector or a value`);
    const selector = this.selector();
    const op = this.peek();
    if (op.kind === 'op' && (op.text === '==' || op.text === '!=')) {
      this.pos++;
      return { type: 'match', op: op.text === '==' ? 'equal' : 'not-equal', selector, value: this.value() };
    }
    if (op.kind === 'ident') {
      switch (op.text) {
        case 'is': {
          this.pos++;
          let negate = false;
          if (this.isWord('not')) {
            this.pos++;
            negate = true;
          }
          const e = this.peek();
          if (!(e.kind === 'ident' && e.text === 'empty')) throw this.fail(e, `unexpected ${describe(e)}, expected "empty"`);
          this.pos++;
          return { type: 'match', op: negate ? 'is-not-empty' : 'is-empty', selector };
        }
        case 'contains':
          this.pos++;
          return { type: 'match', op: 'contains', selector, value: this.value() };
        case 'matches':
          this.pos++;
          return this.regexMatch('matches', selector);
        case 'in':
          if (selector.length === 1) return this.inExpr({ text: selector[0]!, kind: 'string' });
          break;
        case 'not': {
          const next = this.toks[this.pos + 1]!;
          if (next.kind === 'ident' && next.text === 'contains') {
            this.pos += 2;
            return { type: 'match', op: 'not-contains', selector, value: this.value() };
          }
          if (next.kind === 'ident' && next.text === 'matches') {
            this.pos += 2;
            return this.regexMatch('not-matches', selector);
          }
          if (next.kind === 'ident' && next.text === 'in' && selector.length === 1) {
            return this.inExpr({ text: selector[0]!, kind: 'string' });
          }
          throw this.fail(next, `unexpected ${describe(next)}, expected "contains", "matches" or "in" after "not"`);
        }
      }
    }
    throw this.fail(op, `unexpected ${describe(op)}, expected a match operator (==, !=, is empty, is not empty, in, contains, matches)`);
  }

  /** `Value [not] in Selector`, the value already read. */
  private inExpr(value: FilterValue): MatchNode {
    let negate = false;
    if (this.isWord('not')) {
      this.pos++;
      negate = true;
    }
    const t = this.peek();
    if (!(t.kind === 'ident' && t.text === 'in')) throw this.fail(t, `unexpected ${describe(t)}, expected "in" or "not in" after a value`);
    this.pos++;
    const s = this.peek();
    if (s.kind !== 'ident') throw this.fail(s, `unexpected ${describe(s)}, expected a selector`);
    return { type: 'match', op: negate ? 'not-in' : 'in', selector: this.selector(), value };
  }

  private regexMatch(op: MatchOperator, selector: SelectorPath): MatchNode {
    const at = this.peek();
    const value = this.value();
    let source = value.text;
    let flags = '';
    const inline = /^\(\?([imsU]+)\)/.exec(source);
    if (inline) {
      source = source.slice(inline[0].length);
      for (const f of inline[1]!) if (f === 'i' || f === 'm' || f === 's') flags += flags.includes(f) ? '' : f;
    }
    let regex: RegExp;
    try {
      regex = new RegExp(source, flags);
    } catch (e) {
      throw this.fail(at, `invalid regular expression ${JSON.stringify(value.text)}: ${(e as Error).message}`);
    }
    return { type: 'match', op, selector, value, regex };
  }

  private selector(): SelectorPath {
    const first = this.peek();
    if (first.kind !== 'ident') throw this.fail(first, `unexpected ${describe(first)}, expected a selector`);
    this.pos++;
    const path = [first.text];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && t.text === '.') {
        this.pos++;
        const part = this.peek();
        if (part.kind !== 'ident' && part.kind !== 'number') throw this.fail(part, `unexpected ${describe(part)}, expected a field name after "."`);
        this.pos++;
        path.push(part.text);
        continue;
      }
      if (t.kind === 'op' && t.text === '[') {
        this.pos++;
        const key = this.peek();
        if (key.kind !== 'string' && key.kind !== 'number') throw this.fail(key, `unexpected ${describe(key)}, expected a quoted key inside [ ]`);
        this.pos++;
        const close = this.peek();
        if (!(close.kind === 'op' && close.text === ']')) throw this.fail(close, `unexpected ${describe(close)}, expected "]"`);
        this.pos++;
        path.push(key.text);
        continue;
      }
      return path;
    }
  }

  private value(): FilterValue {
    const t = this.peek();
    if (t.kind === 'string') {
      this.pos++;
      return { text: t.text, kind: 'string' };
    }
    if (t.kind === 'number') {
      this.pos++;
      return { text: t.text, kind: 'number' };
    }
    if (t.kind === 'ident') {
      this.pos++;
      return { text: t.text, kind: 'string' };
    }
    throw this.fail(t, `unexpected ${describe(t)}, expected a value`);
  }

  private peek(): FilterToken {
    return this.toks[this.pos]!;
  }

  private isWord(w: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text === w;
  }

  private fail(t: FilterToken, what: string): Error {
    return filterError(this.src, t.offset, what);
  }
}

function describe(t: FilterToken): string {
  switch (t.kind) {
    case 'eof':
      return 'end of expression';
    case 'string':
      return `string ${JSON.stringify(t.text)}`;
    default:
      return JSON.stringify(t.text);
  }
}
