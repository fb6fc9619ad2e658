/**
 * Node meta as TXT strings, as Consul writes them: RFC 1464 `key=value` with backquote escaping
 * of the key (backquote, `=`, leading and trailing spaces) and of backquotes in the value; a key
 * starting with `rfc1035-` gives the bare value. Keys in sorted order (Consul's map order is
 * random). Strings over 255 bytes are split into 255-byte character-strings.
 */
export function nodeMetaTxt(meta: Readonly<Record<string, string>>): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (const key of Object.keys(meta).sort()) {
    const value = meta[key]!;
    const text = key.startsWith('rfc1035-') ? value : rfc1464(key, value);
    out.push(characterStrings(Buffer.from(text, 'utf8')));
  }
  return out;
}

/** One RFC 1464 `key=value` string. */
export function rfc1464(key: string, value: string): string {
  const escaped = key.replace(/`/g, '``').replace(/=/g, '`=');
  const lead = /^ */.exec(escaped)![0].length;
  const rest = escaped.slice(lead);
  const trail = / *$/.exec(rest)![0].length;
  const k = '` '.repeat(lead) + rest.slice(0, rest.length - trail) + '` '.repeat(trail);
  return `${k}=${value.replace(/`/g, '``')}`;
}

/** Splits bytes into DNS character-strings of at most 255 bytes (one empty string for empty input). */
export function characterStrings(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length <= 255) return [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, Math.min(i + 255, bytes.length)));
  return out;
}
