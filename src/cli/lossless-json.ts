import { MAX_JSON_DEPTH } from '../../contracts/limits.js';
import { jsonTooDeepAt } from '../plugin-sdk/json-depth.js';

/**
 * JSON.parse that keeps integers exact: an integer literal outside the safe range becomes a
 * bigint (Consul's uint64 Flags and indexes). Everything else parses as JSON.parse would.
 * Throws SyntaxError on malformed input, and on nesting deeper than MAX_JSON_DEPTH (checked
 * before parsing, since the parser recurses once per level).
 */
export function parseJsonLossless(text: string): unknown {
  const tooDeep = jsonTooDeepAt(text);
  if (tooDeep !== undefined) throw new SyntaxError(`nesting deeper than ${MAX_JSON_DEPTH} levels at position ${tooDeep}`);
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expected string key');
        const k = str();
        ws();
        if (text[i] !== ':') fail("Expected ':'");
        i++;
        obj[k] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("Expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m) {
      i += m[0].length;
      if (m[1] === undefined && m[2] === undefined) {
        const n = Number(m[0]);
        return Number.isSafeInteger(n) ? n : BigInt(m[0]);
      }
      return Number(m[0]);
    }
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    return fail(i >= text.length ? 'Unexpected end of JSON input' : `Unexpected token ${JSON.stringify(text[i])}`);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '\\') i += 2;
      else if (ch === '"') break;
      else i++;
    }
    if (i >= text.length) fail('Unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const out = value();
  ws();
  if (i < text.length) fail(`Unexpected token ${JSON.stringify(text[i])}`);
  return out;
}
