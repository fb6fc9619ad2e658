import { CommandTag } from './command.js';
import { anyField } from './command-fields.js';
import type { CommandEntries } from './command-entry.js';
import { applyTxn } from './txn-apply.js';
import { decodeTxn, txnPayload } from './txn-command-codec.js';

/** The transaction command (wire tag 96, Consul's TxnApply): one payload map (txn-command-codec.ts). */
export const TXN_COMMANDS: CommandEntries<'txn'> = {
  txn: {
    type: 'txn',
    tag: CommandTag.TxnApply,
    version: 1,
    arity: 1,
    encode: (c) => [txnPayload(c)],
    decode: (r) => decodeTxn(anyField(r, 0)),
    apply: (t, idx, c) => applyTxn(t, idx, c),
  },
};
