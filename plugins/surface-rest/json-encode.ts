/**
 * JSON encoding as Consul's Go server writes it: bigint values print as exact integers (uint64
 * Flags past 2^53), strings escape `<`, `>`, `&`, U+2028 and U+2029 like Go's encoding/json, and
 * pretty output is indented with four spaces and ends with a newline (Consul's `?pretty`).
 * `undefined` object members are omitted (Go's omitempty for absent fields).
 */
export function encodeJson(value: unknown, pretty: boolean): string {
  const out = encode(value, pretty ? '\n' : '', pretty);
  return pretty ? out + '\n' : out;
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function encodeString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
}

function encode(v: unknown, nl: string, pretty: boolean): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return encodeString(v);
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  const inner = pretty ? nl + '    ' : '';
  const sep = pretty ? ': ' : ':';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + v.map((x) => inner + encode(x, inner, pretty)).join(',') + nl + ']';
  }
  if (v instanceof Uint8Array) return encodeString(Buffer.from(v).toString('base64'));
  const obj = v as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === 'function') return encode(obj.toJSON(), nl, pretty);
  const parts: string[] = [];
  for (const [k, x] of Object.entries(obj)) {
    if (x === undefined) continue;
    parts.push(inner + encodeString(k) + sep + encode(x, inner, pretty));
  }
  if (parts.length === 0) return '{}';
  return '{' + parts.join(',') + nl + '}';
}
