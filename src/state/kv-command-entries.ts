import { CommandTag } from './command.js';
import { bytesField, flagsField, indexField, strField, timeField } from './command-fields.js';
import type { CommandEntries } from './command-entry.js';
import type { KvLockResult } from './session-command.js';
import { lockKey } from './session-rules.js';

/** The KV commands (wire tags 1–8): flat records; results are Consul's booleans (locks: or an error value). */
export const KV_COMMANDS: CommandEntries<'kv.set' | 'kv.cas' | 'kv.delete' | 'kv.delete-cas' | 'kv.delete-tree' | 'kv.tombstone-reap' | 'kv.lock' | 'kv.unlock'> = {
  'kv.set': {
    type: 'kv.set',
    tag: CommandTag.KvSet,
    version: 1,
    arity: 3,
    encode: (c) => [c.key, c.value, c.flags],
    decode: (r) => ({ type: 'kv.set', key: strField(r, 0), value: bytesField(r, 1), flags: flagsField(r, 2) }),
    apply: (t, idx, c) => t.kv.set(idx, c.key, c.value, c.flags),
  },
  'kv.cas': {
    type: 'kv.cas',
    tag: CommandTag.KvCas,
    version: 1,
    arity: 4,
    encode: (c) => [c.key, c.value, c.flags, c.index],
    decode: (r) => ({ type: 'kv.cas', key: strField(r, 0), value: bytesField(r, 1), flags: flagsField(r, 2), index: indexField(r, 3) }),
    apply: (t, idx, c) => t.kv.cas(idx, c.key, c.value, c.flags, c.index),
  },
  'kv.delete': {
    type: 'kv.delete',
    tag: CommandTag.KvDelete,
    version: 1,
    arity: 1,
    encode: (c) => [c.key],
    decode: (r) => ({ type: 'kv.delete', key: strField(r, 0) }),
    apply: (t, idx, c) => t.kv.delete(idx, c.key),
  },
  'kv.delete-cas': {
    type: 'kv.delete-cas',
    tag: CommandTag.KvDeleteCas,
    version: 1,
    arity: 2,
    encode: (c) => [c.key, c.index],
    decode: (r) => ({ type: 'kv.delete-cas', key: strField(r, 0), index: indexField(r, 1) }),
    apply: (t, idx, c) => t.kv.deleteCas(idx, c.key, c.index),
  },
  'kv.delete-tree': {
    type: 'kv.delete-tree',
    tag: CommandTag.KvDeleteTree,
    version: 1,
    arity: 1,
    encode: (c) => [c.prefix],
    decode: (r) => ({ type: 'kv.delete-tree', prefix: strField(r, 0) }),
    apply: (t, idx, c) => t.kv.deleteTree(idx, c.prefix),
  },
  'kv.tombstone-reap': {
    type: 'kv.tombstone-reap',
    tag: CommandTag.KvTombstoneReap,
    version: 1,
    arity: 1,
    encode: (c) => [c.index],
    decode: (r) => ({ type: 'kv.tombstone-reap', index: indexField(r, 0) }),
    apply: (t, _idx, c) => t.kv.reapTombstones(c.index),
  },
  'kv.lock': {
    type: 'kv.lock',
    tag: CommandTag.KvLock,
    version: 1,
    arity: 5,
    encode: (c) => [c.key, c.value, c.flags, c.session, c.now],
    decode: (r) => ({ type: 'kv.lock', key: strField(r, 0), value: bytesField(r, 1), flags: flagsField(r, 2), session: strField(r, 3), now: timeField(r, 4) }),
    apply: (t, idx, c) => lockKey(t, idx, c.key, c.value, c.flags, c.session, c.now),
  },
  'kv.unlock': {
    type: 'kv.unlock',
    tag: CommandTag.KvUnlock,
    version: 1,
    arity: 4,
    encode: (c) => [c.key, c.value, c.flags, c.session],
    decode: (r) => ({ type: 'kv.unlock', key: strField(r, 0), value: bytesField(r, 1), flags: flagsField(r, 2), session: strField(r, 3) }),
    apply: (t, idx, c): KvLockResult => (c.session === '' ? { error: 'missing session' } : t.kv.unlock(idx, c.key, c.value, c.flags, c.session)),
  },
};
