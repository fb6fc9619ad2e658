import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { KeyringOperation } from '../../contracts/model/keyring.js';
import type { KeyringOptions } from '../../contracts/services/agent-service.js';
import { decodeJsonBody } from './json-body.js';
import { keyringErrorText, keyringListResponse } from './keyring-response.js';
import { readBody } from './read-body.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendEmpty, sendJson, sendText } from './respond.js';

/**
 * /v1/operator/keyring — Consul's OperatorKeyringEndpoint: GET lists the gossip keys of the pool,
 * POST installs, PUT makes primary (use), DELETE removes; the key in the body `{"Key": "<base64>"}`.
 * `?relay-factor=` (0..5) and `?local-only=` (GET only) are checked with Consul's texts (400).
 * An operation some members failed answers 500 with Consul's multierror text
 * (`1 error occurred:\n\t* dc1 (LAN) error: 1/3 nodes reported failure\n…`).
 */

/** A keyring request body is a key and nothing big. */
const MAX_KEYRING_BODY = 64 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;

/** Go's strconv.Atoi errors for a relay factor that is not a number. */
function parseAtoi(s: string): number | string {
  if (!/^[+-]?\d+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The relay-factor and local-only query parameters, checked in Consul's order with its texts. */
function keyringOptions(scope: RequestScope, method: string): KeyringOptions {
  const bad = (msg: string): SextantError => new SextantError(ErrorCode.BadRequest, msg);
  let relayFactor = 0;
  const rf = scope.query.get('relay-factor') ?? '';
  if (rf !== '') {
    const n = parseAtoi(rf);
    if (typeof n === 'string') throw bad(`Error parsing relay factor: ${n}`);
    if (n < 0 || n > 5) throw bad('Invalid relay-factor: Relay factor must be in range: [0, 5]');
    relayFactor = n;
  }
  let localOnly = false;
  const lo = scope.query.get('local-only') ?? '';
  if (lo !== '') {
    if (!GO_TRUE.has(lo) && !GO_FALSE.has(lo)) throw bad(`Error parsing local-only: strconv.ParseBool: parsing ${JSON.stringify(lo)}: invalid syntax`);
    localOnly = GO_TRUE.has(lo);
    if (localOnly && method !== 'GET') throw bad('Invalid use of local-only: local-only can only be set for list requests');
  }
  return { relayFactor, localOnly };
}

/** The `Key` of a POST/PUT/DELETE body, decoded as Consul's decodeBody does (400 `Request decode failed: …`). */
async function keyOf(scope: RequestScope): Promise<string> {
  const body = await readBody(scope.ctx.req, MAX_KEYRING_BODY, tooLarge);
  const parsed = decodeJsonBody(body, ['Key', 'Token', 'RelayFactor', 'LocalOnly']);
  if (parsed === undefined) throw new SextantError(ErrorCode.BadRequest, 'Request decode failed: EOF');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SextantError(ErrorCode.BadRequest, `Request decode failed: json: cannot unmarshal ${goJsonType(parsed)} into Go value of type agent.keyringArgs`);
  }
  const key = (parsed as Record<string, unknown>)['Key'];
  if (key === undefined || key === null) return '';
  if (typeof key !== 'string') throw new SextantError(ErrorCode.BadRequest, `Request decode failed: json: cannot unmarshal ${goJsonType(key)} into Go struct field keyringArgs.Key of type string`);
  return key;
}

/** encoding/json's name for a JSON value's type in an unmarshal error. */
function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

async function keyringWrite(scope: RequestScope, method: string, operation: KeyringOperation): Promise<void> {
  const key = await keyOf(scope);
  const opts = keyringOptions(scope, method);
  const result = await scope.deps.agent.keyring(operation, key, opts);
  const error = keyringErrorText(scope.deps.config.datacenter, result);
  if (error !== undefined) sendText(scope.ctx, 500, error);
  else sendEmpty(scope.ctx, 200);
}

/** GET /v1/operator/keyring — the keys installed in the pool, `[{WAN, Datacenter, Segment, Messages, Keys, PrimaryKeys, NumNodes, Error}]`. */
export const getKeyring: Handler = async (scope) => {
  const opts = keyringOptions(scope, 'GET');
  const result = await scope.deps.agent.keyring('list', undefined, opts);
  const error = keyringErrorText(scope.deps.config.datacenter, result);
  if (error !== undefined) sendText(scope.ctx, 500, error);
  else sendJson(scope, keyringListResponse(scope.deps.config.datacenter, result));
};

/** POST /v1/operator/keyring — installs `Key` on every member. */
export const postKeyring: Handler = (scope) => keyringWrite(scope, 'POST', 'install');

/** PUT /v1/operator/keyring — makes `Key` (already installed) the primary key. */
export const putKeyring: Handler = (scope) => keyringWrite(scope, 'PUT', 'use');

/** DELETE /v1/operator/keyring — removes `Key` (not the primary) from every member. */
export const deleteKeyring: Handler = (scope) => keyringWrite(scope, 'DELETE', 'remove');
