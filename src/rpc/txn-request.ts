import type { CatalogNodeFields, CatalogRegisterCommand, CatalogServiceFields, CatalogCheckFields } from '../state/catalog-command.js';
import type { HealthStatus } from '../../contracts/model/health.js';
import type { TxnCheckOp, TxnNodeOp, TxnOp, TxnServiceOp } from '../../contracts/services/txn-service.js';
import type { TxnStateError, TxnStateOp } from '../state/txn-op.js';

/**
 * Turns a transaction's operations (API form) into the state machine's ops, running Consul's
 * pre-apply checks on the way (agent/consul/txn_endpoint.go preCheck: kvsPreApply,
 * nodePreApply, servicePreApply, checkPreApply). A failed check is an operation error (409,
 * nothing proposed), never a request error. `get` verbs of nodes, services and checks skip the
 * pre-apply step, as in Consul (so a service `get` with no ID does not default it to the name).
 */

const STATUSES: ReadonlySet<string> = new Set(['passing', 'warning', 'critical', 'maintenance']);
const ANY_ADDRESS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]']);

/** The state ops for `ops`, and the pre-apply errors (OpIndex = position in `ops`). */
export function txnStateOps(ops: readonly TxnOp[], datacenter: string): { ops: TxnStateOp[]; errors: TxnStateError[] } {
  const out: TxnStateOp[] = [];
  const errors: TxnStateError[] = [];
  ops.forEach((op, opIndex) => {
    const fail = (what: string): void => void errors.push({ opIndex, what });
    if ('KV' in op) {
      const kv = op.KV;
      if (kv.Key === '' && kv.Verb !== 'delete-tree') fail('Must provide key');
      out.push({ kind: 'kv', verb: kv.Verb, key: kv.Key, value: kv.Value, flags: kv.Flags, index: kv.Index, session: kv.Session });
    } else if ('Node' in op) {
      out.push(nodeOp(op.Node, datacenter, fail));
    } else if ('Service' in op) {
      out.push(serviceOp(op.Service, fail));
    } else {
      out.push(checkOp(op.Check, fail));
    }
  });
  return { ops: out, errors };
}

function nodeOp(op: TxnNodeOp, datacenter: string, fail: (what: string) => void): TxnStateOp {
  const n = op.Node;
  if (op.Verb !== 'get') {
    if (n.Node === '') fail('Must provide node');
    else if (n.ID !== '') {
      const bad = uuidProblem(n.ID);
      if (bad !== undefined) fail(`Bad node ID: ${bad}`);
    }
  }
  const node: CatalogNodeFields = {
    ID: n.ID,
    Node: n.Node,
    Address: n.Address,
    Datacenter: n.Datacenter === '' ? datacenter : n.Datacenter,
    TaggedAddresses: { ...n.TaggedAddresses },
    Meta: { ...n.Meta },
  };
  return { kind: 'node', verb: op.Verb, index: n.ModifyIndex, register: { type: 'catalog.register', node, skipNodeUpdate: false, service: null, checks: [] } };
}

function serviceOp(op: TxnServiceOp, fail: (what: string) => void): TxnStateOp {
  const s = op.Service;
  let id = s.ID;
  if (op.Verb !== 'get') {
    if (id === '' && s.Service !== '') id = s.Service;
    if (id !== '' && s.Service === '') fail('Must provide service name with ID');
    else if (ANY_ADDRESS.has(s.Address)) fail('Invalid service address');
  }
  const service: CatalogServiceFields = {
    ID: id,
    Service: s.Service,
    Tags: [...s.Tags],
    Address: s.Address,
    Port: s.Port,
    Meta: { ...s.Meta },
    Weights: { Passing: s.Weights.Passing, Warning: s.Weights.Warning },
    EnableTagOverride: s.EnableTagOverride,
  };
  if (s.Kind !== '') service.Kind = s.Kind;
  if (s.TaggedAddresses !== undefined) service.TaggedAddresses = { ...s.TaggedAddresses };
  return { kind: 'service', verb: op.Verb, index: s.ModifyIndex, register: stubRegister(op.Node, service, []) };
}

function checkOp(op: TxnCheckOp, fail: (what: string) => void): TxnStateOp {
  const c = op.Check;
  let checkId = c.CheckID;
  let type = c.Type;
  let status = c.Status;
  if (op.Verb !== 'get') {
    if (checkId === '' && c.Name !== '') checkId = c.Name;
    if (type === '' && c.Definition !== undefined) type = typeFromDefinition(c.Definition);
  }
  // Consul stores a missing status as critical (ensureCheckTransaction); Sextant keeps Consul's four states only.
  if (status === '') status = 'critical';
  if (!STATUSES.has(status)) {
    if (op.Verb === 'set' || op.Verb === 'cas') fail(`Invalid check status ${JSON.stringify(status)}: must be passing, warning, critical or maintenance`);
    status = 'critical';
  }
  if ((op.Verb === 'set' || op.Verb === 'cas') && checkId === '') fail('Must provide CheckID or Name');
  const check: CatalogCheckFields = {
    CheckID: checkId,
    Name: c.Name,
    Status: status as HealthStatus,
    Notes: c.Notes,
    Output: c.Output,
    ServiceID: c.ServiceID,
    Type: type,
  };
  if (c.Definition !== undefined) check.Definition = c.Definition;
  return { kind: 'check', verb: op.Verb, index: c.ModifyIndex, register: stubRegister(c.Node, null, [check]) };
}

/** A registration that leaves node `node` as it is and writes only the service or check. */
function stubRegister(node: string, service: CatalogServiceFields | null, checks: CatalogCheckFields[]): CatalogRegisterCommand {
  return {
    type: 'catalog.register',
    node: { ID: '', Node: node, Address: '', Datacenter: '', TaggedAddresses: {}, Meta: {} },
    skipNodeUpdate: true,
    service,
    checks,
  };
}

/** Consul's checkPreApply: a check's Type from the definition it carries. */
function typeFromDefinition(def: Record<string, unknown>): string {
  const has = (k: string): boolean => Object.keys(def).some((x) => x.toLowerCase() === k && def[x] !== '' && def[x] !== undefined && def[x] !== null);
  if (has('http')) return 'http';
  if (has('tcp')) return 'tcp';
  if (has('grpc')) return 'grpc';
  return '';
}

/** go-uuid ParseUUID's complaint about `id`, or undefined when it is a UUID. */
function uuidProblem(id: string): string | undefined {
  if (id.length !== 36) return 'uuid string is wrong length';
  if (id[8] !== '-' || id[13] !== '-' || id[18] !== '-' || id[23] !== '-') return 'uuid is improperly formatted';
  const hex = id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
  for (const ch of hex) {
    if (!/[0-9a-fA-F]/.test(ch)) return `encoding/hex: invalid byte: U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(ch).replace(/"/g, "'")}`;
  }
  return undefined;
}
