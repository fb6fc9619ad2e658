import { ErrorCode, SextantError } from '../../contracts/errors.js';

/**
 * Go's time.Duration text format, parsed and printed exactly as Go's `time.ParseDuration` and
 * `Duration.String()` do (same accepted inputs, same rounding, same error texts).
 */

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SEC = 1000n * MS;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US], // U+00B5 micro sign
  ['\u03bcs', US], // U+03BC Greek small letter mu
  ['ms', MS],
  ['s', SEC],
  ['m', MIN],
  ['h', HOUR],
]);

const TWO63 = 1n << 63n;
const MAX_INT64 = TWO63 - 1n;

/** Go's time.quote: printable ASCII kept (with `"` and `\` escaped), every other byte as \xNN. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80 || c < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += '\\x' + b.toString(16).padStart(2, '0');
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

function fail(message: string, input: string): SextantError {
  return new SextantError(ErrorCode.DurationInvalid, message, { input });
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Parses a Go duration string ("300ms", "-1.5h", "2h45m", "1µs") into nanoseconds.
 * Accepts exactly what Go's time.ParseDuration accepts (a lone "0" needs no unit; the result must
 * fit an int64) and throws SextantError DURATION_INVALID carrying Go's error text otherwise, e.g.
 * `time: missing unit in duration "10"`, `time: unknown unit "d" in duration "1d"`.
 */
export function parseGoDuration(input: string): bigint {
  const orig = input;
  const invalid = (): SextantError => fail(`time: invalid duration ${goQuote(orig)}`, orig);
  let s = input;
  let d = 0n;
  let neg = false;
  if (s !== '') {
    const c = s[0];
    if (c === '-' || c === '+') {
      neg = c === '-';
      s = s.slice(1);
    }
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  while (s !== '') {
    let v = 0n;
    let f = 0n;
    let scale = 1;
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    // leadingInt
    let i = 0;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > TWO63 / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO63) throw invalid();
    }
    const pre = i > 0;
    s = s.slice(i);
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      // leadingFraction: stops accumulating precision on overflow, never fails
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > MAX_INT64 / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > TWO63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let k = 0;
    for (; k < s.length; k++) {
      if (s[k] === '.' || isDigit(s[k])) break;
    }
    if (k === 0) throw fail(`time: missing unit in duration ${goQuote(orig)}`, orig);
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS.get(u);
    if (unit === undefined) throw fail(`time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`, orig);
    if (v > TWO63 / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go: v += uint64(float64(f) * (float64(unit) / scale)) — same float64 arithmetic here.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO63) throw invalid();
    }
    d += v;
    if (d > TWO63) throw invalid();
  }
  if (neg) return -d;
  if (d > MAX_INT64) throw invalid();
  return d;
}

/** Go's fmtFrac: the fraction v/10^prec without trailing zeros (and no '.' when zero). */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let out = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) out = digit.toString() + out;
    v /= 10n;
  }
  return [print ? '.' + out : '', v];
}

/**
 * Renders nanoseconds like Go's Duration.String(): "0s", "1.5s", "500ms", "1.1µs", "1m30s",
 * "1h0m0s", "-2562047h47m16.854775808s". Values are taken modulo int64 as Go would hold them.
 */
export function formatGoDuration(ns: bigint): string {
  const d = BigInt.asIntN(64, ns);
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < SEC) {
    let prec: number;
    let unit: string;
    if (u === 0n) return '0s';
    if (u < US) {
      prec = 0;
      unit = 'ns';
    } else if (u < MS) {
      prec = 3;
      unit = '\u00b5s';
    } else {
      prec = 6;
      unit = 'ms';
    }
    const [frac, rest] = fmtFrac(u, prec);
    out = rest.toString() + frac + unit;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = (u % 60n).toString() + frac + 's';
    u /= 60n;
    if (u > 0n) {
      out = (u % 60n).toString() + 'm' + out;
      u /= 60n;
      if (u > 0n) out = u.toString() + 'h' + out;
    }
  }
  return neg ? '-' + out : out;
}

/** Parses a Go duration and returns it in (possibly fractional) milliseconds. Throws like parseGoDuration. */
export function durationMs(s: string): number {
  const ns = parseGoDuration(s);
  const whole = ns / MS;
  return Number(whole) + Number(ns - whole * MS) / 1e6;
}

/** True when `s` is a valid Go duration string. */
export function isGoDuration(s: string): boolean {
  try {
    parseGoDuration(s);
    return true;
  } catch {
    return false;
  }
}
