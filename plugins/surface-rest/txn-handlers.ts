import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Consistency } from '../../contracts/model/query.js';
import { isReadOnlyTxn, type TxnApi, type TxnOutcome, type TxnResult } from '../../contracts/services/txn-service.js';
import { goQuote } from 'sextant/plugin-sdk';
import { toDirEntry } from './dir-entry.js';
import { requestContext, writeContext } from './request-context.js';
import { readBody } from './read-body.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson } from './respond.js';
import { decodeTxnBody } from './txn-body.js';

/**
 * PUT /v1/txn — Consul's transaction endpoint (agent/txn_endpoint.go). Order of checks as in
 * Consul: body size (413 `Request body too large, max size: N bytes`, N = max(txn_max_req_len,
 * kv_max_value_size)), body decoding (400 `Failed to parse body: …`), operation count (413
 * `Transaction contains too many operations (N > 64)`), each KV value's size (413 `Value for key
 * "k" is too large (N > M bytes)`). Then 200 `{"Results": […], "Errors": null}`, or 409
 * `{"Results": null, "Errors": [{"OpIndex": n, "What": "…"}]}` when the transaction rolled back.
 *
 * A transaction that only reads is served without Raft: it accepts ?stale / ?consistent (and
 * Consul's other read parameters), sets X-Consul-KnownLeader and X-Consul-LastContact (no
 * index: it does not block), and — Go embeds QueryMeta in TxnReadResponse — its JSON also
 * carries Index, LastContact (ns), KnownLeader, ConsistencyLevel, NotModified, Backend and
 * ResultsFilteredByACLs, exactly as Consul's does.
 */

/** Consul's maxTxnOps. */
const MAX_TXN_OPS = 64;

/** The surface's TxnApi (NOT_IMPLEMENTED when the agent was built without one). */
function txnOf(scope: RequestScope): TxnApi {
  const t = scope.deps.txn;
  if (!t) throw new SextantError(ErrorCode.NotImplemented, 'transactions are not available on this agent');
  return t;
}

/** PUT /v1/txn. */
export const putTxn: Handler = async (scope) => {
  const { ctx, deps } = scope;
  const txn = txnOf(scope);
  const { kvMaxValueSize, txnMaxReqLen } = deps.config.limits;
  const maxLen = Math.max(txnMaxReqLen, kvMaxValueSize);
  const body = await readBody(ctx.req, maxLen, (_n, max) => `Request body too large, max size: ${max} bytes`);
  const { count, ops } = decodeTxnBody(body);
  if (count > MAX_TXN_OPS) throw new SextantError(ErrorCode.TooLarge, `Transaction contains too many operations (${count} > ${MAX_TXN_OPS})`);
  for (const op of ops) {
    if ('KV' in op && op.KV.Value.byteLength > kvMaxValueSize) {
      throw new SextantError(ErrorCode.TooLarge, `Value for key ${goQuote(op.KV.Key)} is too large (${op.KV.Value.byteLength} > ${kvMaxValueSize} bytes)`);
    }
  }
  let consistency: Consistency = 'default';
  if (isReadOnlyTxn(ops)) consistency = requestContext(scope).consistency;
  const out = await txn.apply(ops, consistency, writeContext(scope));
  const answer: Record<string, unknown> = {
    Results: out.results === null ? null : out.results.map(wireResult),
    Errors: out.errors,
  };
  if (out.readMeta) {
    const res = ctx.res;
    res.setHeader('X-Consul-KnownLeader', out.readMeta.knownLeader ? 'true' : 'false');
    res.setHeader('X-Consul-LastContact', String(Math.max(0, Math.floor(out.readMeta.lastContactMs))));
    Object.assign(answer, readMetaFields(out));
  }
  sendJson(scope, answer, out.errors === null ? 200 : 409);
};

function wireResult(r: TxnResult): unknown {
  return 'KV' in r ? { KV: toDirEntry(r.KV) } : r;
}

/** structs.QueryMeta as Go marshals it inside TxnReadResponse (Index is not set by Txn.Read). */
function readMetaFields(out: TxnOutcome): Record<string, unknown> {
  const m = out.readMeta!;
  return {
    Index: 0,
    LastContact: Math.max(0, Math.floor(m.lastContactMs)) * 1_000_000,
    KnownLeader: m.knownLeader,
    ConsistencyLevel: '',
    NotModified: false,
    Backend: 0,
    ResultsFilteredByACLs: false,
  };
}
