import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { HealthStatus } from '../../contracts/model/health.js';
import type {
  CatalogCheckFields,
  CatalogDeregisterCommand,
  CatalogNodeFields,
  CatalogRegisterCommand,
  CatalogServiceFields,
} from './catalog-command.js';

/**
 * Payload codec of the catalog commands: the payload is one msgpack map with the normalized
 * fields (see catalog-command.ts). Decoding checks every field's type, so the state machine
 * never sees a malformed record; it throws COMMAND_INVALID naming the field.
 */

/** The payload of a catalog.register record. */
export function catalogRegisterPayload(cmd: CatalogRegisterCommand): Record<string, unknown> {
  const out: Record<string, unknown> = { node: cmd.node, skipNodeUpdate: cmd.skipNodeUpdate, service: cmd.service, checks: cmd.checks };
  if (cmd.now !== undefined) out['now'] = cmd.now;
  return out;
}

/** The payload of a catalog.deregister record. */
export function catalogDeregisterPayload(cmd: CatalogDeregisterCommand): Record<string, unknown> {
  const out: Record<string, unknown> = { node: cmd.node, serviceId: cmd.serviceId, checkId: cmd.checkId };
  if (cmd.now !== undefined) out['now'] = cmd.now;
  return out;
}

const STATUSES: ReadonlySet<string> = new Set(['passing', 'warning', 'critical', 'maintenance']);

/** Decodes and type-checks a catalog.register payload. */
export function decodeCatalogRegister(raw: unknown): CatalogRegisterCommand {
  const p = rec(raw, 'register');
  const node = rec(p['node'], 'node');
  const nodeFields: CatalogNodeFields = {
    ID: str(node, 'ID', 'node'),
    Node: str(node, 'Node', 'node'),
    Address: str(node, 'Address', 'node'),
    Datacenter: str(node, 'Datacenter', 'node'),
    TaggedAddresses: strMap(node['TaggedAddresses'], 'node.TaggedAddresses'),
    Meta: strMap(node['Meta'], 'node.Meta'),
  };
  if (typeof p['skipNodeUpdate'] !== 'boolean') throw invalid('register.skipNodeUpdate is not a boolean');
  const service = p['service'] === null || p['service'] === undefined ? null : decodeService(p['service']);
  if (!Array.isArray(p['checks'])) throw invalid('register.checks is not an array');
  const checks = (p['checks'] as unknown[]).map((c, i) => decodeCheck(c, `checks[${i}]`));
  const cmd: CatalogRegisterCommand = { type: 'catalog.register', node: nodeFields, skipNodeUpdate: p['skipNodeUpdate'], service, checks };
  const now = optionalTime(p['now'], 'register.now');
  if (now !== undefined) cmd.now = now;
  return cmd;
}

/** Decodes and type-checks a catalog.deregister payload. */
export function decodeCatalogDeregister(raw: unknown): CatalogDeregisterCommand {
  const p = rec(raw, 'deregister');
  const cmd: CatalogDeregisterCommand = { type: 'catalog.deregister', node: str(p, 'node', 'deregister'), serviceId: str(p, 'serviceId', 'deregister'), checkId: str(p, 'checkId', 'deregister') };
  const now = optionalTime(p['now'], 'deregister.now');
  if (now !== undefined) cmd.now = now;
  return cmd;
}

/** An optional clock reading (ms); absent in entries written before sessions existed. */
function optionalTime(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(`${where} is not a time in ms`);
  return v;
}

function decodeService(raw: unknown): CatalogServiceFields {
  const s = rec(raw, 'service');
  const weights = rec(s['Weights'], 'service.Weights');
  const svc: CatalogServiceFields = {
    ID: str(s, 'ID', 'service'),
    Service: str(s, 'Service', 'service'),
    Tags: strList(s['Tags'], 'service.Tags'),
    Address: str(s, 'Address', 'service'),
    Port: int(s['Port'], 'service.Port'),
    Meta: strMap(s['Meta'], 'service.Meta'),
    Weights: { Passing: int(weights['Passing'], 'service.Weights.Passing'), Warning: int(weights['Warning'], 'service.Weights.Warning') },
    EnableTagOverride: bool(s['EnableTagOverride'], 'service.EnableTagOverride'),
  };
  if (s['TaggedAddresses'] !== undefined) {
    const ta = rec(s['TaggedAddresses'], 'service.TaggedAddresses');
    const out: Record<string, { Address: string; Port: number }> = {};
    for (const [k, v] of Object.entries(ta)) {
      const a = rec(v, `service.TaggedAddresses.${k}`);
      out[k] = { Address: str(a, 'Address', `service.TaggedAddresses.${k}`), Port: int(a['Port'], `service.TaggedAddresses.${k}.Port`) };
    }
    svc.TaggedAddresses = out;
  }
  if (s['Kind'] !== undefined) svc.Kind = str(s, 'Kind', 'service');
  if (s['SocketPath'] !== undefined) svc.SocketPath = str(s, 'SocketPath', 'service');
  if (s['Proxy'] !== undefined) svc.Proxy = rec(s['Proxy'], 'service.Proxy');
  if (s['Connect'] !== undefined) svc.Connect = rec(s['Connect'], 'service.Connect');
  return svc;
}

function decodeCheck(raw: unknown, where: string): CatalogCheckFields {
  const c = rec(raw, where);
  const status = str(c, 'Status', where);
  if (!STATUSES.has(status)) throw invalid(`${where}.Status ${JSON.stringify(status)} is not a health status`);
  const out: CatalogCheckFields = {
    CheckID: str(c, 'CheckID', where),
    Name: str(c, 'Name', where),
    Status: status as HealthStatus,
    Notes: str(c, 'Notes', where),
    Output: str(c, 'Output', where),
    ServiceID: str(c, 'ServiceID', where),
    Type: str(c, 'Type', where),
  };
  if (c['Interval'] !== undefined) out.Interval = str(c, 'Interval', where);
  if (c['Timeout'] !== undefined) out.Timeout = str(c, 'Timeout', where);
  if (c['ExposedPort'] !== undefined) {
    const port = c['ExposedPort'];
    if (typeof port !== 'number' || !Number.isInteger(port)) throw invalid(`${where}.ExposedPort is not an integer`);
    out.ExposedPort = port;
  }
  if (c['Definition'] !== undefined) out.Definition = rec(c['Definition'], `${where}.Definition`);
  return out;
}

function rec(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw invalid(`${where} is not a map`);
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw invalid(`${where}.${k} is not a string`);
  return v;
}

function int(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`${where} is not an integer`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw invalid(`${where} is not a boolean`);
  return v;
}

function strList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(`${where} is not a list of strings`);
  return v as string[];
}

function strMap(v: unknown, where: string): Record<string, string> {
  const m = rec(v, where);
  for (const [k, x] of Object.entries(m)) if (typeof x !== 'string') throw invalid(`${where}.${k} is not a string`);
  return m as Record<string, string>;
}

function invalid(message: string): SextantError {
  return new SextantError(ErrorCode.CommandInvalid, `catalog command: ${message}`);
}
