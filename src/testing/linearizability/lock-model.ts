import type { Model } from './model.js';
import { partitionByKey } from './partition-by-key.js';

/**
 * One lock operation as Consul's KV locks run them: `acquire` (`PUT ?acquire=<session>`: true
 * when the key is free or already held by that session), `release` (`PUT ?release=<session>`:
 * true only when that session holds it, and then the key is free) and `invalidate` (the
 * session was destroyed or expired: a lock it held is free; always succeeds).
 */
export type LockInput =
  | { readonly op: 'acquire'; readonly key: string; readonly session: string }
  | { readonly op: 'release'; readonly key: string; readonly session: string }
  | { readonly op: 'invalidate'; readonly key: string; readonly session: string };

/** Whether the operation succeeded. */
export type LockOutput = { readonly ok: boolean };

/** The session holding one key's lock, `null` when free. */
type Holder = string | null;

/** Consul's KV locks, one lock per key (partitioned by key). Lock-delay is not modelled. */
export const lockModel: Model<Holder, LockInput, LockOutput> = {
  init: () => null,
  step(holder, input, output) {
    let ok: boolean;
    let next: Holder;
    switch (input.op) {
      case 'acquire':
        ok = holder === null || holder === input.session;
        next = ok ? input.session : holder;
        break;
      case 'release':
        ok = holder === input.session;
        next = ok ? null : holder;
        break;
      case 'invalidate':
        ok = true;
        next = holder === input.session ? null : holder;
        break;
    }
    return { ok: output === undefined || output.ok === ok, state: next };
  },
  partition: partitionByKey,
  key: (holder) => (holder === null ? '\u0000' : `=${holder}`),
  describe: (input, output) => `${input.op}(${input.key}, ${input.session}) → ${output === undefined ? '?' : String(output.ok)}`,
};
