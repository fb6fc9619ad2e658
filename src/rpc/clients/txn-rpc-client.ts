import type { Consistency, RequestContext } from '../../../contracts/model/query.js';
import { isReadOnlyTxn, type TxnApi, type TxnOp, type TxnOutcome } from '../../../contracts/services/txn-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** TxnApi as the surfaces see it on every agent: Txn.Read for a transaction that only reads, Txn.Apply otherwise. */
export class TxnRpcClient implements TxnApi {
  constructor(private readonly rpc: RpcCaller) {}

  /** Txn.Read (in `consistency`) or Txn.Apply. */
  apply(ops: readonly TxnOp[], consistency: Consistency, ctx?: RequestContext): Promise<TxnOutcome> {
    if (isReadOnlyTxn(ops)) return this.rpc.call('Txn.Read', { ops: [...ops] }, { minIndex: 0, waitMs: 0, ...ctx, consistency });
    return this.rpc.call('Txn.Apply', { ops: [...ops] }, ctx);
  }
}
