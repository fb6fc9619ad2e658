import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { TxnCheckOp, TxnKvOp, TxnNodeOp, TxnOp, TxnServiceOp } from '../../contracts/services/txn-service.js';
import { jsonDepthProblem, parseJsonLossless } from 'sextant/plugin-sdk';
import { decodeGoBase64 } from './go-base64.js';

/**
 * Decodes a PUT /v1/txn body the way Consul's Go server does (encoding/json into api.TxnOps):
 * struct field names match case-insensitively, unknown fields are ignored, `null` leaves a
 * field at its zero value, a wrong JSON type is Go's `json: cannot unmarshal …` error, uint64
 * fields (Flags, indexes) are exact, and a KV Value is strict standard base64. Every failure is
 * 400 `Failed to parse body: <Go's text>`. An element with none of KV, Node, Service, Check is
 * dropped (Consul's convertOps ignores it), but still counts toward the operation limit.
 */

type Spec =
  | { t: 'string'; go: string }
  | { t: 'uint64' }
  | { t: 'int' }
  | { t: 'bool' }
  | { t: 'bytes' }
  | { t: 'stringList' }
  | { t: 'stringMap' }
  | { t: 'raw' }
  | { t: 'struct'; s: StructSpec }
  | { t: 'structMap'; s: StructSpec };

interface StructSpec {
  /** Go's type name in error texts (e.g. `KVTxnOp`). */
  readonly name: string;
  readonly go: string;
  readonly fields: Readonly<Record<string, Spec>>;
}

const STR: Spec = { t: 'string', go: 'string' };
const U64: Spec = { t: 'uint64' };
const INT: Spec = { t: 'int' };

const KV: StructSpec = {
  name: 'KVTxnOp',
  go: 'api.KVTxnOp',
  fields: { Verb: { t: 'string', go: 'api.KVOp' }, Key: STR, Value: { t: 'bytes' }, Flags: U64, Index: U64, Session: STR, Namespace: STR, Partition: STR },
};
const NODE: StructSpec = {
  name: 'Node',
  go: 'api.Node',
  fields: { ID: STR, Node: STR, Address: STR, Datacenter: STR, TaggedAddresses: { t: 'stringMap' }, Meta: { t: 'stringMap' }, CreateIndex: U64, ModifyIndex: U64, Partition: STR, PeerName: STR },
};
const SERVICE_ADDRESS: StructSpec = { name: 'ServiceAddress', go: 'api.ServiceAddress', fields: { Address: STR, Port: INT } };
const SERVICE: StructSpec = {
  name: 'AgentService',
  go: 'api.AgentService',
  fields: {
    Kind: { t: 'string', go: 'api.ServiceKind' },
    ID: STR,
    Service: STR,
    Tags: { t: 'stringList' },
    Meta: { t: 'stringMap' },
    Port: INT,
    Address: STR,
    SocketPath: STR,
    TaggedAddresses: { t: 'structMap', s: SERVICE_ADDRESS },
    Weights: { t: 'struct', s: { name: 'AgentWeights', go: 'api.AgentWeights', fields: { Passing: INT, Warning: INT } } },
    EnableTagOverride: { t: 'bool' },
    CreateIndex: U64,
    ModifyIndex: U64,
    ContentHash: STR,
    Namespace: STR,
    Partition: STR,
    Datacenter: STR,
  },
};
const CHECK: StructSpec = {
  name: 'HealthCheck',
  go: 'api.HealthCheck',
  fields: {
    Node: STR,
    CheckID: STR,
    Name: STR,
    Status: STR,
    Notes: STR,
    Output: STR,
    ServiceID: STR,
    ServiceName: STR,
    ServiceTags: { t: 'stringList' },
    Type: STR,
    Namespace: STR,
    Partition: STR,
    Definition: { t: 'raw' },
    CreateIndex: U64,
    ModifyIndex: U64,
  },
};
const TXN_OP: StructSpec = {
  name: 'TxnOp',
  go: 'api.TxnOp',
  fields: {
    KV: { t: 'struct', s: KV },
    Node: { t: 'struct', s: { name: 'NodeTxnOp', go: 'api.NodeTxnOp', fields: { Verb: { t: 'string', go: 'api.NodeOp' }, Node: { t: 'struct', s: NODE } } } },
    Service: {
      t: 'struct',
      s: { name: 'ServiceTxnOp', go: 'api.ServiceTxnOp', fields: { Verb: { t: 'string', go: 'api.ServiceOp' }, Node: STR, Service: { t: 'struct', s: SERVICE } } },
    },
    Check: { t: 'struct', s: { name: 'CheckTxnOp', go: 'api.CheckTxnOp', fields: { Verb: { t: 'string', go: 'api.CheckOp' }, Check: { t: 'struct', s: CHECK } } } },
  },
};

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_INT64 = (1n << 63n) - 1n;

type Obj = Record<string, unknown>;

/**
 * The body's elements as Consul would read them (`null` and member-less elements included),
 * then converted: `count` is len(ops) for the operation limit, `ops` the operations kept.
 */
export function decodeTxnBody(body: Uint8Array): { count: number; ops: TxnOp[] } {
  const text = Buffer.from(body).toString('utf8');
  if (text.trim() === '') throw parseError('EOF');
  const tooDeep = jsonDepthProblem(text);
  if (tooDeep) throw parseError(tooDeep);
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(text);
  } catch (e) {
    throw parseError((e as Error).message);
  }
  if (parsed === null) return { count: 0, ops: [] };
  if (!Array.isArray(parsed)) throw parseError(`json: cannot unmarshal ${jsonKind(parsed)} into Go value of type api.TxnOps`);
  const ops: TxnOp[] = [];
  for (const el of parsed as unknown[]) {
    if (el === null) continue;
    if (!isObj(el)) throw parseError(`json: cannot unmarshal ${jsonKind(el)} into Go value of type api.TxnOp`);
    const op = decodeStruct(el, TXN_OP, []);
    // Consul's convertOps: the first member set wins; an element with none is dropped.
    if (isObj(op['KV'])) ops.push({ KV: kvOp(op['KV']) });
    else if (isObj(op['Node'])) ops.push({ Node: nodeOp(op['Node']) });
    else if (isObj(op['Service'])) ops.push({ Service: serviceOp(op['Service']) });
    else if (isObj(op['Check'])) ops.push({ Check: checkOp(op['Check']) });
  }
  return { count: (parsed as unknown[]).length, ops };
}

function kvOp(o: Obj): TxnKvOp {
  return {
    Verb: str(o['Verb']),
    Key: str(o['Key']),
    Value: o['Value'] instanceof Uint8Array ? o['Value'] : new Uint8Array(0),
    Flags: typeof o['Flags'] === 'bigint' ? o['Flags'].toString() : '0',
    Index: index(o['Index']),
    Session: str(o['Session']),
  };
}

function nodeOp(o: Obj): TxnNodeOp {
  const n = isObj(o['Node']) ? o['Node'] : {};
  return {
    Verb: str(o['Verb']),
    Node: {
      ID: str(n['ID']),
      Node: str(n['Node']),
      Address: str(n['Address']),
      Datacenter: str(n['Datacenter']),
      TaggedAddresses: (n['TaggedAddresses'] as Record<string, string> | undefined) ?? {},
      Meta: (n['Meta'] as Record<string, string> | undefined) ?? {},
      ModifyIndex: index(n['ModifyIndex']),
    },
  };
}

function serviceOp(o: Obj): TxnServiceOp {
  const s = isObj(o['Service']) ? o['Service'] : {};
  const w = isObj(s['Weights']) ? s['Weights'] : {};
  const out: TxnServiceOp = {
    Verb: str(o['Verb']),
    Node: str(o['Node']),
    Service: {
      ID: str(s['ID']),
      Service: str(s['Service']),
      Tags: (s['Tags'] as string[] | undefined) ?? [],
      Address: str(s['Address']),
      Meta: (s['Meta'] as Record<string, string> | undefined) ?? {},
      Port: num(s['Port']),
      Weights: { Passing: num(w['Passing']), Warning: num(w['Warning']) },
      EnableTagOverride: s['EnableTagOverride'] === true,
      Kind: str(s['Kind']),
      ModifyIndex: index(s['ModifyIndex']),
    },
  };
  if (isObj(s['TaggedAddresses'])) {
    const ta: Record<string, { Address: string; Port: number }> = {};
    for (const [k, v] of Object.entries(s['TaggedAddresses'])) {
      const a = isObj(v) ? v : {};
      ta[k] = { Address: str(a['Address']), Port: num(a['Port']) };
    }
    out.Service.TaggedAddresses = ta;
  }
  return out;
}

function checkOp(o: Obj): TxnCheckOp {
  const c = isObj(o['Check']) ? o['Check'] : {};
  const out: TxnCheckOp = {
    Verb: str(o['Verb']),
    Check: {
      Node: str(c['Node']),
      CheckID: str(c['CheckID']),
      Name: str(c['Name']),
      Status: str(c['Status']),
      Notes: str(c['Notes']),
      Output: str(c['Output']),
      ServiceID: str(c['ServiceID']),
      Type: str(c['Type']),
      ModifyIndex: index(c['ModifyIndex']),
    },
  };
  if (c['Definition'] !== undefined) out.Check.Definition = c['Definition'] as Record<string, unknown>;
  return out;
}

/**
 * One Go struct: fields matched case-insensitively (last one wins), `null` = zero (absent),
 * values type-checked per `spec`. Unknown keys are dropped. `path` is the field path from the
 * top (Go's error text names it after the innermost struct type).
 */
function decodeStruct(src: Obj, spec: StructSpec, path: string[]): Obj {
  const byLower = new Map(Object.keys(spec.fields).map((f) => [f.toLowerCase(), f]));
  const out: Obj = {};
  for (const [k, v] of Object.entries(src)) {
    const canon = spec.fields[k] !== undefined ? k : byLower.get(k.toLowerCase());
    if (canon === undefined || v === null) continue;
    out[canon] = decodeValue(v, spec.fields[canon]!, [...path, canon], spec.name);
  }
  return out;
}

function decodeValue(v: unknown, spec: Spec, path: string[], struct: string): unknown {
  const mismatch = (goType: string, what = jsonKind(v)): SextantError =>
    parseError(`json: cannot unmarshal ${what} into Go struct field ${struct}.${path.join('.')} of type ${goType}`);
  switch (spec.t) {
    case 'string':
      if (typeof v !== 'string') throw mismatch(spec.go);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw mismatch('bool');
      return v;
    case 'uint64': {
      const n = integer(v);
      if (n === undefined || n < 0n || n > MAX_UINT64) throw mismatch('uint64', numberKind(v));
      return n;
    }
    case 'int': {
      const n = integer(v);
      if (n === undefined || n > MAX_INT64 || n < -MAX_INT64 - 1n) throw mismatch('int', numberKind(v));
      return Number(n);
    }
    case 'bytes': {
      if (typeof v !== 'string') throw mismatch('[]uint8');
      const decoded = decodeGoBase64(v);
      if (typeof decoded === 'string') throw parseError(decoded);
      return decoded;
    }
    case 'stringList':
      if (!Array.isArray(v)) throw mismatch('[]string');
      return v.map((x) => {
        if (x === null) return '';
        if (typeof x !== 'string') throw parseError(`json: cannot unmarshal ${jsonKind(x)} into Go struct field ${struct}.${path.join('.')} of type string`);
        return x;
      });
    case 'stringMap': {
      if (!isObj(v)) throw mismatch('map[string]string');
      const m: Record<string, string> = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === null) m[k] = '';
        else if (typeof x !== 'string') throw parseError(`json: cannot unmarshal ${jsonKind(x)} into Go struct field ${struct}.${path.join('.')} of type string`);
        else m[k] = x;
      }
      return m;
    }
    case 'raw':
      if (!isObj(v)) throw mismatch('api.HealthCheckDefinition');
      return plainNumbers(v);
    case 'struct':
      if (!isObj(v)) throw mismatch(spec.s.go);
      return decodeStruct(v, spec.s, path);
    case 'structMap': {
      if (!isObj(v)) throw mismatch(`map[string]${spec.s.go}`);
      const m: Obj = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === null) continue;
        if (!isObj(x)) throw mismatch(spec.s.go, jsonKind(x));
        m[k] = decodeStruct(x, spec.s, path);
      }
      return m;
    }
  }
}

/**
 * `v` with the lossless parser's bigints turned back into plain numbers, as JSON.parse (and
 * /v1/catalog/register) reads them: a free-form object such as a check Definition has no uint64
 * fields to keep exact, and the replicated command carries only JSON values.
 */
function plainNumbers(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plainNumbers);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainNumbers(x)]));
  return v;
}

/** An exact integer from a parsed JSON number (bigint beyond 2^53), or undefined when not an integer. */
function integer(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

function numberKind(v: unknown): string {
  return typeof v === 'number' || typeof v === 'bigint' ? `number ${String(v)}` : jsonKind(v);
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return 'object';
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** A uint64 index as a JS number; values past 2^53 (never a real index) are clamped so they simply never match. */
function index(v: unknown): number {
  if (typeof v !== 'bigint') return 0;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function parseError(what: string): SextantError {
  return new SextantError(ErrorCode.BadRequest, `Failed to parse body: ${what}`);
}
