/**
 * JSON encoding as Consul's Go server writes it: bigint values print as exact integers (uint64
 * Flags past 2^53), Uint8Arrays (Buffers included) as base64 strings like Go's []byte, strings
 * escape `<`, `>`, `&`, U+2028 and U+2029 like Go's encoding/json, and pretty output is indented
 * with four spaces and ends with a newline (Consul's `?pretty`). `undefined` object members are
 * omitted (Go's omitempty for absent fields).
 *
 * Fast path: the native JSON.stringify with a small replacer (bigints within ±2^53 become exact
 * numbers, byte arrays base64) and one scan for the Go-escaped characters. Only a value holding
 * a bigint beyond 2^53 takes the exact (slower) encoder.
 */
export function encodeJson(value: unknown, pretty: boolean): string {
  const outer = needsExact;
  needsExact = false;
  let out: string | undefined;
  try {
    if (!hasGoOnlyValues(value)) {
      // Most answers (catalog, health, sessions) hold only JSON-native values: a plain walk to
      // prove it costs less than the replacer callback on every member.
      out = JSON.stringify(value, null, pretty ? 4 : undefined);
    } else {
      out = JSON.stringify(value, goReplacer, pretty ? 4 : undefined);
      if (needsExact) out = encode(value, pretty ? '\n' : '', pretty);
    }
  } finally {
    needsExact = outer;
  }
  out ??= 'null';
  if (GO_ESCAPED.test(out)) out = out.replace(GO_ESCAPED_ALL, (c) => GO_ESCAPES[c]!);
  return pretty ? out + '\n' : out;
}

/** True when `v` holds a bigint or a byte array anywhere (values JSON.stringify would get wrong). */
function hasGoOnlyValues(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  if (typeof v !== 'object' || v === null) return false;
  if (v instanceof Uint8Array) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (hasGoOnlyValues(v[i])) return true;
    return false;
  }
  for (const k in v) if (hasGoOnlyValues((v as Record<string, unknown>)[k])) return true;
  return false;
}

/** Set by goReplacer when a bigint cannot be printed exactly as a JS number. */
let needsExact = false;

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_EXACT = -MAX_EXACT;

/** JSON.stringify replacer: exact bigints as numbers, byte arrays as base64; flags the rest. */
function goReplacer(this: unknown, key: string, v: unknown): unknown {
  if (typeof v === 'bigint') {
    if (v <= MAX_EXACT && v >= MIN_EXACT) return Number(v);
    needsExact = true;
    return 0;
  }
  if (typeof v === 'object' && v !== null) {
    // `v` is after toJSON (a Buffer arrives as {type,data}); the holder still has the original.
    const orig = (this as Record<string, unknown>)[key];
    if (orig instanceof Uint8Array) return base64(orig);
  }
  return v;
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

const GO_ESCAPED = /[<>&\u2028\u2029]/;
const GO_ESCAPED_ALL = /[<>&\u2028\u2029]/g;

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** The exact encoder (no Go escaping: encodeJson applies it to the whole text). */
function encode(v: unknown, nl: string, pretty: boolean): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
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
  if (v instanceof Uint8Array) return JSON.stringify(base64(v));
  const obj = v as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === 'function') return encode(obj.toJSON(), nl, pretty);
  const parts: string[] = [];
  for (const [k, x] of Object.entries(obj)) {
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    parts.push(inner + JSON.stringify(k) + sep + encode(x, inner, pretty));
  }
  if (parts.length === 0) return '{}';
  return '{' + parts.join(',') + nl + '}';
}
