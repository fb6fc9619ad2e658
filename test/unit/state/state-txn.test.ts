import { decode, encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import type { KvChange } from '../../../contracts/hooks.js';
import type { HealthStatus } from '../../../contracts/model/health.js';
import type { CatalogRegisterCommand } from '../../../src/state/catalog-command.js';
import type { Command } from '../../../src/state/command.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { StateTxn, type Deferred, type Undoable } from '../../../src/state/state-txn.js';
import type { TxnKvStateOp, TxnStateOp, TxnStateOutcome } from '../../../src/state/txn-op.js';
import { bytes, text } from './state-harness.js';

const T0 = 1_700_000_000_000;
const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';
const S3 = '33333333-3333-3333-3333-333333333333';

/** A StateStore fed commands at consecutive indexes, recording every hook, TTL listener call and wake-up. */
class Harness {
  readonly kvChanges: KvChange[] = [];
  readonly catalogChanges: (readonly string[])[] = [];
  readonly ttlCalls: [string, number][] = [];
  readonly woken: string[] = [];
  readonly store = new StateStore({ onKvChange: (c) => this.kvChanges.push(c), onCatalogChange: (s) => this.catalogChanges.push(s) });
  next = 1;
  constructor() {
    this.store.sessions.onTtlChange((id, at) => this.ttlCalls.push([id, at]));
  }
  apply(cmd: Command): unknown {
    return this.store.apply({ index: this.next++, term: 1, data: encodeCommand(cmd) });
  }
  txn(ops: TxnStateOp[], now = T0): TxnStateOutcome {
    return this.apply({ type: 'txn', ops, now }) as TxnStateOutcome;
  }
  /** Hooks, TTL calls and wake-ups so far. */
  observed(): number {
    return this.kvChanges.length + this.catalogChanges.length + this.ttlCalls.length + this.woken.length;
  }
  /** Parks a watcher on every key, prefix, table, service, node and session this file uses. */
  watchEverything(): void {
    const w = (name: string) => () => this.woken.push(name);
    const { kv, catalog, sessions } = this.store;
    for (const k of ['a', 'b', 'held', 'eph', 'p/1', 'p/2', 'new']) kv.watchKey(k, w(`kv:${k}`));
    kv.watchPrefix('', w('kv:*'));
    kv.watchPrefix('p/', w('kv:p/'));
    catalog.watchTables(['nodes', 'services', 'checks'], w('catalog:tables'));
    for (const s of ['web', 'db', 'api']) catalog.watchService(s, w(`service:${s}`));
    for (const n of ['n1', 'n2', 'n3']) catalog.watchNode(n, w(`node:${n}`));
    sessions.watchTable(w('sessions'));
    for (const s of [S1, S2, S3]) sessions.watchSession(s, w(`session:${s}`));
    sessions.watchNode('n2', w('sessions:n2'));
  }
}

function register(node: string, opts: { id?: string; service?: [string, string, string[]?]; checks?: [string, HealthStatus, string?][]; skip?: boolean; address?: string } = {}): CatalogRegisterCommand {
  return {
    type: 'catalog.register',
    node: { ID: opts.id ?? '', Node: node, Address: opts.address ?? '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: {} },
    skipNodeUpdate: opts.skip ?? false,
    service: opts.service
      ? { ID: opts.service[0], Service: opts.service[1], Tags: opts.service[2] ?? [], Address: '', Port: 80, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false }
      : null,
    checks: (opts.checks ?? []).map(([id, status, svc]) => ({ CheckID: id, Name: id, Status: status, Notes: '', Output: '', ServiceID: svc ?? '', Type: 'ttl' })),
    now: T0,
  };
}

function kv(verb: string, key: string, over: Partial<Omit<TxnKvStateOp, 'kind' | 'verb' | 'key' | 'value'>> & { value?: string } = {}): TxnKvStateOp {
  return { kind: 'kv', verb, key, value: bytes(over.value ?? ''), flags: over.flags ?? '0', index: over.index ?? 0, session: over.session ?? '' };
}

const stub = (node: string) => ({ ID: '', Node: node, Address: '', Datacenter: '', TaggedAddresses: {}, Meta: {} });

function nodeOp(verb: string, name: string, over: { id?: string; address?: string; index?: number } = {}): TxnStateOp {
  return { kind: 'node', verb, index: over.index ?? 0, register: { ...register(name, { id: over.id, address: over.address ?? '10.0.0.9' }), now: undefined } };
}

function serviceOp(verb: string, node: string, id: string, name = id, over: { index?: number; tags?: string[] } = {}): TxnStateOp {
  return { kind: 'service', verb, index: over.index ?? 0, register: { ...register(node, { service: [id, name, over.tags], skip: true }), node: stub(node), now: undefined } };
}

function checkOp(verb: string, node: string, id: string, status: HealthStatus = 'passing', serviceId = '', index = 0): TxnStateOp {
  return { kind: 'check', verb, index, register: { ...register(node, { checks: [[id, status, serviceId]], skip: true }), node: stub(node), now: undefined } };
}

/**
 * A state with something in every structure: KV entries (locked and plain), tombstones, lock-delays
 * (several, so their order shows), nodes with IDs, services (one on two nodes), node and service
 * checks, TTL and plain sessions bound to nodes and checks, and warm derived caches.
 */
function richState(): Harness {
  const h = new Harness();
  h.apply(register('n1', { id: 'aaaaaaaa-0000-0000-0000-000000000001', service: ['web', 'web', ['v1']], checks: [['serfHealth', 'passing'], ['web-up', 'passing', 'web']] }));
  h.apply(register('n2', { id: 'aaaaaaaa-0000-0000-0000-000000000002', service: ['web', 'web'], checks: [['serfHealth', 'passing']] }));
  h.apply(register('n2', { skip: true, service: ['db', 'db'] }));
  h.apply(register('n3', { service: ['api', 'api'], checks: [['serfHealth', 'passing']] }));
  const session = (id: string, node: string, behavior: 'release' | 'delete', ttlMs: number, serviceChecks: string[] = []) =>
    h.apply({
      type: 'session.create',
      session: { ID: id, Name: '', Node: node, LockDelay: 10_000_000_000, Behavior: behavior, TTL: ttlMs ? '10s' : '', NodeChecks: ['serfHealth'], ServiceChecks: serviceChecks.map((c) => ({ ID: c, Namespace: '' })), Checks: [] },
      ttlMs,
      now: T0,
    });
  session(S1, 'n1', 'release', 10_000, ['web-up']);
  session(S2, 'n2', 'delete', 10_000);
  session(S3, 'n2', 'release', 0);
  h.apply({ type: 'kv.set', key: 'a', value: bytes('A'), flags: '0' });
  h.apply({ type: 'kv.set', key: 'p/1', value: bytes('P1'), flags: '7' });
  h.apply({ type: 'kv.set', key: 'gone', value: bytes('x'), flags: '0' });
  h.apply({ type: 'kv.delete', key: 'gone' }); // a tombstone
  h.apply({ type: 'kv.lock', key: 'held', value: bytes('H'), flags: '0', session: S1, now: T0 });
  h.apply({ type: 'kv.lock', key: 'eph', value: bytes('E'), flags: '0', session: S2, now: T0 });
  h.apply({ type: 'kv.lock', key: 'p/2', value: bytes('P2'), flags: '0', session: S3, now: T0 });
  // Two lock-delays: a session holding keys goes away.
  session('44444444-4444-4444-4444-444444444444', 'n3', 'release', 0);
  h.apply({ type: 'kv.lock', key: 'ld/1', value: bytes('L'), flags: '0', session: '44444444-4444-4444-4444-444444444444', now: T0 });
  h.apply({ type: 'kv.lock', key: 'ld/2', value: bytes('L'), flags: '0', session: '44444444-4444-4444-4444-444444444444', now: T0 });
  h.apply({ type: 'session.destroy', id: '44444444-4444-4444-4444-444444444444', now: T0 });
  return h;
}

/** Everything a reader can see, derived caches included (read through them, so they are warm). */
async function everything(s: StateStore) {
  const services = ['web', 'db', 'api', 'new'];
  // The image, in its exact bytes (so in every map's order), lastApplied aside.
  const { lastApplied: _, ...image } = decode(await s.snapshot()) as Record<string, unknown>;
  return {
    snapshot: Buffer.from(encode(image)).toString('base64'),
    kv: s.kv.list('').value,
    kvIndexes: [s.kv.tableIndex(), s.kv.list('p/').index, s.kv.get('gone').index, s.kv.tombstoneCount(), s.kv.keys('', '/').value],
    held: [S1, S2, S3].map((id) => s.kv.heldBy(id)),
    lockDelays: ['ld/1', 'ld/2', 'a', 'held', 'eph'].map((k) => s.kv.lockDelayUntil(k)),
    nodes: s.catalog.nodes(),
    nodeViews: ['n1', 'n2', 'n3'].map((n) => [s.catalog.node(n), s.catalog.nodeChecks(n)]),
    instances: services.map((n) => [s.catalog.serviceInstances(n), s.catalog.serviceIndexFor(n), s.catalog.serviceChecks(n)]),
    allInstances: s.catalog.allInstances(),
    allChecks: s.catalog.allChecks(),
    catalogIndexes: [s.catalog.tableIndex(), s.catalog.tableIndex('nodes'), s.catalog.tableIndex('services'), s.catalog.tableIndex('checks')],
    sessions: s.sessions.list(),
    // (The by-check index shows in what invalidation does: see the "is exact" test.)
    sessionsByNode: ['n1', 'n2', 'n3'].map((n) => s.sessions.onNode(n)),
    ttl: [...s.sessions.ttlDeadlines()],
    watchers: s.watcherCount(),
    lastApplied: s.lastApplied(),
  };
}

/** Ops touching every table, index and cache — then one that fails, so the whole transaction rolls back. */
function sweepingOps(failing: boolean): TxnStateOp[] {
  return [
    kv('set', 'a', { value: 'A2' }),
    kv('set', 'new', { value: 'N' }),
    kv('delete', 'p/1'),
    kv('set', 'gone', { value: 'back' }), // drops a tombstone
    kv('delete-tree', 'ld/'),
    kv('unlock', 'p/2', { session: S3 }),
    kv('lock', 'a', { session: S3 }),
    nodeOp('set', 'n3', { address: '10.9.9.9' }), // node change: every service on it moves
    serviceOp('set', 'n1', 'web', 'web', { tags: ['v2'] }), // tags carried to web-up
    serviceOp('set', 'n3', 'api', 'renamed'), // a rename: api goes extinct
    serviceOp('set', 'n1', 'extra', 'new'),
    checkOp('set', 'n1', 'web-up', 'critical', 'web'), // invalidates S1: `held` released, lock-delay
    nodeOp('delete', 'n2'), // invalidates S2 (deletes `eph`) and S3; services web@n2 and db go
    nodeOp('get', 'x', { id: 'aaaaaaaa-0000-0000-0000-000000000001' }), // reads the (rebuilt) sorted node list
    kv('lock', 'held', { session: S3 }), // fails: S3 went with n2 earlier in this transaction
    ...(failing ? [kv('check-index', 'a', { index: 1 })] : []),
  ];
}

describe('StateTxn', () => {
  it('undoes journaled map, set and order-kept writes exactly, newest first, on abort', () => {
    const tx = new StateTxn();
    const m = new Map([
      ['x', 1],
      ['y', 2],
      ['z', 3],
    ]);
    const s = new Set(['a']);
    const ordered = new Map([
      ['k1', 1],
      ['k2', 2],
      ['k3', 3],
    ]);
    let scalar = 10;
    const undo: Undoable = { undoRecord: (code, a) => void (code === 7 && (scalar = a as number)) };
    tx.begin();
    tx.mapSet(m, 'x', 10);
    tx.mapSet(m, 'w', 4);
    tx.mapDelete(m, 'y');
    tx.mapSet(m, 'x', 100);
    tx.setAdd(s, 'b');
    tx.setDelete(s, 'a');
    tx.keepOrder(ordered);
    ordered.delete('k1');
    ordered.set('k1', 9);
    tx.record(undo, 7, scalar, undefined);
    scalar = 11;
    tx.abort();
    expect([...m]).toEqual([
      ['x', 1],
      ['z', 3],
      ['y', 2],
    ]);
    expect([...s]).toEqual(['a']);
    expect([...ordered]).toEqual([
      ['k1', 1],
      ['k2', 2],
      ['k3', 3],
    ]);
    expect(scalar).toBe(10);
    expect(tx.isOpen).toBe(false);
  });

  it('runs deferred effects at commit in order, none on abort; an effect that throws is reported and the rest run', () => {
    const errors: unknown[] = [];
    const tx = new StateTxn((e) => errors.push(e));
    const ran: string[] = [];
    const fx: Deferred = {
      runDeferred: (a) => {
        if (a === 'boom') throw new Error('boom');
        ran.push(a as string);
      },
    };
    tx.begin();
    tx.defer(fx, 'dropped', undefined);
    tx.abort();
    tx.begin();
    tx.defer(fx, 'one', undefined);
    tx.defer(fx, 'boom', undefined);
    tx.defer(fx, 'two', undefined);
    expect(ran).toEqual([]);
    tx.commit();
    expect(ran).toEqual(['one', 'two']);
    expect(errors).toHaveLength(1);
    tx.commit(); // no-op once ended, as memdb's
    tx.abort();
    expect(ran).toEqual(['one', 'two']);
  });

  it('lets an effect run a whole transaction of its own while commit is still running the others', () => {
    const tx = new StateTxn();
    const ran: string[] = [];
    const inner: Deferred = { runDeferred: (a) => void ran.push(a as string) };
    const outer: Deferred = {
      runDeferred: (a) => {
        ran.push(a as string);
        if (a !== 'first') return;
        tx.begin();
        tx.defer(inner, 'nested', undefined);
        tx.commit();
      },
    };
    tx.begin();
    tx.defer(outer, 'first', undefined);
    tx.defer(outer, 'second', undefined);
    tx.commit();
    expect(ran).toEqual(['first', 'nested', 'second']);
  });

  it('refuses writes outside a transaction and nested transactions (INTERNAL)', () => {
    const tx = new StateTxn();
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return isSextantError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => tx.mapSet(new Map(), 'k', 1))).toBe(ErrorCode.Internal);
    expect(code(() => tx.defer({ runDeferred: () => {} }, 1, 2))).toBe(ErrorCode.Internal);
    tx.begin();
    expect(code(() => tx.begin())).toBe(ErrorCode.Internal);
  });
});

describe('a transaction that aborts', () => {
  it('leaves every table, index and cache as before, wakes no watcher, fires no hook or TTL listener', async () => {
    const h = richState();
    const before = await everything(h.store);
    h.watchEverything();
    const watchers = h.store.watcherCount();
    const seen = h.observed();
    const idx = h.next;
    const out = h.txn(sweepingOps(true), T0 + 1000);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    // Both failures saw the earlier ops: S3 died with n2; `a` was written at this index.
    expect(out.errors.map((e) => e.what)).toEqual([`invalid session "${S3}"`, `failed index check for key "a", current modify index ${idx} != 1`]);
    expect(h.observed()).toBe(seen);
    expect(h.store.watcherCount()).toBe(watchers);
    const after = await everything(h.store);
    expect({ ...after, watchers: before.watchers, lastApplied: before.lastApplied }).toEqual(before);
    expect(after.lastApplied).toBe(before.lastApplied + 1); // the entry itself is applied, as a no-op
  });

  it('is exact: the store then evolves as a copy taken before it', async () => {
    const h = richState();
    const copy = new StateStore();
    copy.restore(await h.store.snapshot(), h.store.lastApplied());
    expect(h.txn(sweepingOps(true), T0 + 1000).ok).toBe(false);
    const idx = h.next;
    const ops = sweepingOps(false).filter((op) => !(op.kind === 'kv' && op.verb === 'lock' && op.key === 'held'));
    const mine = h.txn(ops, T0 + 1000);
    const theirs = copy.apply({ index: idx, term: 1, data: encodeCommand({ type: 'txn', ops, now: T0 + 1000 }) });
    expect(mine.ok).toBe(true);
    expect(mine).toEqual(theirs);
    const a = await everything(h.store);
    const b = await everything(copy);
    expect({ ...a, watchers: 0 }).toEqual({ ...b, watchers: 0 });
  });

  it('read-only transactions run the same code and drop the caches they built from their own writes', async () => {
    const h = richState();
    const before = await everything(h.store);
    h.watchEverything();
    const seen = h.observed();
    const during = h.store.readTransaction((t, idx) => {
      t.kv.set(idx, 'a', bytes('tmp'), '0');
      t.catalog.register(idx, register('n1', { skip: true, service: ['web', 'web', ['tmp']] }));
      t.catalog.register(idx, register('n4'));
      // Reads inside the transaction see its writes (and warm the caches with them).
      return {
        a: text(t.kv.get('a').value!.value),
        tags: t.catalog.serviceInstances('web').value.map((i) => i.service.Tags),
        nodes: t.catalog.nodes().value.map((n) => n.Node),
      };
    });
    expect(during).toEqual({ a: 'tmp', tags: [['tmp'], []], nodes: ['n1', 'n2', 'n3', 'n4'] });
    expect(h.observed()).toBe(seen);
    const after = await everything(h.store);
    expect({ ...after, watchers: before.watchers }).toEqual(before);
  });
});

describe('a transaction sees its own writes', () => {
  it('a later op sees an earlier op\'s write: cas at the set\'s index, lock after set, get after delete', () => {
    const h = richState();
    const idx = h.next;
    const results = h.txn([
      kv('set', 'fresh', { value: '1' }),
      kv('cas', 'fresh', { value: '2', index: idx }), // the set gave it ModifyIndex idx
      kv('check-index', 'fresh', { index: idx }),
      kv('lock', 'fresh', { value: '3', session: S3 }),
      kv('check-session', 'fresh', { session: S3 }),
      kv('delete', 'a'),
      kv('check-not-exists', 'a'),
      kv('get', 'fresh'),
    ]);
    expect(results.ok).toBe(true);
    if (!results.ok) return;
    expect(results.results.map((r) => r.kind === 'kv' && [r.entry.key, r.entry.modifyIndex, r.entry.session, r.entry.lockIndex])).toEqual([
      ['fresh', idx, '', 0],
      ['fresh', idx, '', 0],
      ['fresh', idx, '', 0],
      ['fresh', idx, S3, 1],
      ['fresh', idx, S3, 1],
      ['fresh', idx, S3, 1],
    ]);
    expect(text(h.store.kv.get('fresh').value!.value)).toBe('3');
  });

  it('a service op after the node set, a check op after the service set, a cas at the index just written', () => {
    const h = new Harness();
    const idx = h.next;
    const out = h.txn([
      nodeOp('set', 'n9'),
      serviceOp('set', 'n9', 'db'),
      checkOp('set', 'n9', 'db-alive', 'passing', 'db'),
      serviceOp('cas', 'n9', 'db', 'db', { index: idx, tags: ['primary'] }),
      checkOp('get', 'n9', 'db-alive'),
    ]);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.results.map((r) => r.kind)).toEqual(['node', 'service', 'check', 'service', 'check']);
    expect(out.results[4]).toMatchObject({ check: { ServiceName: 'db', ServiceTags: ['primary'] } });
    // The same ops one by one, each in its own transaction, fail where the node is missing.
    const h2 = new Harness();
    const alone = h2.txn([serviceOp('set', 'n9', 'db')]);
    expect(alone).toEqual({ ok: false, errors: [{ opIndex: 0, what: 'Missing node registration' }] });
  });
});

describe('commit', () => {
  it('fires each watcher once, after the whole command applied; hooks fire per write as before', () => {
    const h = richState();
    const calls: Record<string, number> = {};
    const seenByWatcher: unknown[] = [];
    const count = (name: string) => () => void (calls[name] = (calls[name] ?? 0) + 1);
    h.store.kv.watchKey('a', () => {
      count('a')();
      // Woken after the whole transaction: it sees the op that came after the write to `a`.
      seenByWatcher.push(text(h.store.kv.get('z').value?.value));
    });
    h.store.kv.watchPrefix('', count('*'));
    h.store.catalog.watchService('web', count('web'));
    h.store.catalog.watchTables(['nodes', 'services', 'checks'], count('tables'));
    const hooks = h.kvChanges.length;
    const out = h.txn([kv('set', 'a', { value: '1' }), kv('set', 'a', { value: '2' }), kv('set', 'z', { value: 'last' }), serviceOp('set', 'n1', 'web', 'web', { tags: ['x'] }), serviceOp('set', 'n1', 'web', 'web', { tags: ['y'] })]);
    expect(out.ok).toBe(true);
    expect(calls).toEqual({ a: 1, '*': 1, web: 1, tables: 1 });
    expect(seenByWatcher).toEqual(['last']);
    expect(h.kvChanges.length - hooks).toBe(3);
    expect(h.store.watcherCount()).toBe(0);
  });

  it('a single command also wakes its watchers only once everything it changes is in place', () => {
    const h = richState();
    const seen: unknown[] = [];
    // Deregistering n1 invalidates S1, which releases `held`: the node's watcher sees that already.
    h.store.catalog.watchNode('n1', () => seen.push(h.store.kv.get('held').value?.session, h.store.sessions.get(S1)));
    h.apply({ type: 'catalog.deregister', node: 'n1', serviceId: '', checkId: '', now: T0 });
    expect(seen).toEqual(['', undefined]);
  });
});
