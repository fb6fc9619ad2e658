import { isIP } from 'node:net';
import { SextantError, isSextantError } from '../../contracts/errors.js';
import { MAX_JSON_DEPTH } from '../../contracts/limits.js';
import { jsonDepth } from '../plugin-sdk/json-depth.js';
import { canonicalizeKeys, fieldIndex, isPlainObject } from './definition-keys.js';
import { badDefinition, optBool, optInt, optString, optStringList, optStringMap } from './definition-values.js';
import { normalizeCheck } from './check-definition.js';
import type { CheckContext, CheckSpec } from './check-definition.js';

/** A tagged address of a service (`lan`, `wan`, `lan_ipv4`, …). */
export interface TaggedServiceAddress {
  readonly address: string;
  readonly port: number;
}

/** A service definition in canonical snake_case, defaults applied (its checks are separate CheckSpecs). */
export interface ServiceDefinition {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly address: string;
  readonly tagged_addresses?: Readonly<Record<string, TaggedServiceAddress>>;
  readonly meta: Readonly<Record<string, string>>;
  readonly port: number;
  readonly socket_path?: string;
  readonly enable_tag_override: boolean;
  readonly weights: Readonly<{ passing: number; warning: number }>;
  readonly kind: string;
  readonly proxy?: Readonly<Record<string, unknown>>;
  readonly connect?: Readonly<Record<string, unknown>>;
  readonly token?: string;
}

/** A normalized service and its embedded checks (auto ids and names applied). */
export interface NormalizedService {
  readonly service: ServiceDefinition;
  readonly checks: readonly CheckSpec[];
}

const SERVICE_FIELDS = [
  'id', 'name', 'tags', 'address', 'tagged_addresses', 'meta', 'port', 'socket_path',
  'enable_tag_override', 'check', 'checks', 'weights', 'kind', 'proxy', 'connect', 'token',
  'namespace', 'partition', 'locality',
] as const;
const SERVICE_INDEX = fieldIndex(SERVICE_FIELDS);
const WEIGHTS_INDEX = fieldIndex(['passing', 'warning']);
const ADDRESS_INDEX = fieldIndex(['address', 'port']);

const KINDS: ReadonlySet<string> = new Set(['', 'connect-proxy', 'mesh-gateway', 'terminating-gateway', 'ingress-gateway', 'api-gateway']);
const META_KEY = /^[A-Za-z0-9_-]+$/;

/** Consul's ValidateServiceMetadata, with its texts. */
function validateMeta(meta: Record<string, string>): void {
  const keys = Object.keys(meta);
  const bad = (m: string): Error => badDefinition(`Invalid Service Meta: ${m}`);
  if (keys.length > 64) throw bad('Node metadata cannot contain more than 64 key/value pairs');
  for (const k of keys) {
    if (k === '') throw bad('Key cannot be blank');
    if (k.length > 128) throw bad(`Key is too long (limit: 128 characters): ${JSON.stringify(k)}`);
    if (!META_KEY.test(k)) throw bad(`Key contains invalid characters: ${JSON.stringify(k)}`);
    if (k.startsWith('consul-')) throw bad(`Key prefix 'consul-' is reserved for internal use: ${JSON.stringify(k)}`);
    if ((meta[k] ?? '').length > 512) throw bad(`Value is too long (limit: 512 characters): ${JSON.stringify(k)}`);
  }
}

function objectField(o: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw badDefinition(`Invalid service: ${field} must be an object`);
  return v;
}

/**
 * A free-form object the catalog keeps as sent (proxy, connect): refused when it nests deeper
 * than MAX_JSON_DEPTH, the limit the catalog's register endpoint applies to the same value, so
 * that an accepted definition never fails every later sync (msgpack refuses depth 100).
 */
function freeFormField(o: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const v = objectField(o, field);
  if (v && jsonDepth(v, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw badDefinition(`Invalid service: ${field}: nesting deeper than ${MAX_JSON_DEPTH} levels`);
  return v;
}

/** Addresses the catalog refuses for a service (Consul's Catalog.Register: ipaddr.IsAny). */
const ANY_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]']);

function taggedAddresses(o: Record<string, unknown>): Record<string, TaggedServiceAddress> | undefined {
  const v = objectField(o, 'tagged_addresses');
  if (!v) return undefined;
  const out: Record<string, TaggedServiceAddress> = {};
  for (const [tag, x] of Object.entries(v)) {
    if (!isPlainObject(x)) throw badDefinition(`Invalid service: tagged_addresses[${JSON.stringify(tag)}] must be an object with address and port`);
    const a = canonicalizeKeys(x, ADDRESS_INDEX);
    const p = `Invalid service: tagged_addresses[${JSON.stringify(tag)}].`;
    out[tag] = { address: optString(a, 'address', p) ?? '', port: optInt(a, 'port', p, 65535) ?? 0 };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The IP version of `address` as Go's net.ParseIP sees it (an IPv4-mapped IPv6 address is 4), or 0. */
function ipVersion(address: string): 0 | 4 | 6 {
  const v = isIP(address);
  if (v === 6 && /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(address)) return 4;
  return v === 4 || v === 6 ? v : 0;
}

/**
 * Consul's agent checks of the ip-specific tagged addresses it is given, then adds the defaults
 * (addServiceInternal): a service whose address is an IPv4 (IPv6) address gets `lan_ipv4` and
 * `wan_ipv4` (`lan_ipv6`, `wan_ipv6`) tagged addresses with its address and port, unless set.
 */
function withDefaultTaggedAddresses(
  given: Record<string, TaggedServiceAddress> | undefined,
  address: string,
  port: number,
): Record<string, TaggedServiceAddress> | undefined {
  for (const [tag, want] of [['lan_ipv4', 4], ['wan_ipv4', 4], ['lan_ipv6', 6], ['wan_ipv6', 6]] as const) {
    const a = given?.[tag];
    if (a && ipVersion(a.address) !== want) throw badDefinition(`Service tagged address ${JSON.stringify(tag)} must be a valid ipv${want} address`);
  }
  const v = ipVersion(address);
  if (v === 0) return given;
  const out = { ...given };
  for (const tag of v === 4 ? ['lan_ipv4', 'wan_ipv4'] : ['lan_ipv6', 'wan_ipv6']) out[tag] ??= { address, port };
  return out;
}

function isEmptyCheck(v: unknown): boolean {
  return isPlainObject(v) && Object.values(v).every((x) => x === null || x === '' || x === 0 || x === false || (Array.isArray(x) && x.length === 0));
}

/**
 * Normalizes a service definition from the HTTP API (CamelCase, snake_case or lowercase keys)
 * or a config file (snake_case): id defaults to the name, Weights to {passing: 1, warning: 1},
 * tags/meta to empty, an IP address adds Consul's `lan_ipv4`/`wan_ipv4` (or `_ipv6`) tagged
 * addresses; `check` and `checks` become CheckSpecs with ids `service:<id>` (one
 * check) or `service:<id>:<n>` (n from 1, several) and name `Service '<name>' check` when
 * not given. What the catalog would refuse is refused here with the same limits (an address
 * of 0.0.0.0/::, proxy or connect nested deeper than MAX_JSON_DEPTH), so that a registration
 * the agent accepts can always be synced.
 * Throws BAD_REQUEST naming the field (`Missing service name`, …); a problem in an
 * embedded check carries `details.pointer`, the check's JSON pointer in `raw` (`/checks/1`).
 */
export function normalizeService(raw: unknown, ctx: CheckContext): NormalizedService {
  if (!isPlainObject(raw)) throw badDefinition('Invalid service: a service definition must be a JSON object');
  const o = canonicalizeKeys(raw, SERVICE_INDEX);
  const p = 'Invalid service: ';
  const name = optString(o, 'name', p) ?? '';
  if (name === '') throw badDefinition('Missing service name');
  const id = optString(o, 'id', p) || name;
  const kind = optString(o, 'kind', p) ?? '';
  if (!KINDS.has(kind)) throw badDefinition(`${p}kind ${JSON.stringify(kind)} is not one of connect-proxy, mesh-gateway, terminating-gateway, ingress-gateway, api-gateway`);
  const meta = optStringMap(o, 'meta', p) ?? {};
  validateMeta(meta);
  let weights = { passing: 1, warning: 1 };
  const w = objectField(o, 'weights');
  if (w) {
    const c = canonicalizeKeys(w, WEIGHTS_INDEX);
    weights = { passing: optInt(c, 'passing', `${p}weights.`) ?? 1, warning: optInt(c, 'warning', `${p}weights.`) ?? 1 };
    if (weights.passing < 1) throw badDefinition(`${p}weights.passing must be greater than 0`);
  }
  const proxy = freeFormField(o, 'proxy');
  const connect = freeFormField(o, 'connect');
  const socketPath = optString(o, 'socket_path', p);
  const token = optString(o, 'token', p);
  const address = optString(o, 'address', p) ?? '';
  // The catalog refuses it (every later sync would fail): refused here with the catalog's text.
  if (ANY_ADDRESSES.has(address)) throw badDefinition('Invalid service address');
  const port = optInt(o, 'port', p, 65535) ?? 0;
  const tagged = withDefaultTaggedAddresses(taggedAddresses(o), address, port);
  const service: ServiceDefinition = {
    id,
    name,
    tags: optStringList(o, 'tags', p) ?? [],
    address,
    ...(tagged ? { tagged_addresses: tagged } : {}),
    meta,
    port,
    ...(socketPath ? { socket_path: socketPath } : {}),
    enable_tag_override: optBool(o, 'enable_tag_override', p) ?? false,
    weights,
    kind,
    ...(proxy ? { proxy } : {}),
    ...(connect ? { connect } : {}),
    ...(token ? { token } : {}),
  };

  // Each embedded check with its JSON pointer in the definition (config files say where a bad one is).
  const raws: { def: unknown; pointer: string }[] = [];
  // Consul skips an empty `check` (clients often send `"Check": {}` for "no check").
  if (o['check'] !== undefined && o['check'] !== null && !isEmptyCheck(o['check'])) raws.push({ def: o['check'], pointer: '/check' });
  const list = o['checks'];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) throw badDefinition(`${p}checks must be a list of check definitions`);
    (list as unknown[]).forEach((def, i) => raws.push({ def, pointer: `/checks/${i}` }));
  }
  const checks = raws.map((c, i) => {
    try {
      return normalizeCheck(c.def, ctx, { serviceId: id, serviceName: name, autoId: raws.length > 1 ? `service:${id}:${i + 1}` : `service:${id}` });
    } catch (e) {
      throw isSextantError(e) ? new SextantError(e.code, e.message, { ...e.details, pointer: c.pointer }, { cause: e }) : e;
    }
  });
  const ids = new Set<string>();
  for (const c of checks) {
    if (ids.has(c.id)) throw badDefinition(`Invalid check: duplicate check id ${JSON.stringify(c.id)} in service ${JSON.stringify(id)}`);
    ids.add(c.id);
  }
  return { service: Object.freeze(service), checks };
}
