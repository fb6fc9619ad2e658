import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../../../contracts/model/health.js';
import type { KvChange } from '../../../contracts/hooks.js';
import type { Command } from '../../../src/state/command.js';
import { decodeCommand, encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import type { TxnCommand, TxnKvStateOp, TxnStateOp, TxnStateOutcome } from '../../../src/state/txn-op.js';
import { goQuote } from '../../../src/state/go-quote.js';
import { readTxn } from '../../../src/state/txn-apply.js';
import { bytes, text } from './state-harness.js';

const T0 = 1_700_000_000_000;
const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';

/** A StateStore fed commands at consecutive indexes, recording hook calls and wake-ups. */
class Harness {
  readonly kvChanges: KvChange[] = [];
  readonly catalogChanges: (readonly string[])[] = [];
  readonly store = new StateStore({ onKvChange: (c) => this.kvChanges.push(c), onCatalogChange: (s) => this.catalogChanges.push(s) });
  next = 1;
  apply(cmd: Command): unknown {
    return this.store.apply({ index: this.next++, term: 1, data: encodeCommand(cmd) });
  }
  txn(ops: TxnStateOp[], now = T0): TxnStateOutcome {
    return this.apply({ type: 'txn', ops, now }) as TxnStateOutcome;
  }
  set(key: string, value = 'v'): void {
    this.apply({ type: 'kv.set', key, value: bytes(value), flags: '0' });
  }
  node(name: string, checks: [string, HealthStatus][] = [['serfHealth', 'passing']]): void {
    this.apply({
      type: 'catalog.register',
      node: { ID: '', Node: name, Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: {} },
      skipNodeUpdate: false,
      service: { ID: 'web', Service: 'web', Tags: ['a'], Address: '', Port: 80, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false },
      checks: checks.map(([id, status]) => ({ CheckID: id, Name: id, Status: status, Notes: '', Output: '', ServiceID: '', Type: 'ttl' })),
      now: T0,
    });
  }
  session(id: string, behavior: 'release' | 'delete' = 'release', lockDelayNs = 15_000_000_000): void {
    this.apply({
      type: 'session.create',
      session: { ID: id, Name: '', Node: 'n1', LockDelay: lockDelayNs, Behavior: behavior, TTL: '', NodeChecks: ['serfHealth'], ServiceChecks: null, Checks: [] },
      ttlMs: 0,
      now: T0,
    });
  }
  entry(key: string) {
    return this.store.kv.get(key).value;
  }
}

function kv(verb: string, key: string, over: Partial<Omit<TxnKvStateOp, 'kind' | 'verb' | 'key' | 'value'>> & { value?: string } = {}): TxnKvStateOp {
  return { kind: 'kv', verb, key, value: bytes(over.value ?? ''), flags: over.flags ?? '0', index: over.index ?? 0, session: over.session ?? '' };
}

const stub = (node: string) => ({ ID: '', Node: node, Address: '', Datacenter: '', TaggedAddresses: {}, Meta: {} });

function nodeOp(verb: string, name: string, over: { address?: string; id?: string; index?: number; meta?: Record<string, string> } = {}): TxnStateOp {
  return {
    kind: 'node',
    verb,
    index: over.index ?? 0,
    register: {
      type: 'catalog.register',
      node: { ID: over.id ?? '', Node: name, Address: over.address ?? '10.0.0.9', Datacenter: 'dc1', TaggedAddresses: {}, Meta: over.meta ?? {} },
      skipNodeUpdate: false,
      service: null,
      checks: [],
    },
  };
}

function serviceOp(verb: string, node: string, id: string, over: { name?: string; port?: number; tags?: string[]; index?: number } = {}): TxnStateOp {
  return {
    kind: 'service',
    verb,
    index: over.index ?? 0,
    register: {
      type: 'catalog.register',
      node: stub(node),
      skipNodeUpdate: true,
      service: { ID: id, Service: over.name ?? id, Tags: over.tags ?? [], Address: '', Port: over.port ?? 0, Meta: {}, Weights: { Passing: 0, Warning: 0 }, EnableTagOverride: false },
      checks: [],
    },
  };
}

function checkOp(verb: string, node: string, id: string, over: { status?: HealthStatus; serviceId?: string; index?: number; output?: string } = {}): TxnStateOp {
  return {
    kind: 'check',
    verb,
    index: over.index ?? 0,
    register: {
      type: 'catalog.register',
      node: stub(node),
      skipNodeUpdate: true,
      service: null,
      checks: [{ CheckID: id, Name: id, Status: over.status ?? 'passing', Notes: '', Output: over.output ?? '', ServiceID: over.serviceId ?? '', Type: '' }],
    },
  };
}

function ok(out: TxnStateOutcome) {
  if (!out.ok) throw new Error(`transaction failed: ${JSON.stringify(out.errors)}`);
  return out.results;
}

function errors(out: TxnStateOutcome) {
  if (out.ok) throw new Error('transaction unexpectedly succeeded');
  return out.errors.map((e) => [e.opIndex, e.what]);
}

describe('txn command codec', () => {
  it('round-trips KV and catalog ops (binary values, uint64 flags) under tag 96', () => {
    const cmd: TxnCommand = {
      type: 'txn',
      now: T0,
      ops: [kv('set', 'k', { value: '\u0000\u00ff', flags: '18446744073709551615' }), nodeOp('set', 'n2'), serviceOp('cas', 'n2', 'db', { index: 7 }), checkOp('delete', 'n2', 'c')],
    };
    const bytesOut = encodeCommand(cmd);
    expect(bytesOut[1]).toBe(96); // msgpack fixarray, then the tag
    const back = decodeCommand(bytesOut) as TxnCommand;
    expect(back).toEqual(cmd);
  });

  it('rejects a malformed txn record as COMMAND_INVALID naming the field', () => {
    const op = { kind: 'kv', verb: 'set', key: 'k', value: new Uint8Array(0), flags: 'x', index: 0, session: '' };
    expect(() => decodeCommand(encode([96, 1, { now: T0, ops: [op] }]))).toThrow(/ops\[0\]\.flags/);
    expect(() => decodeCommand(encode([96, 1, { now: T0, ops: [{ ...op, flags: '0', kind: 'acl' }] }]))).toThrow(/ops\[0\]\.kind/);
    expect(() => decodeCommand(encode([96, 1, { now: -1, ops: [] }]))).toThrow(/now/);
  });
});

describe('KV verbs (Consul txnKVS)', () => {
  it('the issue\'s example: cas at the current index and a set commit together at one index', () => {
    const h = new Harness();
    h.set('x'); // 1
    h.set('a', 'old'); // 2
    const idx = h.next;
    const results = ok(h.txn([kv('cas', 'a', { value: '1', index: 2 }), kv('set', 'b', { value: '2' })]));
    expect(results.map((r) => r.kind === 'kv' && [r.entry.key, r.entry.value.byteLength, r.entry.createIndex, r.entry.modifyIndex])).toEqual([
      ['a', 0, 2, idx],
      ['b', 0, idx, idx],
    ]);
    expect(text(h.entry('a')!.value)).toBe('1');
    expect(text(h.entry('b')!.value)).toBe('2');
    expect(h.store.kv.tableIndex()).toBe(idx);
  });

  it('a stale cas rolls the whole transaction back: nothing written, no index moved, nobody woken, no hook', () => {
    const h = new Harness();
    h.set('a', 'old'); // 1
    h.set('b', 'keep'); // 2
    const woken: string[] = [];
    h.store.kv.watchKey('a', () => woken.push('a'));
    h.store.kv.watchKey('b', () => woken.push('b'));
    h.store.kv.watchPrefix('', () => woken.push('*'));
    const hooks = h.kvChanges.length;
    const out = h.txn([kv('set', 'b', { value: 'new' }), kv('cas', 'a', { value: '1', index: 5 }), kv('set', 'c')]);
    expect(errors(out)).toEqual([[1, 'failed to set key "a", index is stale']]);
    expect(text(h.entry('b')!.value)).toBe('keep');
    expect(h.entry('c')).toBeNull();
    expect(h.store.kv.tableIndex()).toBe(2);
    expect(h.store.kv.get('b').index).toBe(2);
    expect(woken).toEqual([]);
    expect(h.kvChanges.length).toBe(hooks);
    expect(h.store.kv.watcherCount()).toBe(3);
  });

  it('reports every failing op, each seeing the ops before it (Consul keeps going and collects errors)', () => {
    const h = new Harness();
    h.set('a'); // 1
    const out = h.txn([
      kv('check-not-exists', 'a'),
      kv('delete', 'a'),
      kv('check-not-exists', 'a'),
      kv('get', 'a'),
      kv('check-index', 'zz', { index: 1 }),
      kv('bogus', 'a'),
    ]);
    expect(errors(out)).toEqual([
      [0, 'key "a" exists'],
      [3, 'key "a" doesn\'t exist'],
      [4, 'failed to check index, key "zz" doesn\'t exist'],
      [5, 'unknown KV verb "bogus"'],
    ]);
    expect(h.entry('a')).not.toBeNull();
  });

  it('set, cas (create-only and by index), get, get-or-empty, get-tree, check-index and delete verbs', () => {
    const h = new Harness();
    h.set('p/1', 'one'); // 1
    h.set('p/2', 'two'); // 2
    const idx = h.next;
    const results = ok(
      h.txn([
        kv('set', 'p/3', { value: 'three', flags: '42' }),
        kv('cas', 'p/4', { value: 'four', index: 0 }),
        kv('cas', 'p/1', { value: 'uno', index: 1 }),
        kv('get', 'p/1'),
        kv('get-or-empty', 'nope', { flags: '3', index: 9 }),
        kv('check-index', 'p/2', { index: 2 }),
        kv('delete', 'p/2'),
        kv('delete-cas', 'p/3', { index: idx }),
        kv('delete-cas', 'never', { index: 4 }),
        kv('get-tree', 'p/'),
      ]),
    );
    const shown = results.map((r) => (r.kind === 'kv' ? `${r.entry.key}=${text(r.entry.value)}@${r.entry.createIndex}/${r.entry.modifyIndex}` : '?'));
    expect(shown).toEqual([
      `p/3=@${idx}/${idx}`, // writes come back without their value
      `p/4=@${idx}/${idx}`,
      `p/1=@1/${idx}`,
      `p/1=uno@1/${idx}`, // get sees the cas before it, value included
      'nope=@0/9', // get-or-empty of a missing key: the op's own entry, value blanked
      'p/2=@2/2', // check-index: the entry, value blanked
      `p/1=uno@1/${idx}`, // get-tree: values included, deletes applied
      `p/4=four@${idx}/${idx}`,
    ]);
    expect((results[0]!.kind === 'kv' && results[0]!.entry.flags) || '').toBe('42');
    expect(h.entry('p/2')).toBeNull();
    expect(h.entry('p/3')).toBeNull();
    expect(h.kvChanges.filter((c) => c.index === idx).length).toBeGreaterThan(0);
  });

  it('cas and delete-cas texts; delete-tree removes a prefix; check-not-exists passes on a missing key', () => {
    const h = new Harness();
    h.set('t/a'); // 1
    h.set('t/b'); // 2
    expect(errors(h.txn([kv('cas', 't/a', { index: 0 }), kv('cas', 'missing', { index: 3 }), kv('delete-cas', 't/b', { index: 1 })]))).toEqual([
      [0, 'failed to set key "t/a", index is stale'],
      [1, 'failed to set key "missing", index is stale'],
      [2, 'failed to delete key "t/b", index is stale'],
    ]);
    expect(ok(h.txn([kv('delete-tree', 't/'), kv('check-not-exists', 't/a'), kv('get-tree', 't/')]))).toEqual([]);
    expect(h.store.kv.list('t/').value).toEqual([]);
    expect(h.store.kv.tombstoneCount()).toBe(2);
  });

  it('check-index texts Consul\'s current modify index', () => {
    const h = new Harness();
    h.set('k'); // 1
    expect(errors(h.txn([kv('check-index', 'k', { index: 4 })]))).toEqual([[0, 'failed index check for key "k", current modify index 1 != 4']]);
  });

  it('an identical set writes nothing: the result carries the unchanged indexes', () => {
    const h = new Harness();
    h.set('same', 'v'); // 1
    const results = ok(h.txn([kv('set', 'same', { value: 'v' })]));
    expect(results[0]).toMatchObject({ kind: 'kv', entry: { createIndex: 1, modifyIndex: 1 } });
    expect(h.store.kv.tableIndex()).toBe(1);
  });

  it('a failed transaction of a big prefix leaves the table exactly as it was (snapshot bytes equal)', async () => {
    const h = new Harness();
    for (let i = 0; i < 50; i++) h.set(`big/${i}`);
    const before = Buffer.from(await h.store.snapshot());
    const lastApplied = h.store.lastApplied();
    expect(h.txn([kv('delete-tree', 'big/'), kv('set', 'big/new'), kv('check-index', 'big/1', { index: 1 })]).ok).toBe(false);
    expect(h.store.lastApplied()).toBe(lastApplied + 1); // the entry is applied (as a no-op)
    const after = Buffer.from(await h.store.snapshot());
    // Only lastApplied differs: compare with the same lastApplied.
    const restored = new StateStore();
    restored.restore(after, lastApplied);
    const normalized = new StateStore();
    normalized.restore(before, lastApplied);
    expect(Buffer.from(await restored.snapshot()).equals(Buffer.from(await normalized.snapshot()))).toBe(true);
  });
});

describe('locks in a transaction (kvsLockTxn / kvsUnlockTxn, lock-delay)', () => {
  it('lock, check-session and unlock with Consul\'s LockIndex rules and texts', () => {
    const h = new Harness();
    h.node('n1');
    h.session(S1);
    h.session(S2);
    const idx = h.next;
    const res = ok(h.txn([kv('lock', 'l', { value: 'me', session: S1 }), kv('check-session', 'l', { session: S1 }), kv('lock', 'l', { value: 'again', session: S1 })]));
    expect(res.map((r) => r.kind === 'kv' && [r.entry.lockIndex, r.entry.session, r.entry.modifyIndex])).toEqual([
      [1, S1, idx],
      [1, S1, idx],
      [1, S1, idx],
    ]);
    expect(errors(h.txn([kv('lock', 'l', { session: S2 }), kv('unlock', 'l', { session: S2 }), kv('check-session', 'l', { session: S2 }), kv('lock', 'l'), kv('lock', 'x', { session: 'nope' })]))).toEqual([
      [0, 'failed to lock key "l", lock is already held'],
      [1, 'failed to unlock key "l", lock isn\'t held, or is held by another session'],
      [2, `failed session check for key "l", current session "${S1}" != "${S2}"`],
      [3, 'missing session'],
      [4, 'invalid session "nope"'],
    ]);
    const un = ok(h.txn([kv('unlock', 'l', { value: 'bye', session: S1 }), kv('lock', 'l', { session: S2 })]));
    expect(un.map((r) => r.kind === 'kv' && [r.entry.lockIndex, r.entry.session])).toEqual([
      [1, ''],
      [2, S2],
    ]);
  });

  it('a lock is refused while the key\'s lock-delay runs (checked against the command\'s clock)', () => {
    const h = new Harness();
    h.node('n1');
    h.session(S1, 'release', 5_000_000_000);
    h.session(S2);
    h.apply({ type: 'kv.lock', key: 'ld', value: bytes('v'), flags: '0', session: S1, now: T0 });
    h.apply({ type: 'session.destroy', id: S1, now: T0 }); // lock-delay until T0 + 5 s
    expect(errors(h.txn([kv('set', 'other'), kv('lock', 'ld', { session: S2 })], T0 + 1000))).toEqual([[1, 'failed to lock key "ld" due to lock delay']]);
    expect(h.entry('other')).toBeNull();
    expect(ok(h.txn([kv('lock', 'ld', { session: S2 })], T0 + 5001))[0]).toMatchObject({ entry: { session: S2, lockIndex: 2 } });
  });
});

describe('node, service and check verbs (txnNode / txnService / txnCheck)', () => {
  it('set, get, cas and delete-cas of a node, with Consul\'s texts', () => {
    const h = new Harness();
    const idx = h.next;
    const [set] = ok(h.txn([nodeOp('set', 'n2', { meta: { rack: 'r1' } })]));
    expect(set).toMatchObject({ kind: 'node', node: { Node: 'n2', Address: '10.0.0.9', Meta: { rack: 'r1' }, CreateIndex: idx, ModifyIndex: idx } });
    expect(errors(h.txn([nodeOp('cas', 'n2', { index: idx + 5 }), nodeOp('get', 'ghost'), nodeOp('delete-cas', 'n2', { index: idx + 7 }), nodeOp('delete-cas', 'ghost', { index: 1 }), nodeOp('frob', 'n2')]))).toEqual([
      [0, 'failed to set node "n2", index is stale'],
      [1, 'node "ghost" doesn\'t exist'],
      [2, 'failed to delete node "n2", index is stale'],
      [3, 'failed to delete node "ghost", index is stale'],
      [4, 'unknown Node verb "frob"'],
    ]);
    const idx2 = h.next;
    const res = ok(h.txn([nodeOp('cas', 'n2', { index: idx, address: '10.0.0.10' }), nodeOp('get', 'n2'), nodeOp('cas', 'n3', { index: 0 })]));
    expect(res.map((r) => r.kind === 'node' && [r.node.Node, r.node.Address, r.node.ModifyIndex])).toEqual([
      ['n2', '10.0.0.10', idx2],
      ['n2', '10.0.0.10', idx2],
      ['n3', '10.0.0.9', idx2],
    ]);
    expect(ok(h.txn([nodeOp('delete-cas', 'n2', { index: idx2 }), nodeOp('delete', 'n3'), nodeOp('delete', 'ghost')]))).toEqual([]);
    expect(h.store.catalog.nodes().value).toEqual([]);
  });

  it('a node ID that another node owns is refused, as a catalog registration is', () => {
    const h = new Harness();
    const id = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    ok(h.txn([nodeOp('set', 'n1', { id })]));
    expect(errors(h.txn([nodeOp('set', 'n2', { id })]))).toEqual([
      [0, `failed inserting node: Error aliasing node: node ID "${id}" for node "n2" aliases existing node "n1"`],
    ]);
    // get by ID finds the node whatever the name says.
    expect(ok(h.txn([nodeOp('get', 'whatever', { id })]))[0]).toMatchObject({ node: { Node: 'n1' } });
  });

  it('services: set needs the node; cas, get, delete-cas; a rename carries over to the service\'s checks', () => {
    const h = new Harness();
    expect(errors(h.txn([serviceOp('set', 'n9', 'db')]))).toEqual([[0, 'Missing node registration']]);
    const idx = h.next;
    const res = ok(h.txn([nodeOp('set', 'n9'), serviceOp('set', 'n9', 'db', { port: 5432, tags: ['primary'] }), checkOp('set', 'n9', 'db-alive', { serviceId: 'db' })]));
    expect(res[1]).toMatchObject({ kind: 'service', service: { ID: 'db', Service: 'db', Port: 5432, Tags: ['primary'], CreateIndex: idx, ModifyIndex: idx } });
    expect(res[2]).toMatchObject({ kind: 'check', check: { CheckID: 'db-alive', ServiceName: 'db', ServiceTags: ['primary'], Node: 'n9' } });
    expect(errors(h.txn([serviceOp('cas', 'n9', 'db', { index: 0 }), serviceOp('cas', 'n9', 'new', { index: 3 }), serviceOp('get', 'n9', 'nope'), serviceOp('delete-cas', 'n9', 'db', { index: 1 })]))).toEqual([
      [0, 'failed to set service "db" on node "n9", index is stale'],
      [1, 'failed to set service "new" on node "n9", index is stale'],
      [2, 'service "nope" on node "n9" doesn\'t exist'],
      [3, 'failed to delete service "db" on node "n9", index is stale'],
    ]);
    const idx2 = h.next;
    const res2 = ok(h.txn([serviceOp('cas', 'n9', 'db', { index: idx, port: 5433, tags: ['replica'] }), checkOp('get', 'n9', 'db-alive')]));
    expect(res2[1]).toMatchObject({ check: { ServiceTags: ['replica'], ModifyIndex: idx2 } });
    expect(ok(h.txn([serviceOp('delete-cas', 'n9', 'db', { index: idx2 })]))).toEqual([]);
    expect(h.store.catalog.check('n9', 'db-alive')).toBeUndefined(); // went with its service
  });

  it('checks: set needs the node and the service it names; cas and delete-cas by index', () => {
    const h = new Harness();
    h.node('n1', []);
    expect(errors(h.txn([checkOp('set', 'ghost', 'c'), checkOp('set', 'n1', 'c', { serviceId: 'nosvc' }), checkOp('get', 'n1', 'c'), checkOp('zap', 'n1', 'c')]))).toEqual([
      [0, 'Missing node registration'],
      [1, 'Missing service registration'],
      [2, 'check "c" on node "n1" doesn\'t exist'],
      [3, 'unknown Check verb "zap"'],
    ]);
    const idx = h.next;
    expect(ok(h.txn([checkOp('cas', 'n1', 'c', { index: 0, output: 'fine' })]))[0]).toMatchObject({ check: { CheckID: 'c', Output: 'fine', Status: 'passing', CreateIndex: idx } });
    expect(errors(h.txn([checkOp('cas', 'n1', 'c', { index: 0 }), checkOp('delete-cas', 'n1', 'c', { index: 999 })]))).toEqual([
      [0, 'failed to set check "c" on node "n1", index is stale'],
      [1, 'failed to delete check "c" on node "n1", index is stale'],
    ]);
    expect(ok(h.txn([checkOp('delete-cas', 'n1', 'c', { index: idx })]))).toEqual([]);
    expect(h.store.catalog.check('n1', 'c')).toBeUndefined();
  });

  it('a transaction mixing KV and catalog ops commits both at one index, or neither', () => {
    const h = new Harness();
    h.node('n1');
    const catalogIdx = h.store.catalog.tableIndex();
    const woken: string[] = [];
    h.store.catalog.watchTables(['nodes', 'services', 'checks'], () => woken.push('tables'));
    h.store.catalog.watchService('api', () => woken.push('api'));
    h.store.catalog.watchNode('n1', () => woken.push('n1'));
    const failed = h.txn([kv('set', 'cfg/web', { value: 'on' }), serviceOp('set', 'n1', 'api', { port: 8080 }), kv('check-index', 'cfg/web', { index: 1 })]);
    expect(failed.ok).toBe(false);
    expect(h.store.catalog.serviceInstances('api').value).toEqual([]);
    expect(h.store.catalog.tableIndex()).toBe(catalogIdx);
    expect(h.catalogChanges.length).toBe(1); // only the setup registration
    expect(woken).toEqual([]);
    const idx = h.next;
    ok(h.txn([kv('set', 'cfg/web', { value: 'on' }), serviceOp('set', 'n1', 'api', { port: 8080 })]));
    expect(h.entry('cfg/web')!.modifyIndex).toBe(idx);
    expect(h.store.catalog.serviceInstances('api')).toMatchObject({ index: idx, value: [{ service: { Port: 8080 } }] });
    expect(woken.sort()).toEqual(['api', 'n1', 'tables']);
  });

  it('service and check delete: absent targets are no-ops; an op naming no ID never removes the node', () => {
    const h = new Harness();
    h.node('n1', [['serfHealth', 'passing']]);
    expect(ok(h.txn([checkOp('delete', 'n1', 'serfHealth'), serviceOp('delete', 'n1', 'web'), serviceOp('delete', 'n1', 'ghost'), checkOp('delete', 'ghost', 'c'), serviceOp('delete', 'n1', ''), checkOp('delete', 'n1', '')]))).toEqual([]);
    expect(h.store.catalog.check('n1', 'serfHealth')).toBeUndefined();
    expect(h.store.catalog.node('n1').value).toMatchObject({ node: { Node: 'n1' }, services: [] });
  });

  it('catalog ops that take a node or check away invalidate its sessions, which later ops see', () => {
    const h = new Harness();
    h.node('n1');
    h.session(S1, 'delete');
    h.session(S2);
    h.apply({ type: 'kv.lock', key: 'eph', value: bytes('v'), flags: '0', session: S1, now: T0 });
    h.apply({ type: 'kv.lock', key: 'held', value: bytes('v'), flags: '0', session: S2, now: T0 });
    // The node's serfHealth turns critical: both sessions go, `eph` is deleted, `held` released.
    const out = h.txn([checkOp('set', 'n1', 'serfHealth', { status: 'critical' }), kv('check-not-exists', 'eph'), kv('check-session', 'held', { session: '' }), kv('lock', 'x', { session: S2 })]);
    expect(errors(out)).toEqual([[3, `invalid session "${S2}"`]]);
    expect(h.store.sessions.size()).toBe(2); // rolled back
    ok(h.txn([checkOp('set', 'n1', 'serfHealth', { status: 'critical' }), kv('check-not-exists', 'eph'), kv('check-session', 'held', { session: '' })]));
    expect(h.store.sessions.size()).toBe(0);
    expect(h.entry('eph')).toBeNull();
    expect(h.entry('held')).toMatchObject({ session: '', lockIndex: 1 });
  });
});

describe('read-only transactions (TxnRO)', () => {
  it('answer results or errors from the current state without touching it', () => {
    const h = new Harness();
    h.set('r/a', 'A');
    h.node('n1');
    const readers = h.store;
    const out = readTxn([kv('get', 'r/a'), kv('get-tree', 'r/'), nodeOp('get', 'n1'), serviceOp('get', 'n1', 'web'), checkOp('get', 'n1', 'serfHealth')], readers);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.results.map((r) => r.kind)).toEqual(['kv', 'kv', 'node', 'service', 'check']);
    expect(text((out.results[0] as { entry: { value: Uint8Array } }).entry.value)).toBe('A');
    expect(readTxn([kv('get', 'r/zz'), kv('check-index', 'r/a', { index: 99 })], readers)).toEqual({
      ok: false,
      errors: [
        { opIndex: 0, what: 'key "r/zz" doesn\'t exist' },
        { opIndex: 1, what: 'failed index check for key "r/a", current modify index 1 != 99' },
      ],
    });
  });
});

describe('goQuote (Go\'s %q)', () => {
  it('quotes like strconv.Quote', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('tab\there\n')).toBe('"tab\\there\\n"');
    expect(goQuote('\u0001\u007f')).toBe('"\\x01\\x7f"');
    expect(goQuote('héllo ✓')).toBe('"héllo ✓"');
    expect(goQuote('\u200b')).toBe('"\\u200b"');
  });
});
