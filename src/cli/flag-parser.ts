import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { formatGoDuration, parseGoDuration } from '../config/go-duration.js';

/**
 * A small parser compatible with Go's `flag` package, which Consul's CLI uses: single- or
 * double-dash long flags (`-dev`, `--dev`), `-flag=value` and `-flag value`, booleans that take no
 * argument (`-dev`, `-dev=false`), repeatable list flags, and parsing that stops at the first
 * positional argument or at `--`. Error texts are Go's.
 */

/** bool: no argument; string; int: Go's strconv.ParseInt(s, 0, 64); duration: Go duration (kept as ns); list: repeatable string. */
export type FlagKind = 'bool' | 'string' | 'int' | 'duration' | 'list';

/** The declaration of one flag. */
export interface FlagSpec {
  /** Name without dashes, e.g. `http-port`. */
  readonly name: string;
  readonly kind: FlagKind;
  /** Help text; a `backquoted` word names the value in usage output, as in Go. */
  readonly usage: string;
  /** Default shown in usage and returned when the flag is absent (lists default to []). */
  readonly default?: string | number | boolean | bigint;
}

/** A flag value as parsed: boolean, string, number (int), bigint (duration, ns) or string[] (list). */
export type FlagValue = boolean | string | number | bigint | readonly string[];

/** One flag occurrence on the command line, in order (lets callers keep interleaved order across flags). */
export interface FlagOccurrence {
  readonly name: string;
  readonly value: FlagValue;
}

/** The outcome of parsing a command line. */
export interface ParsedFlags {
  /** Every declared flag's value: the parsed one, else its default (or false / '' / 0 / 0n / []). */
  readonly values: Readonly<Record<string, FlagValue>>;
  /** Names of flags that appeared on the command line. */
  readonly set: ReadonlySet<string>;
  /** Every occurrence in command-line order (a list flag contributes one per repetition). */
  readonly occurrences: readonly FlagOccurrence[];
  /** Positional arguments left after the flags (after `--` if it ended the flags). */
  readonly args: readonly string[];
  /** True when `-h` / `-help` (undeclared) was given: the caller should print usage. Parsing stopped there. */
  readonly help: boolean;
}

function flagError(message: string, flag?: string): SextantError {
  return new SextantError(ErrorCode.FlagInvalid, message, flag === undefined ? undefined : { flag });
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool. Returns undefined for a syntax error. */
export function parseGoBool(s: string): boolean | undefined {
  if (GO_TRUE.has(s)) return true;
  if (GO_FALSE.has(s)) return false;
  return undefined;
}

/** Go's underscoreOK: underscores may only separate digits (a base prefix counts as a digit). */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/**
 * Go's strconv.ParseInt(s, 0, 64) reduced to flag's errors: returns the value, or the string
 * 'parse error' / 'value out of range' (Go's flag package maps strconv errors to these).
 */
export function parseGoInt(s0: string): bigint | 'parse error' | 'value out of range' {
  if (s0 === '') return 'parse error';
  let s = s0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let base = 10n;
  if (s[0] === '0') {
    if (s.length >= 3 && (s[1] === 'x' || s[1] === 'X')) {
      base = 16n;
      s = s.slice(2);
    } else if (s.length >= 3 && (s[1] === 'b' || s[1] === 'B')) {
      base = 2n;
      s = s.slice(2);
    } else if (s.length >= 3 && (s[1] === 'o' || s[1] === 'O')) {
      base = 8n;
      s = s.slice(2);
    } else {
      base = 8n;
      s = s.slice(1);
      if (s === '') return 0n;
    }
  }
  if (s === '') return 'parse error';
  const cutoff = 1n << 64n;
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    let d: bigint;
    if (c === '_') {
      underscores = true;
      continue;
    } else if (c >= '0' && c <= '9') d = BigInt(c.charCodeAt(0) - 48);
    else if (/[a-zA-Z]/.test(c)) d = BigInt(c.toLowerCase().charCodeAt(0) - 87);
    else return 'parse error';
    if (d >= base) return 'parse error';
    n = n * base + d;
    if (n >= cutoff) return 'value out of range';
  }
  if (underscores && !underscoreOK(s0)) return 'parse error';
  const limit = 1n << 63n;
  if (!neg && n >= limit) return 'value out of range';
  if (neg && n > limit) return 'value out of range';
  return neg ? -n : n;
}

function zeroOf(kind: FlagKind): FlagValue {
  switch (kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'int':
      return 0;
    case 'duration':
      return 0n;
    case 'list':
      return [];
  }
}

/** Go's UnquoteUsage: the value name (from a `backquoted` word, else from the type) and the usage text. */
function unquoteUsage(spec: FlagSpec): [string, string] {
  const m = /`([^`]*)`/.exec(spec.usage);
  if (m) return [m[1]!, spec.usage.replace(/`([^`]*)`/, '$1')];
  const byKind: Record<FlagKind, string> = { bool: '', string: 'string', int: 'int', duration: 'duration', list: 'value' };
  return [byKind[spec.kind], spec.usage];
}

/** A declared set of flags for one command. */
export class FlagSet {
  private readonly specs: ReadonlyMap<string, FlagSpec>;

  /** `name` is the command name used in usage output; flag names must be unique. */
  constructor(
    readonly name: string,
    specs: readonly FlagSpec[],
  ) {
    const map = new Map<string, FlagSpec>();
    for (const s of specs) {
      if (map.has(s.name)) throw new Error(`flag redefined: ${s.name}`);
      map.set(s.name, s);
    }
    this.specs = map;
  }

  /** The declared flags, sorted by name as Go lists them. */
  flags(): FlagSpec[] {
    return [...this.specs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Parses `argv` (without the program and command names). Throws SextantError FLAG_INVALID with
   * Go's text: `flag provided but not defined: -x`, `flag needs an argument: -x`,
   * `invalid value "abc" for flag -x: parse error`, `invalid boolean value "y" for -x: parse error`,
   * `bad flag syntax: ---x`.
   */
  parse(argv: readonly string[]): ParsedFlags {
    const values: Record<string, FlagValue> = {};
    for (const s of this.specs.values()) values[s.name] = s.kind === 'list' ? [] : (s.default ?? zeroOf(s.kind));
    const set = new Set<string>();
    const occurrences: FlagOccurrence[] = [];
    let args = [...argv];
    let help = false;
    while (args.length > 0) {
      const s = args[0]!;
      if (s.length < 2 || s[0] !== '-') break;
      let minuses = 1;
      if (s[1] === '-') {
        minuses = 2;
        if (s.length === 2) {
          args = args.slice(1);
          break;
        }
      }
      let name = s.slice(minuses);
      if (name.length === 0 || name[0] === '-' || name[0] === '=') throw flagError(`bad flag syntax: ${s}`);
      args = args.slice(1);
      let hasValue = false;
      let value = '';
      const eq = name.indexOf('=', 1);
      if (eq > 0) {
        value = name.slice(eq + 1);
        hasValue = true;
        name = name.slice(0, eq);
      }
      const spec = this.specs.get(name);
      if (!spec) {
        if (name === 'help' || name === 'h') {
          help = true;
          break;
        }
        throw flagError(`flag provided but not defined: -${name}`, name);
      }
      let parsed: FlagValue;
      if (spec.kind === 'bool') {
        if (hasValue) {
          const b = parseGoBool(value);
          if (b === undefined) throw flagError(`invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`, name);
          parsed = b;
        } else {
          parsed = true;
        }
      } else {
        if (!hasValue && args.length > 0) {
          hasValue = true;
          value = args[0]!;
          args = args.slice(1);
        }
        if (!hasValue) throw flagError(`flag needs an argument: -${name}`, name);
        parsed = this.convert(spec, value);
      }
      if (spec.kind === 'list') values[name] = [...(values[name] as readonly string[]), parsed as string];
      else values[name] = parsed;
      set.add(name);
      occurrences.push({ name, value: parsed });
    }
    return { values, set, occurrences, args, help };
  }

  private convert(spec: FlagSpec, value: string): FlagValue {
    const bad = (why: string): SextantError =>
      flagError(`invalid value ${JSON.stringify(value)} for flag -${spec.name}: ${why}`, spec.name);
    switch (spec.kind) {
      case 'int': {
        const n = parseGoInt(value);
        if (typeof n === 'string') throw bad(n);
        return Number(n);
      }
      case 'duration':
        try {
          return parseGoDuration(value);
        } catch {
          throw bad('parse error');
        }
      default:
        return value;
    }
  }

  /**
   * Go's PrintDefaults text: one entry per flag, sorted by name, e.g.
   * `  -http-port int\n    \tHTTP API port. (default 8500)\n`. Empty string when no flags.
   */
  defaultsText(): string {
    let out = '';
    for (const spec of this.flags()) {
      let b = `  -${spec.name}`;
      const [valueName, usage] = unquoteUsage(spec);
      if (valueName.length > 0) b += ' ' + valueName;
      b += b.length <= 4 ? '\t' : '\n    \t';
      b += usage.replaceAll('\n', '\n    \t');
      const def = spec.default;
      if (def !== undefined && def !== false && def !== '' && def !== 0 && def !== 0n && spec.kind !== 'list') {
        if (spec.kind === 'string') b += ` (default ${JSON.stringify(def)})`;
        else if (spec.kind === 'duration') b += ` (default ${formatDefaultDuration(def)})`;
        else b += ` (default ${String(def)})`;
      }
      out += b + '\n';
    }
    return out;
  }

  /** Go's default usage message: `Usage of <name>:\n` followed by defaultsText(). */
  usage(): string {
    return `Usage of ${this.name}:\n${this.defaultsText()}`;
  }
}

function formatDefaultDuration(def: string | number | boolean | bigint): string {
  return typeof def === 'bigint' ? formatGoDuration(def) : String(def);
}
