/**
 * Go's url.Values helpers, so texts that echo the query (Consul's `Conflicting flags: <query>`)
 * read exactly as Consul writes them.
 */

/** Go's url.QueryEscape: unreserved bytes kept, space as `+`, everything else `%XX` (upper case). */
export function goQueryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go's url.Values.Encode: keys sorted, each value as `k=v`, joined by `&`. */
export function goQueryEncode(params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const k of keys) for (const v of params.getAll(k)) parts.push(`${goQueryEscape(k)}=${goQueryEscape(v)}`);
  return parts.join('&');
}

/**
 * Go's strconv.ParseUint(s, 10, 64): the value as a bigint, or Go's error text
 * (`strconv.ParseUint: parsing "x": invalid syntax` / `... value out of range`).
 */
export function parseGoUint64(s: string): bigint | string {
  if (!/^[0-9]+$/.test(s)) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n >= 1n << 64n) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}
