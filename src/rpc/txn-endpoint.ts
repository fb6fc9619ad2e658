import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Consistency } from '../../contracts/model/query.js';
import type { Clock } from '../../contracts/platform.js';
import type { TxnApi, TxnError, TxnOp, TxnOutcome, TxnResult } from '../../contracts/services/txn-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import { encodeCommand } from '../state/command-codec.js';
import { readTxn, type TxnReaders } from '../state/txn-apply.js';
import { isWriteOp, type TxnStateError, type TxnStateOutcome, type TxnStateResult } from '../state/txn-op.js';
import { checkView, serviceView } from './catalog-views.js';
import { txnStateOps } from './txn-request.js';

/** The most operations one transaction may carry (Consul's maxTxnOps). */
export const MAX_TXN_OPS = 64;

/** Settings of a TxnEndpoint. */
export interface TxnEndpointConfig {
  /** This agent's datacenter: the Datacenter of a node op that names none. */
  datacenter: string;
}

/** Constructor dependencies of a TxnEndpoint. */
export interface TxnEndpointDeps {
  /** The local replicated state (a StateStore): its KV, catalog and sessions read sides. */
  store: TxnReaders;
  /** Raft: read barriers and leader meta for read-only transactions, one proposal per write transaction. */
  raft: RaftApi;
  /** Stamps write transactions with this (the leader's) time: lock-delays and session invalidation. */
  clock: Clock;
  config: TxnEndpointConfig;
}

/**
 * The kernel's TxnApi (Consul's Txn RPC endpoint, Apply and Read). Operations are normalized
 * and pre-checked (txn-request.ts); a transaction with any write verb becomes ONE Raft command
 * that the state machine applies all-or-nothing (txn-apply.ts), stamped with this server's
 * clock; a transaction that only reads is served from the local state in the requested
 * consistency, without Raft and without blocking.
 */
export class TxnEndpoint implements TxnApi {
  constructor(private readonly deps: TxnEndpointDeps) {}

  /** See TxnApi.apply. */
  async apply(ops: readonly TxnOp[], consistency: Consistency): Promise<TxnOutcome> {
    if (ops.length > MAX_TXN_OPS) {
      throw new SextantError(ErrorCode.TooLarge, `Transaction contains too many operations (${ops.length} > ${MAX_TXN_OPS})`);
    }
    const { raft, store, clock, config } = this.deps;
    const { ops: stateOps, errors } = txnStateOps(ops, config.datacenter);
    if (!stateOps.some(isWriteOp)) {
      if (consistency !== 'stale') await raft.readBarrier(consistency);
      const readMeta = { index: store.kv.tableIndex(), knownLeader: raft.leader() !== undefined, lastContactMs: raft.lastContactMs() };
      const out: TxnStateOutcome = errors.length > 0 ? { ok: false, errors } : readTxn(stateOps, store);
      return { ...toOutcome(out), readMeta };
    }
    if (errors.length > 0) return toOutcome({ ok: false, errors });
    const result = await raft.propose(encodeCommand({ type: 'txn', ops: stateOps, now: clock.now() }));
    if (typeof result !== 'object' || result === null || typeof (result as { ok?: unknown }).ok !== 'boolean') {
      throw new SextantError(ErrorCode.Internal, 'txn command answered an unexpected result');
    }
    return toOutcome(result as TxnStateOutcome);
  }
}

function toOutcome(out: TxnStateOutcome): TxnOutcome {
  if (!out.ok) return { results: null, errors: out.errors.map(toError) };
  return { results: out.results.map(toResult), errors: null };
}

function toError(e: TxnStateError): TxnError {
  return { OpIndex: e.opIndex, What: e.what };
}

function toResult(r: TxnStateResult): TxnResult {
  switch (r.kind) {
    case 'kv':
      return { KV: r.entry };
    case 'node':
      return { Node: r.node };
    case 'service':
      return { Service: serviceView(r.service) };
    case 'check':
      return { Check: checkView(r.check) };
  }
}
