import type { Model } from './model.js';
import { partitionByKey } from './partition-by-key.js';

/**
 * One KV operation as the Consul KV API runs it: `get` (default or `?consistent` read), `put`,
 * `cas` (a put with `?cas=<ModifyIndex>` taken from an earlier get) and `delete`.
 *
 * The model tracks values, not ModifyIndexes (the server assigns those), so a history must
 * write values that are unique within a key: then a value names one version of the key, and
 * "the ModifyIndex I read is still current" is "the value I read is still current". A cas on a
 * key that did not exist (`?cas=0`) expects `null`.
 */
export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'cas'; readonly key: string; readonly expect: string | null; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

/** A get's value (`null`: no such key), or whether a put/cas/delete succeeded. */
export type KvOutput = { readonly value: string | null } | { readonly ok: boolean };

/** The value of one key, `null` when absent. */
type KeyState = string | null;

/** Consul's KV as a linearizable register per key (partitioned by key). */
export const kvModel: Model<KeyState, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.op) {
      case 'get':
        return { ok: output === undefined || ('value' in output && output.value === state), state };
      case 'put':
        // A put always succeeds; an unknown one may or may not have happened, which the
        // search covers by linearizing it (here) or leaving it for the end where it changes nothing observed.
        return { ok: output === undefined || ('ok' in output && output.ok), state: input.value };
      case 'delete':
        return { ok: output === undefined || ('ok' in output && output.ok), state: null };
      case 'cas': {
        const applies = state === input.expect;
        if (output === undefined) return { ok: true, state: applies ? input.value : state };
        if (!('ok' in output)) return { ok: false, state };
        return { ok: output.ok === applies, state: applies ? input.value : state };
      }
    }
  },
  partition: partitionByKey,
  key: (state) => (state === null ? '\u0000' : `=${state}`),
  describe(input, output) {
    const out = output === undefined ? '?' : 'value' in output ? JSON.stringify(output.value) : String(output.ok);
    switch (input.op) {
      case 'get':
        return `get(${input.key}) → ${out}`;
      case 'put':
        return `put(${input.key}, ${JSON.stringify(input.value)}) → ${out}`;
      case 'cas':
        return `cas(${input.key}, ${JSON.stringify(input.expect)} → ${JSON.stringify(input.value)}) → ${out}`;
      case 'delete':
        return `delete(${input.key}) → ${out}`;
    }
  },
};
