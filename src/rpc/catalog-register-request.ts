import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { MAX_JSON_DEPTH } from '../../contracts/limits.js';
import { jsonDepth } from '../plugin-sdk/json-depth.js';
import type { DeregisterRequest, RegisterRequest, ServiceAddress } from '../../contracts/model/catalog.js';
import type { HealthStatus } from '../../contracts/model/health.js';
import type {
  CatalogCheckFields,
  CatalogDeregisterCommand,
  CatalogRegisterCommand,
  CatalogServiceFields,
} from '../state/catalog-command.js';
import { checkDatacenter } from './datacenter-check.js';
import { decodeDefinitionDurations } from './definition-durations.js';

/**
 * Turns a decoded PUT /v1/catalog/register or /deregister body into its replicated command, as
 * Consul's Catalog.Register RPC does before it reaches Raft (servicePreApply, checkPreApply):
 * required fields, the service ID defaulting to its name, a check's ID to its name, its status
 * to critical, its node to the registration's. Every rejection is BAD_REQUEST (or
 * NO_PATH_TO_DATACENTER for another datacenter) with a message that names the field. Values
 * are type-checked, because bodies arrive as untyped JSON.
 */

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const STATUSES: ReadonlySet<string> = new Set(['passing', 'warning', 'critical']);

/** The command for a registration; `datacenter` is this agent's. */
export function registerCommand(req: RegisterRequest, datacenter: string): CatalogRegisterCommand {
  const r = req as unknown as Record<string, unknown>;
  if (r === null || typeof r !== 'object') throw bad('Request decode failed: the body must be a JSON object');
  const node = optString(r, 'Node', 'Node');
  if (node === '') throw bad('Must provide node');
  const skipNodeUpdate = optBool(r, 'SkipNodeUpdate', 'SkipNodeUpdate');
  const address = optString(r, 'Address', 'Address');
  if (address === '' && !skipNodeUpdate) throw bad('Must provide address if SkipNodeUpdate is not set');
  const id = optString(r, 'ID', 'ID');
  if (id !== '' && !UUID_RE.test(id)) throw bad(`Bad node ID: ${JSON.stringify(id)} is not a UUID`);
  checkDatacenter(optString(r, 'Datacenter', 'Datacenter'), datacenter);

  const service = r['Service'] === undefined || r['Service'] === null ? null : serviceFields(r['Service']);
  const rawChecks: unknown[] = [];
  if (r['Check'] !== undefined && r['Check'] !== null) rawChecks.push(r['Check']);
  if (r['Checks'] !== undefined && r['Checks'] !== null) {
    if (!Array.isArray(r['Checks'])) throw bad('Request decode failed: Checks must be a list of checks');
    rawChecks.push(...(r['Checks'] as unknown[]));
  }
  const hasCheck = r['Check'] !== undefined && r['Check'] !== null;
  const checks = rawChecks.map((c, i) => checkFields(c, node, hasCheck && i === 0 ? 'Check' : `Checks[${hasCheck ? i - 1 : i}]`));
  return {
    type: 'catalog.register',
    node: {
      ID: id.toLowerCase(),
      Node: node,
      Address: address,
      Datacenter: datacenter,
      TaggedAddresses: optStringMap(r, 'TaggedAddresses', 'TaggedAddresses'),
      Meta: optStringMap(r, 'NodeMeta', 'NodeMeta'),
    },
    skipNodeUpdate,
    service,
    checks,
  };
}

/** The command for a deregistration (`Must provide node` without one). */
export function deregisterCommand(req: DeregisterRequest, datacenter: string): CatalogDeregisterCommand {
  const r = req as unknown as Record<string, unknown>;
  if (r === null || typeof r !== 'object') throw bad('Request decode failed: the body must be a JSON object');
  const node = optString(r, 'Node', 'Node');
  if (node === '') throw bad('Must provide node');
  checkDatacenter(optString(r, 'Datacenter', 'Datacenter'), datacenter);
  return { type: 'catalog.deregister', node, serviceId: optString(r, 'ServiceID', 'ServiceID'), checkId: optString(r, 'CheckID', 'CheckID') };
}

function serviceFields(raw: unknown): CatalogServiceFields {
  const s = obj(raw, 'Service');
  const name = optString(s, 'Service', 'Service.Service');
  let id = optString(s, 'ID', 'Service.ID');
  if (name === '') throw bad(id === '' ? 'Must provide service name (Service.Service)' : 'Must provide service name with ID');
  if (id === '') id = name;
  const address = optString(s, 'Address', 'Service.Address');
  if (address === '0.0.0.0' || address === '::' || address === '[::]') throw bad('Invalid service address');
  const port = optInt(s, 'Port', 'Service.Port');
  if (port < 0 || port > 65535) throw bad(`Invalid Service.Port ${port}: must be 0-65535`);
  const out: CatalogServiceFields = {
    ID: id,
    Service: name,
    Tags: optStringList(s, 'Tags', 'Service.Tags'),
    Address: address,
    Port: port,
    Meta: optStringMap(s, 'Meta', 'Service.Meta'),
    Weights: weights(s['Weights']),
    EnableTagOverride: optBool(s, 'EnableTagOverride', 'Service.EnableTagOverride'),
  };
  const kind = optString(s, 'Kind', 'Service.Kind');
  if (kind !== '') out.Kind = kind;
  if (s['TaggedAddresses'] !== undefined && s['TaggedAddresses'] !== null) {
    const ta = obj(s['TaggedAddresses'], 'Service.TaggedAddresses');
    const addrs: Record<string, ServiceAddress> = {};
    for (const [k, v] of Object.entries(ta)) {
      const a = obj(v, `Service.TaggedAddresses.${k}`);
      addrs[k] = { Address: optString(a, 'Address', `Service.TaggedAddresses.${k}.Address`), Port: optInt(a, 'Port', `Service.TaggedAddresses.${k}.Port`) };
    }
    out.TaggedAddresses = addrs;
  }
  const socket = optString(s, 'SocketPath', 'Service.SocketPath');
  if (socket !== '') out.SocketPath = socket;
  if (s['Proxy'] !== undefined && s['Proxy'] !== null) out.Proxy = jsonObject(s['Proxy'], 'Service.Proxy');
  if (s['Connect'] !== undefined && s['Connect'] !== null) out.Connect = jsonObject(s['Connect'], 'Service.Connect');
  return out;
}

function weights(raw: unknown): { Passing: number; Warning: number } {
  if (raw === undefined || raw === null) return { Passing: 1, Warning: 1 };
  const w = obj(raw, 'Service.Weights');
  const passing = optInt(w, 'Passing', 'Service.Weights.Passing');
  const warning = optInt(w, 'Warning', 'Service.Weights.Warning');
  if (passing < 1) throw bad('Passing must be greater than 0');
  if (warning < 0) throw bad('Warning must be greater or equal than 0');
  return { Passing: passing, Warning: warning };
}

function checkFields(raw: unknown, node: string, where: string): CatalogCheckFields {
  const c = obj(raw, where);
  const checkNode = optString(c, 'Node', `${where}.Node`);
  if (checkNode !== '' && checkNode.toLowerCase() !== node.toLowerCase()) {
    throw bad(`${where}.Node ${JSON.stringify(checkNode)} does not match the registration's node ${JSON.stringify(node)}`);
  }
  const name = optString(c, 'Name', `${where}.Name`);
  const checkId = optString(c, 'CheckID', `${where}.CheckID`) || name;
  if (checkId === '') throw bad(`Must provide ${where}.CheckID or ${where}.Name`);
  const status = optString(c, 'Status', `${where}.Status`) || 'critical';
  if (!STATUSES.has(status)) throw bad(`Invalid ${where}.Status ${JSON.stringify(status)}: must be passing, warning or critical`);
  const out: CatalogCheckFields = {
    CheckID: checkId,
    Name: name,
    Status: status as HealthStatus,
    Notes: optString(c, 'Notes', `${where}.Notes`),
    Output: optString(c, 'Output', `${where}.Output`),
    ServiceID: optString(c, 'ServiceID', `${where}.ServiceID`),
    Type: optString(c, 'Type', `${where}.Type`),
  };
  const interval = optString(c, 'Interval', `${where}.Interval`);
  if (interval !== '') out.Interval = interval;
  const timeout = optString(c, 'Timeout', `${where}.Timeout`);
  if (timeout !== '') out.Timeout = timeout;
  const exposed = optInt(c, 'ExposedPort', `${where}.ExposedPort`);
  if (exposed !== 0) out.ExposedPort = exposed;
  if (c['Definition'] !== undefined && c['Definition'] !== null) {
    const def = decodeDefinitionDurations(jsonObject(c['Definition'], `${where}.Definition`), `${where}.Definition`);
    out.Definition = def;
    if (out.Type === '') out.Type = typeFromDefinition(def);
  }
  return out;
}

/** Consul's checkPreApply: a catalog check's Type from the definition it carries. */
function typeFromDefinition(def: Record<string, unknown>): string {
  const has = (k: string): boolean => Object.keys(def).some((x) => x.toLowerCase() === k && def[x] !== '' && def[x] !== undefined && def[x] !== null);
  if (has('http')) return 'http';
  if (has('tcp')) return 'tcp';
  if (has('grpc')) return 'grpc';
  return '';
}

function bad(message: string): SextantError {
  return new SextantError(ErrorCode.BadRequest, message);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`Request decode failed: ${where} must be a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * A JSON object kept as sent (Definition, Proxy, Connect): nested values must be JSON values,
 * nested at most MAX_JSON_DEPTH levels (the agent refuses the same at registration).
 */
function jsonObject(v: unknown, where: string): Record<string, unknown> {
  const o = obj(v, where);
  if (jsonDepth(o, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw bad(`Request decode failed: ${where}: nesting deeper than ${MAX_JSON_DEPTH} levels`);
  return o;
}

function optString(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(`Request decode failed: ${where} must be a string`);
  return v;
}

function optBool(o: Record<string, unknown>, k: string, where: string): boolean {
  const v = o[k];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw bad(`Request decode failed: ${where} must be a boolean`);
  return v;
}

function optInt(o: Record<string, unknown>, k: string, where: string): number {
  const v = o[k];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(`Request decode failed: ${where} must be an integer`);
  return v;
}

function optStringList(o: Record<string, unknown>, k: string, where: string): string[] {
  const v = o[k];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(`Request decode failed: ${where} must be a list of strings`);
  return [...(v as string[])];
}

function optStringMap(o: Record<string, unknown>, k: string, where: string): Record<string, string> {
  const v = o[k];
  if (v === undefined || v === null) return {};
  const m = obj(v, where);
  for (const [key, x] of Object.entries(m)) if (typeof x !== 'string') throw bad(`Request decode failed: ${where}.${key} must be a string`);
  return { ...(m as Record<string, string>) };
}
