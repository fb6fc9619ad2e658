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
  out = goEscape(out ?? 'null');
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

/** How an answer becomes JSON text: encodeJson, or encodeRecordsJson for answers built from stored records. */
export type JsonEncoder = (value: unknown, pretty: boolean) => string;

/**
 * encodeJson's text for any value, faster for answers assembled from frozen stored records
 * (catalog nodes, service and check views, health entries): the text of plain data (object
 * literals and arrays) that is frozen all the way down can never change, so it is computed once
 * (checked once: native JSON values only, else encodeJson's exact rules) and kept with it, and
 * an answer made of such records is the concatenation of their texts. Containers that are not
 * frozen are walked here, with encodeJson's rules (undefined/function/symbol members left out,
 * `null` in arrays, Go escaping); anything that is not plain data (bigint, byte arrays, toJSON,
 * class instances) is handed to encodeJson.
 * Kept texts live exactly as long as their record (a WeakMap). Pretty output takes
 * encodeJson's path (its indentation depends on the depth).
 */
export function encodeRecordsJson(value: unknown, pretty: boolean): string {
  if (pretty || inheritedToJson()) return encodeJson(value, pretty);
  const out: string[] = [];
  putRecords(value, out);
  return out.join('');
}

/** True when Object.prototype or Array.prototype carries a toJSON function (every plain object would use it). */
function inheritedToJson(): boolean {
  return typeof (Object.prototype as { toJSON?: unknown }).toJSON === 'function' || typeof (Array.prototype as { toJSON?: unknown }).toJSON === 'function';
}

/** Compact texts of deep-frozen plain data, by the object. */
const recordTexts = new WeakMap<object, string>();
/** Frozen objects found to hold something that is not frozen plain data (their text cannot be kept). */
const notRecords = new WeakSet<object>();

function putRecords(v: unknown, out: string[]): void {
  switch (typeof v) {
    case 'string':
      out.push(quoteGo(v));
      return;
    case 'number':
    case 'boolean':
      out.push(JSON.stringify(v));
      return;
    case 'object':
      if (v === null) {
        out.push('null');
        return;
      }
      break;
    default:
      out.push(encodeJson(v, false)); // bigint; undefined, function or symbol at the top: null
      return;
  }
  const kept = recordTexts.get(v);
  if (kept !== undefined) {
    out.push(kept);
    return;
  }
  if (!isPlainData(v)) {
    out.push(encodeJson(v, false));
    return;
  }
  if (Object.isFrozen(v) && !notRecords.has(v)) {
    const kind = frozenDataKind(v);
    if (kind !== NOT_DATA) {
      // Plain JSON values only: the native encoder is exact; with bigints, encodeJson's rules.
      const text = kind === JSON_DATA ? goEscape(JSON.stringify(v)) : encodeJson(v, false);
      recordTexts.set(v, text);
      out.push(text);
      return;
    }
    notRecords.add(v);
  }
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      const x: unknown = v[i];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') out.push('null');
      else putRecords(x, out);
    }
    out.push(']');
    return;
  }
  out.push('{');
  let first = true;
  for (const k of Object.keys(v)) {
    const x: unknown = (v as Record<string, unknown>)[k];
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    out.push(first ? quoteGo(k) : ',' + quoteGo(k), ':');
    first = false;
    putRecords(x, out);
  }
  out.push('}');
}

/** An array or a plain object (Object.prototype or no prototype) without toJSON: what the walk encodes itself. */
function isPlainData(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON !== 'function' && hasPlainPrototype(v);
}

function hasPlainPrototype(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return Array.isArray(v) ? proto === Array.prototype : proto === Object.prototype || proto === null;
}

const NOT_DATA = 0;
const JSON_DATA = 1;
const BIGINT_DATA = 2;

/**
 * Whether `v` and every object under it are frozen plain data: NOT_DATA when not, else
 * JSON_DATA when every leaf is a string, number, boolean, null or undefined, BIGINT_DATA when
 * some leaf is a bigint. (for-in also visits inherited enumerable members: stricter, never laxer.)
 */
function frozenDataKind(v: object): number {
  // No toJSON check: an own toJSON is a function member (not data), an inherited one is caught
  // once per answer in encodeRecordsJson.
  if (!Object.isFrozen(v) || !hasPlainPrototype(v)) return NOT_DATA;
  let kind = JSON_DATA;
  for (const k in v) {
    const x: unknown = (v as Record<string, unknown>)[k];
    switch (typeof x) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'undefined':
        continue;
      case 'bigint':
        kind = BIGINT_DATA;
        continue;
      case 'object': {
        if (x === null) continue;
        const inner = frozenDataKind(x);
        if (inner === NOT_DATA) return NOT_DATA;
        if (inner === BIGINT_DATA) kind = BIGINT_DATA;
        continue;
      }
      default:
        return NOT_DATA;
    }
  }
  return kind;
}

/** A string as a JSON literal with Go's escapes. */
function quoteGo(s: string): string {
  return goEscape(JSON.stringify(s));
}

/** JSON text with `<`, `>`, `&`, U+2028 and U+2029 escaped as Go's encoder writes them. */
function goEscape(text: string): string {
  // Five indexOf scans (memchr-fast) cost a fraction of one regex test over the text.
  const escaped =
    text.indexOf('<') >= 0 || text.indexOf('>') >= 0 || text.indexOf('&') >= 0 || text.indexOf('\u2028') >= 0 || text.indexOf('\u2029') >= 0;
  return escaped ? text.replace(GO_ESCAPED_ALL, (c) => GO_ESCAPES[c]!) : text;
}
