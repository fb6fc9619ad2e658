import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { catalogRegisterPayload, decodeCatalogRegister } from './catalog-command-codec.js';
import type { TxnCommand, TxnStateOp } from './txn-op.js';
import { isCanonicalUint64 } from './uint64.js';

/**
 * Payload codec of the txn command: one msgpack map `{ ops, now }`, each op a map — KV ops
 * flat (`value` as msgpack bin), catalog ops with the catalog's own register payload, decoded
 * and type-checked by the catalog codec. Decoding checks every field, so the state machine never
 * sees a malformed op; it throws COMMAND_INVALID naming the field. Verbs are any string (an
 * unknown verb is an operation error reported when applying, as Consul does).
 */

/** The payload of a txn record. */
export function txnPayload(cmd: TxnCommand): Record<string, unknown> {
  return {
    now: cmd.now,
    ops: cmd.ops.map((op) =>
      op.kind === 'kv'
        ? { kind: 'kv', verb: op.verb, key: op.key, value: op.value, flags: op.flags, index: op.index, session: op.session }
        : { kind: op.kind, verb: op.verb, index: op.index, register: catalogRegisterPayload(op.register) },
    ),
  };
}

/** Decodes and type-checks a txn payload. */
export function decodeTxn(raw: unknown): TxnCommand {
  const p = rec(raw, 'txn');
  const now = p['now'];
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) throw invalid('now is not a time in ms');
  if (!Array.isArray(p['ops'])) throw invalid('ops is not a list');
  const ops = (p['ops'] as unknown[]).map((o, i) => decodeOp(o, i));
  return { type: 'txn', ops, now };
}

function decodeOp(raw: unknown, i: number): TxnStateOp {
  const where = `ops[${i}]`;
  const o = rec(raw, where);
  const kind = o['kind'];
  const verb = str(o, 'verb', where);
  const index = o['index'];
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) throw invalid(`${where}.index is not a non-negative integer`);
  if (kind === 'kv') {
    const value = o['value'];
    if (!(value instanceof Uint8Array)) throw invalid(`${where}.value is not bytes`);
    const flags = str(o, 'flags', where);
    if (!isCanonicalUint64(flags)) throw invalid(`${where}.flags is not a uint64 decimal string`);
    return { kind, verb, key: str(o, 'key', where), value, flags, index, session: str(o, 'session', where) };
  }
  if (kind === 'node' || kind === 'service' || kind === 'check') {
    return { kind, verb, index, register: decodeCatalogRegister(o['register']) };
  }
  throw invalid(`${where}.kind ${JSON.stringify(kind)} is not kv, node, service or check`);
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

function invalid(message: string): SextantError {
  return new SextantError(ErrorCode.CommandInvalid, `txn command: ${message}`);
}
