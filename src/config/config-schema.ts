import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ErrorCode } from '../../contracts/errors.js';
import { packageRoot } from '../kernel/package-root.js';
import { parseGoDuration } from './go-duration.js';
import { pointerToken } from './config-problem.js';
import type { ConfigProblem } from './config-problem.js';
import { foldKeyCase } from './key-case.js';
import type { FoldedKeys } from './key-case.js';
import { normalizeLogLevel } from './log-level.js';

const Ajv = AjvModule.default ?? AjvModule;

/** The JSON Schema files in contracts/schemas that src/config compiles. */
export const SCHEMA_FILES = [
  'check-definition.schema.json',
  'service-definition.schema.json',
  'agent-config.schema.json',
  'plugin-manifest.schema.json',
] as const;

/** The schemas validateAgainstSchema knows, by file name without .schema.json. */
export type SchemaName = 'agent-config' | 'service-definition' | 'check-definition' | 'plugin-manifest';

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DC_RE = /^[a-z0-9_-]+$/;

/**
 * Checks a value against one `sextantFormat`; returns undefined when valid, else the message.
 * go-duration: Go's time.ParseDuration, and not negative (no Consul setting has a meaning for a
 * negative duration; Consul would take one and misbehave, e.g. a recursor timeout that expires at
 * once or a DNS TTL that wraps around); go-duration-positive: also not zero; log-level:
 * trace/debug/info/warn/error (any case, plus err/warning); uuid; datacenter: Consul's
 * [a-z0-9_-] after lower-casing.
 */
export function checkSextantFormat(format: string, value: string): string | undefined {
  switch (format) {
    case 'go-duration':
    case 'go-duration-positive': {
      let ns: bigint;
      try {
        ns = parseGoDuration(value);
      } catch (e) {
        return (e as Error).message;
      }
      if (ns < 0n) return `must not be negative, got ${JSON.stringify(value)}`;
      if (ns === 0n && format === 'go-duration-positive') return `must be greater than zero, got ${JSON.stringify(value)}`;
      return undefined;
    }
    case 'log-level':
      return normalizeLogLevel(value) === undefined
        ? `Invalid log level: ${value}. Valid log levels are: [TRACE DEBUG INFO WARN ERR]`
        : undefined;
    case 'uuid':
      return UUID_RE.test(value) ? undefined : `${JSON.stringify(value)} is not a valid UUID`;
    case 'datacenter':
      return DC_RE.test(value.toLowerCase()) ? undefined : `datacenter cannot be ${JSON.stringify(value)}. Please use only [a-z0-9-_].`;
    case 'ip':
      return isIP(value) ? undefined : `${JSON.stringify(value)} is not an IP address`;
    default:
      return `unknown sextantFormat ${format}`;
  }
}

interface Compiled {
  readonly validators: ReadonlyMap<SchemaName, ValidateFunction>;
  /** The schema documents compiled (plugins' check fields included), by file name, for foldKeyCase. */
  readonly docs: ReadonlyMap<string, Record<string, unknown>>;
  /** Just the extra check fields (an object of any other keys passes); undefined without extras. */
  readonly checkFields?: ValidateFunction;
}

/** Extra check-definition fields (snake_case name → JSON Schema), e.g. those plugins declare. */
export type CheckFieldSchemas = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** Options of validateAgainstSchema. */
export interface SchemaOptions {
  /** Check-definition fields to accept besides the core ones, each validated with its schema. */
  readonly checkFields?: CheckFieldSchemas;
}

const CHECK_DEFINITION_FILE = 'check-definition.schema.json';
/** Compiled variants with extra check fields, by their stable JSON (a few at most in practice). */
const VARIANT_CACHE_LIMIT = 16;

let compiled: Compiled | undefined;
const variants = new Map<string, Compiled>();
let schemaTexts: ReadonlyMap<string, string> | undefined;

function readSchemas(): ReadonlyMap<string, string> {
  if (schemaTexts) return schemaTexts;
  const dir = join(packageRoot(), 'contracts', 'schemas');
  schemaTexts = new Map(SCHEMA_FILES.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  return schemaTexts;
}

/** The field names of the core check-definition schema (contracts/schemas/check-definition.schema.json). */
export function coreCheckFieldNames(): ReadonlySet<string> {
  const schema = JSON.parse(readSchemas().get(CHECK_DEFINITION_FILE)!) as { properties: Record<string, unknown> };
  return new Set(Object.keys(schema.properties));
}

function newAjv(strict: boolean): InstanceType<typeof Ajv> {
  const ajv = new Ajv({ allErrors: true, strict, verbose: true, allowUnionTypes: true });
  const sextantFormat = function validate(this: unknown, schema: string, data: unknown): boolean {
    if (typeof data !== 'string') return true; // `type` reports it
    const msg = checkSextantFormat(schema, data);
    if (msg === undefined) return true;
    (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'sextantFormat', message: msg, params: { format: schema } }];
    return false;
  };
  ajv.addKeyword({ keyword: 'sextantFormat', schemaType: 'string', errors: true, validate: sextantFormat });
  // Annotation read by foldKeyCase (Consul's `alias` tags), nothing to validate.
  ajv.addKeyword({ keyword: 'sextantAliases', schemaType: 'object' });
  return ajv;
}

/**
 * Compiles the schemas; with `checkFields`, the check-definition schema (which the agent-config
 * and service-definition schemas `$ref` for every `check` / `checks` entry) gets those properties
 * too. A variant is compiled without ajv's strict mode: plugin fragments may carry keywords of
 * their own (annotations), and strictness only concerns writing schemas, not validating data.
 */
function compile(checkFields?: CheckFieldSchemas): Compiled {
  const extra = checkFields && Object.keys(checkFields).length > 0 ? checkFields : undefined;
  if (!extra && compiled) return compiled;
  const key = extra ? JSON.stringify(Object.keys(extra).sort().map((k) => [k, extra[k]])) : '';
  const cached = extra ? variants.get(key) : undefined;
  if (cached) return cached;
  const ajv = newAjv(!extra);
  const validators = new Map<SchemaName, ValidateFunction>();
  const docs = new Map<string, Record<string, unknown>>();
  for (const [f, text] of readSchemas()) {
    const schema = JSON.parse(text) as { properties?: Record<string, unknown> };
    if (extra && f === CHECK_DEFINITION_FILE) {
      for (const [name, fieldSchema] of Object.entries(extra)) {
        if (!Object.hasOwn(schema.properties ?? {}, name)) schema.properties = { ...schema.properties, [name]: structuredClone(fieldSchema) };
      }
    }
    docs.set(f, structuredClone(schema));
    ajv.addSchema(schema, f);
  }
  for (const f of SCHEMA_FILES) validators.set(f.replace('.schema.json', '') as SchemaName, ajv.getSchema(f)!);
  const out: Compiled = extra
    ? { validators, docs, checkFields: newAjv(false).compile({ type: 'object', properties: structuredClone(extra) }) }
    : { validators, docs };
  if (!extra) compiled = out;
  else {
    if (variants.size >= VARIANT_CACHE_LIMIT) variants.delete(variants.keys().next().value!);
    variants.set(key, out);
  }
  return out;
}

/** Levenshtein distance, for "did you mean" hints on unknown keys. */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** A key reduced for the "did you mean" hint: lower case, without `_` and `-`. */
function squash(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The known key an unknown one most likely means: the one equal to it ignoring case, `_` and `-`
 * (an API-style `EnableTagOverride` for `enable_tag_override`), else the closest by edit
 * distance ignoring case when that distance is small.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const same = known.find((k) => squash(k) === squash(key));
  if (same !== undefined) return same;
  const lower = key.toLowerCase();
  const best = known.map((k) => [k, distance(k.toLowerCase(), lower)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(1, Math.floor(key.length / 3)) ? best[0] : undefined;
}

function toProblem(e: ErrorObject, source: string): ConfigProblem | undefined {
  const base = e.instancePath;
  const code = e.keyword === 'sextantFormat' && (e.params as { format?: string }).format === 'go-duration' ? ErrorCode.DurationInvalid : ErrorCode.ConfigInvalid;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
      const best = closestKey(key, known);
      const hint = best !== undefined ? ` (did you mean "${best}"?)` : '';
      return { code, source, pointer: `${base}/${pointerToken(key)}`, message: `unknown key${hint}` };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { code, source, pointer: `${base}/${pointerToken(key)}`, message: 'is required' };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      return { code, source, pointer: base, message: `must be one of ${allowed}` };
    }
    case 'propertyNames': {
      const key = (e.params as { propertyName: string }).propertyName;
      return { code, source, pointer: `${base}/${pointerToken(key)}`, message: 'invalid key name (allowed: 1-128 of A-Z a-z 0-9 _ -)' };
    }
    default:
      if ((e as { propertyName?: string }).propertyName !== undefined) return undefined; // reported by propertyNames
      return { code, source, pointer: base, message: e.message ?? 'is invalid' };
  }
}

/**
 * Validates `value` against one of the schemas in contracts/schemas and returns every problem
 * (empty when valid), each naming `source` and the JSON pointer, e.g.
 * `{ source: 'config/web.json', pointer: '/ports/http', message: 'must be integer' }`.
 * `opts.checkFields` adds check-definition fields (plugins' check kinds) wherever a check
 * definition may appear; anything else unknown there is still `unknown key`. A field schema
 * that does not compile throws (ajv's error).
 */
export function validateAgainstSchema(name: SchemaName, value: unknown, source: string, opts: SchemaOptions = {}): ConfigProblem[] {
  return problemsOf(compile(opts.checkFields).validators.get(name)!, value, source);
}

/**
 * Consul's case-insensitive key matching for one parsed config file (see key-case.ts), guided by
 * the schema `name` (with `opts.checkFields` as check-definition properties): keys equal to a
 * known key ignoring case, and the check definitions' CamelCase aliases, renamed to the known
 * key. Validate the returned value; respell problem pointers with the returned spelling.
 */
export function foldConfigKeys(name: SchemaName, value: unknown, source: string, opts: SchemaOptions = {}): FoldedKeys {
  return foldKeyCase(value, `${name}.schema.json`, compile(opts.checkFields).docs, source);
}

function problemsOf(validate: ValidateFunction, value: unknown, source: string): ConfigProblem[] {
  if (validate(value)) return [];
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const e of validate.errors ?? []) {
    const p = toProblem(e, source);
    if (!p) continue;
    const k = `${p.pointer}\u0000${p.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

/**
 * Validates the extra check fields present in one check definition (canonical snake_case keys,
 * e.g. an HTTP API registration after key folding) against their schemas; other keys are not
 * looked at. Problems point at `/<field>`. Empty when `checkFields` is empty.
 */
export function validateCheckFieldValues(checkFields: CheckFieldSchemas, def: Readonly<Record<string, unknown>>, source: string): ConfigProblem[] {
  const validate = compile(checkFields).checkFields;
  return validate ? problemsOf(validate, def, source) : [];
}
