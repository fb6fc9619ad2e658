const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT: Readonly<Record<string, string>> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/**
 * Go's strconv.Quote (what `%q` prints in Consul's error texts): `"` and `\` escaped, printable
 * characters (Unicode letters, marks, numbers, punctuation, symbols, and the ASCII space) kept,
 * \a \b \f \n \r \t \v by name, other control bytes as \xNN, other runes as \uNNNN / \UNNNNNNNN.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 0x20 || (c > 0x20 && c < 0x7f) || (c >= 0xa0 && PRINTABLE.test(ch))) out += ch;
    else if (SHORT[ch] !== undefined) out += SHORT[ch];
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return out + '"';
}
