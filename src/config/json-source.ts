/**
 * Strict JSON parsing that locates syntax errors by line and column (V8's JSON.parse messages
 * do not always carry a position). A leading UTF-8 BOM is ignored; nesting deeper than
 * MAX_JSON_DEPTH is an error too (at the bracket that goes too deep).
 */
import { MAX_JSON_DEPTH } from '../../contracts/limits.js';
import { jsonTooDeepAt } from '../plugin-sdk/json-depth.js';

/** Where and why a JSON text is malformed. */
export interface JsonSyntaxError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Parses `text`; returns `{ value }` or `{ error }` with a 1-based line:column. */
export function parseJsonText(text: string): { value: unknown; error?: undefined } | { value?: undefined; error: JsonSyntaxError } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tooDeep = jsonTooDeepAt(src);
  if (tooDeep !== undefined) return { error: { ...lineColumn(src, tooDeep), message: `nesting deeper than ${MAX_JSON_DEPTH} levels` } };
  try {
    return { value: JSON.parse(src) as unknown };
  } catch {
    const { offset, message } = locateJsonError(src);
    return { error: { ...lineColumn(src, offset), message } };
  }
}

function lineColumn(src: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < src.length; i++) {
    if (src[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class Fail {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/** Scans `src` as JSON (RFC 8259) and reports the first error's offset and a plain description. */
export function locateJsonError(src: string): { offset: number; message: string } {
  let i = 0;
  const describe = (): string => (i >= src.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(src[i])}`);
  const ws = (): void => {
    while (i < src.length && ' \t\n\r'.includes(src[i]!)) i++;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= src.length) throw new Fail(i, 'unterminated string');
      const c = src.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) throw new Fail(i, 'control character in string (escape it)');
      if (c === 0x5c) {
        const e = src[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) i += 6;
        else throw new Fail(i, 'invalid escape sequence in string');
        continue;
      }
      i++;
    }
  };
  const number = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
    if (!m || m[0] === '-' || m[0] === '') throw new Fail(i, 'invalid number');
    i += m[0].length;
    if (i < src.length && /[0-9.eE+-]/.test(src[i]!)) throw new Fail(i, 'invalid number');
  };
  const value = (): void => {
    ws();
    const c = src[i];
    if (c === '{') {
      i++;
      ws();
      if (src[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (src[i] !== '"') throw new Fail(i, `expected a double-quoted key, found ${describe().replace('unexpected ', '')}`);
        string();
        ws();
        if (src[i] !== ':') throw new Fail(i, `expected ':' after key, found ${describe().replace('unexpected ', '')}`);
        i++;
        value();
        ws();
        if (src[i] === ',') {
          i++;
          ws();
          if (src[i] === '}') throw new Fail(i, "trailing comma before '}'");
          continue;
        }
        if (src[i] === '}') {
          i++;
          return;
        }
        throw new Fail(i, `expected ',' or '}' after a value, found ${describe().replace('unexpected ', '')}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (src[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (src[i] === ',') {
          i++;
          ws();
          if (src[i] === ']') throw new Fail(i, "trailing comma before ']'");
          continue;
        }
        if (src[i] === ']') {
          i++;
          return;
        }
        throw new Fail(i, `expected ',' or ']' after a value, found ${describe().replace('unexpected ', '')}`);
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const lit of ['true', 'false', 'null']) {
      if (src.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    throw new Fail(i, i >= src.length ? 'unexpected end of input (expected a value)' : `${describe()} (expected a value)`);
  };
  try {
    value();
    ws();
    if (i < src.length) throw new Fail(i, `unexpected data after the JSON value: ${JSON.stringify(src[i])}`);
    return { offset: 0, message: 'invalid JSON' };
  } catch (e) {
    if (e instanceof Fail) return { offset: e.offset, message: e.message };
    throw e;
  }
}
