import fc from 'fast-check';
import type { Command } from '../../src/state/command.js';

/** The value generators the KV command arbitraries draw from. */
export interface KvCommandParts {
  key: fc.Arbitrary<string>;
  value: fc.Arbitrary<Uint8Array>;
  flags: fc.Arbitrary<string>;
  idx: fc.Arbitrary<number>;
}

/**
 * Weighted arbitraries of the plain KV commands (set, cas, delete, delete-cas, delete-tree,
 * tombstone-reap) for `fc.oneof`; `setWeight` is how much more often a set comes than a delete.
 */
export function kvCommandArbitraries(p: KvCommandParts, setWeight = 4): { weight: number; arbitrary: fc.Arbitrary<Command> }[] {
  const { key, value, flags, idx } = p;
  return [
    { weight: setWeight, arbitrary: fc.record({ type: fc.constant('kv.set' as const), key, value, flags }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('kv.cas' as const), key, value, flags, index: idx }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('kv.delete' as const), key }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('kv.delete-cas' as const), key, index: idx }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('kv.delete-tree' as const), prefix: key }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('kv.tombstone-reap' as const), index: idx }) },
  ];
}
