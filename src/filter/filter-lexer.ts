import { ErrorCode, SextantError } from '../../contracts/errors.js';

/** A token of a filter expression, with its 0-based offset in the source. */
export interface FilterToken {
  readonly kind: 'ident' | 'string' | 'number' | 'op' | 'eof';
  /** Identifier text, the decoded string, the number's text, or the operator (`==`, `!=`, `(`, `)`, `[`, `]`, `.`). */
  readonly text: string;
  readonly offset: number;
}

/** Consul's error prefix for a filter that cannot be parsed. */
export const FILTER_ERROR_PREFIX = 'Failed to create boolean expression evaluator';

/** A BAD_REQUEST naming the line:column and offset of the problem in `src`, as go-bexpr does. */
export function filterError(src: string, offset: number, what: string): SextantError {
  const before = src.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1) + 1;
  return new SextantError(ErrorCode.BadRequest, `${FILTER_ERROR_PREFIX}: ${line}:${col} (${offset}): ${what}`);
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_\-/]/;
const DIGIT = /[0-9]/;

/**
 * Splits a filter expression into tokens. Strings are `"…"` (with Go escapes \" \\ \n \t \r
 * \uXXXX) or backtick raw strings; numbers are base-10 integers or decimals with an optional
 * sign; identifiers are letters, digits, `_`, `-` and `/`. Throws BAD_REQUEST (with the
 * position) for an unterminated string or an unexpected character.
 */
export function lexFilter(src: string): FilterToken[] {
  const out: FilterToken[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '=' || c === '!') {
      if (src[i + 1] !== '=') throw filterError(src, i, `unexpected ${JSON.stringify(c)}, expected "${c}="`);
      out.push({ kind: 'op', text: c + '=', offset: start });
      i += 2;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === '.') {
      out.push({ kind: 'op', text: c, offset: start });
      i++;
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw filterError(src, start, 'unterminated raw string');
      out.push({ kind: 'string', text: src.slice(i + 1, end), offset: start });
      i = end + 1;
      continue;
    }
    if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= src.length) throw filterError(src, start, 'unterminated string');
        const d = src[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const e = src[i + 1];
          const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', '/': '/' };
          if (e !== undefined && simple[e] !== undefined) {
            text += simple[e];
            i += 2;
            continue;
          }
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
            text += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          throw filterError(src, i, 'invalid escape in string');
        }
        text += d;
        i++;
      }
      out.push({ kind: 'string', text, offset: start });
      continue;
    }
    if (DIGIT.test(c) || ((c === '-' || c === '+') && DIGIT.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < src.length && DIGIT.test(src[j]!)) j++;
      if (src[j] === '.' && DIGIT.test(src[j + 1] ?? '')) {
        j++;
        while (j < src.length && DIGIT.test(src[j]!)) j++;
      }
      // A word that starts with digits (e.g. `1a`) is a bare word, not a number.
      if (j < src.length && IDENT_PART.test(src[j]!)) {
        while (j < src.length && IDENT_PART.test(src[j]!)) j++;
        out.push({ kind: 'ident', text: src.slice(i, j), offset: start });
      } else {
        out.push({ kind: 'number', text: src.slice(i, j), offset: start });
      }
      i = j;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < src.length && IDENT_PART.test(src[j]!)) j++;
      out.push({ kind: 'ident', text: src.slice(i, j), offset: start });
      i = j;
      continue;
    }
    throw filterError(src, i, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'eof', text: '', offset: src.length });
  return out;
}
