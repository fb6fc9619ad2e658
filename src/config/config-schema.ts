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
 * go-duration: Go's time.ParseDuration; log-level: trace/debug/info/warn/error (any case, plus
 * err/warning); uuid; datacenter: Consul's [a-z0-9_-] after lower-casing.
 */
export function checkSextantFormat(format: string, value: string): string | undefined {
  switch (format) {
    case 'go-duration':
      try {
        parseGoDuration(value);
        return undefined;
      } catch (e) {
        return (e as Error).message;
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
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true });
  const sextantFormat = function validate(this: unknown, schema: string, data: unknown): boolean {
    if (typeof data !== 'string') return true; // `type` reports it
    const msg = checkSextantFormat(schema, data);
    if (msg === undefined) return true;
    (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'sextantFormat', message: msg, params: { format: schema } }];
    return false;
  };
  ajv.addKeyword({ keyword: 'sextantFormat', schemaType: 'string', errors: true, validate: sextantFormat });
  const dir = join(packageRoot(), 'contracts', 'schemas');
  const validators = new Map<SchemaName, ValidateFunction>();
  for (const f of SCHEMA_FILES) ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')) as object, f);
  for (const f of SCHEMA_FILES) validators.set(f.replace('.schema.json', '') as SchemaName, ajv.getSchema(f)!);
  compiled = { validators };
  return compiled;
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

function toProblem(e: ErrorObject, source: string): ConfigProblem | undefined {
  const base = e.instancePath;
  const code = e.keyword === 'sextantFormat' && (e.params as { format?: string }).format === 'go-duration' ? ErrorCode.DurationInvalid : ErrorCode.ConfigInvalid;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
      const best = known.map((k) => [k, distance(k, key)] as const).sort((a, b) => a[1] - b[1])[0];
      const hint = best && best[1] <= Math.max(1, Math.floor(key.length / 3)) ? ` (did you mean "${best[0]}"?)` : '';
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
 */
export function validateAgainstSchema(name: SchemaName, value: unknown, source: string): ConfigProblem[] {
  const validate = compile().validators.get(name)!;
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
