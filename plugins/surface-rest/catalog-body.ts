import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { jsonDepthProblem } from 'sextant/plugin-sdk';

/**
 * Decodes catalog request bodies the way Go's encoding/json fills Consul's structs: a struct
 * field matches a JSON key regardless of case, but map keys (NodeMeta, Meta, TaggedAddresses,
 * Definition.Header) are kept exactly as sent. The shape below says which is which; unknown
 * keys are kept unchanged (and ignored later).
 */

type Shape = 'raw' | { readonly fields: Readonly<Record<string, Shape>> } | { readonly list: Shape } | { readonly mapOf: Shape };

const SERVICE_ADDRESS: Shape = { fields: { Address: 'raw', Port: 'raw' } };

const SERVICE: Shape = {
  fields: {
    ID: 'raw',
    Service: 'raw',
    Tags: 'raw',
    Address: 'raw',
    TaggedAddresses: { mapOf: SERVICE_ADDRESS },
    Meta: 'raw',
    Port: 'raw',
    SocketPath: 'raw',
    Weights: { fields: { Passing: 'raw', Warning: 'raw' } },
    EnableTagOverride: 'raw',
    Kind: 'raw',
    Proxy: 'raw',
    Connect: 'raw',
    Namespace: 'raw',
    Partition: 'raw',
  },
};

const DEFINITION: Shape = {
  fields: Object.fromEntries(
    [
      'HTTP', 'TLSServerName', 'TLSSkipVerify', 'Method', 'Body', 'DisableRedirects', 'TCP', 'TCPUseTLS', 'UDP', 'H2PING',
      'H2PingUseTLS', 'GRPC', 'GRPCUseTLS', 'OSService', 'Interval', 'IntervalDuration', 'Timeout', 'TimeoutDuration',
      'DeregisterCriticalServiceAfter', 'DeregisterCriticalServiceAfterDuration', 'ScriptArgs', 'OutputMaxSize',
    ].map((k) => [k, 'raw' as Shape]).concat([['Header', 'raw']]),
  ),
};

const CHECK: Shape = {
  fields: {
    Node: 'raw',
    CheckID: 'raw',
    Name: 'raw',
    Status: 'raw',
    Notes: 'raw',
    Output: 'raw',
    ServiceID: 'raw',
    ServiceName: 'raw',
    ServiceTags: 'raw',
    Type: 'raw',
    Definition: DEFINITION,
    Interval: 'raw',
    Timeout: 'raw',
    ExposedPort: 'raw',
    Namespace: 'raw',
    Partition: 'raw',
  },
};

/** PUT /v1/catalog/register (structs.RegisterRequest). */
export const REGISTER_SHAPE: Shape = {
  fields: {
    ID: 'raw',
    Node: 'raw',
    Address: 'raw',
    Datacenter: 'raw',
    TaggedAddresses: 'raw',
    NodeMeta: 'raw',
    Service: SERVICE,
    Check: CHECK,
    Checks: { list: CHECK },
    SkipNodeUpdate: 'raw',
    Namespace: 'raw',
    Partition: 'raw',
    Token: 'raw',
  },
};

/** PUT /v1/catalog/deregister (structs.DeregisterRequest). */
export const DEREGISTER_SHAPE: Shape = {
  fields: { Node: 'raw', Datacenter: 'raw', ServiceID: 'raw', CheckID: 'raw', Namespace: 'raw', Partition: 'raw', Token: 'raw' },
};

/**
 * Parses `body` as JSON and canonicalizes struct field names per `shape`. An empty body decodes
 * to undefined (the caller rejects it). Malformed JSON → 400 `Request decode failed: <reason>`.
 */
export function decodeCatalogBody(body: Uint8Array, shape: Shape): unknown {
  const text = Buffer.from(body).toString('utf8');
  if (text.trim() === '') return undefined;
  const tooDeep = jsonDepthProblem(text);
  if (tooDeep) throw new SextantError(ErrorCode.BadRequest, `Request decode failed: ${tooDeep}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SextantError(ErrorCode.BadRequest, `Request decode failed: ${(e as Error).message}`);
  }
  return canonicalize(parsed, shape);
}

function canonicalize(v: unknown, shape: Shape): unknown {
  if (shape === 'raw' || v === null || typeof v !== 'object') return v;
  if ('list' in shape) return Array.isArray(v) ? v.map((x) => canonicalize(x, shape.list)) : v;
  if (Array.isArray(v)) return v;
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('mapOf' in shape) {
    for (const [k, x] of Object.entries(src)) out[k] = canonicalize(x, shape.mapOf);
    return out;
  }
  const byLower = new Map(Object.keys(shape.fields).map((f) => [f.toLowerCase(), f]));
  for (const [k, x] of Object.entries(src)) {
    const canon = byLower.get(k.toLowerCase());
    if (canon === undefined) out[k] = x;
    else out[canon] = canonicalize(x, shape.fields[canon]!);
  }
  return out;
}
