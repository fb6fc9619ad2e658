import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { TxnCheckOp, TxnKvOp, TxnNodeOp, TxnOp, TxnServiceOp } from '../../../contracts/services/txn-service.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import { TxnEndpoint } from '../../../src/rpc/txn-endpoint.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakeRaft } from './fake-raft.js';

const T0 = 1_700_000_000_000;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function setup() {
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const clock = new ManualClock(T0);
  const txn = new TxnEndpoint({ store, raft, clock, config: { datacenter: 'dc1' } });
  return { store, raft, clock, txn };
}

function kv(Verb: string, Key: string, over: Partial<TxnKvOp> = {}): TxnOp {
  return { KV: { Verb, Key, Value: new Uint8Array(0), Flags: '0', Index: 0, Session: '', ...over } };
}
function node(Verb: string, over: Partial<TxnNodeOp['Node']> = {}): TxnOp {
  return { Node: { Verb, Node: { ID: '', Node: 'n1', Address: '10.1.1.1', Datacenter: '', TaggedAddresses: {}, Meta: {}, ModifyIndex: 0, ...over } } };
}
function service(Verb: string, over: Partial<TxnServiceOp['Service']> = {}, nodeName = 'n1'): TxnOp {
  return {
    Service: {
      Verb,
      Node: nodeName,
      Service: { ID: '', Service: '', Tags: [], Address: '', Meta: {}, Port: 0, Weights: { Passing: 0, Warning: 0 }, EnableTagOverride: false, Kind: '', ModifyIndex: 0, ...over },
    },
  };
}
function check(Verb: string, over: Partial<TxnCheckOp['Check']> = {}): TxnOp {
  return { Check: { Verb, Check: { Node: 'n1', CheckID: '', Name: '', Status: '', Notes: '', Output: '', ServiceID: '', Type: '', ModifyIndex: 0, ...over } } };
}

describe('TxnEndpoint', () => {
  it('a write transaction is one Raft proposal answering Results (KV entries, node, service view, check view)', async () => {
    const { txn, raft, store } = setup();
    const out = await txn.apply(
      [kv('set', 'a', { Value: enc('1') }), node('set'), service('set', { Service: 'web', Port: 80 }), check('set', { Name: 'alive', Definition: { HTTP: 'http://x' } })],
      'default',
    );
    expect(raft.proposals).toBe(1);
    expect(out.errors).toBeNull();
    expect(out.readMeta).toBeUndefined();
    expect(out.results).toEqual([
      { KV: expect.objectContaining({ key: 'a', value: new Uint8Array(0), createIndex: 1, modifyIndex: 1 }) },
      { Node: expect.objectContaining({ Node: 'n1', Datacenter: 'dc1', Address: '10.1.1.1' }) },
      // servicePreApply defaults the ID to the name; the view carries Consul's Proxy/Connect.
      { Service: expect.objectContaining({ ID: 'web', Service: 'web', Port: 80, Weights: { Passing: 0, Warning: 0 }, Proxy: { MeshGateway: {}, Expose: {} }, Connect: {} }) },
      // checkPreApply: the ID from the name, the type from the definition, critical by default.
      { Check: expect.objectContaining({ CheckID: 'alive', Type: 'http', Status: 'critical', Definition: { HTTP: 'http://x' } }) },
    ]);
    expect(new TextDecoder().decode(store.kv.get('a').value!.value)).toBe('1');
  });

  it('a rollback answers Errors with OpIndex and proposes once; the state is untouched', async () => {
    const { txn, raft, store } = setup();
    await txn.apply([kv('set', 'a')], 'default');
    const out = await txn.apply([kv('cas', 'a', { Value: enc('1'), Index: 5 }), kv('set', 'b', { Value: enc('2') })], 'default');
    expect(out).toEqual({ results: null, errors: [{ OpIndex: 0, What: 'failed to set key "a", index is stale' }] });
    expect(raft.proposals).toBe(2);
    expect(store.kv.get('b').value).toBeNull();
    expect(store.kv.tableIndex()).toBe(1);
  });

  it('pre-apply checks fail the transaction without proposing (Consul preCheck texts)', async () => {
    const { txn, raft } = setup();
    const out = await txn.apply(
      [
        kv('set', ''),
        kv('delete-tree', ''), // allowed: the whole store
        node('set', { Node: '' }),
        node('set', { ID: 'not-a-uuid' }),
        node('set', { ID: 'zzzzzzzz-bbbb-cccc-dddd-eeeeeeeeeeee' }),
        service('set', { ID: 'svc1' }),
        service('set', { Service: 'web', Address: '0.0.0.0' }),
        check('set', { Status: 'bogus', Name: 'c' }),
        check('set', {}),
      ],
      'default',
    );
    expect(out.errors).toEqual([
      { OpIndex: 0, What: 'Must provide key' },
      { OpIndex: 2, What: 'Must provide node' },
      { OpIndex: 3, What: 'Bad node ID: uuid string is wrong length' },
      { OpIndex: 4, What: "Bad node ID: encoding/hex: invalid byte: U+007A 'z'" },
      { OpIndex: 5, What: 'Must provide service name with ID' },
      { OpIndex: 6, What: 'Invalid service address' },
      { OpIndex: 7, What: 'Invalid check status "bogus": must be passing, warning, critical or maintenance' },
      { OpIndex: 8, What: 'Must provide CheckID or Name' },
    ]);
    expect(raft.proposals).toBe(0);
  });

  it('a read-only transaction is served locally in the asked consistency, without Raft', async () => {
    const { txn, raft, store } = setup();
    await txn.apply([kv('set', 'r', { Value: enc('x') })], 'default');
    raft.proposals = 0;
    raft.contactMs = 42;
    const ops = [kv('get', 'r'), kv('check-index', 'r', { Index: 1 }), kv('check-not-exists', 'zz'), kv('get-tree', 'r')];
    const stale = await txn.apply(ops, 'stale');
    expect(stale.errors).toBeNull();
    expect(stale.results!.map((r) => ('KV' in r ? r.KV.value.byteLength : -1))).toEqual([1, 0, 1]);
    expect(stale.readMeta).toEqual({ index: store.kv.tableIndex(), knownLeader: true, lastContactMs: 42 });
    expect(raft.barriers).toEqual([]);
    await txn.apply(ops, 'consistent');
    await txn.apply(ops, 'default');
    expect(raft.barriers).toEqual(['consistent', 'default']);
    expect(raft.proposals).toBe(0);
    // Unknown KV verbs only read (Consul's isWrite): a 409 from the read path.
    const bad = await txn.apply([kv('frobnicate', 'r')], 'stale');
    expect(bad).toMatchObject({ results: null, errors: [{ OpIndex: 0, What: 'unknown KV verb "frobnicate"' }], readMeta: { knownLeader: true } });
    expect(raft.proposals).toBe(0);
  });

  it('a read-only transaction fails with NO_LEADER when no barrier can be had, unless stale', async () => {
    const { txn, raft } = setup();
    raft.barrierError = new SextantError(ErrorCode.NoLeader, 'No cluster leader');
    await expect(txn.apply([kv('get-tree', 'x')], 'default')).rejects.toMatchObject({ code: ErrorCode.NoLeader });
    await expect(txn.apply([kv('get-tree', 'x')], 'stale')).resolves.toMatchObject({ results: [], errors: null });
  });

  it('node/service/check verbs other than get are writes (even unknown ones) and go through Raft', async () => {
    const { txn, raft } = setup();
    const out = await txn.apply([node('bogus'), service('get', { ID: 'x' })], 'default');
    expect(raft.proposals).toBe(1);
    expect(out.errors).toEqual([
      { OpIndex: 0, What: 'unknown Node verb "bogus"' },
      { OpIndex: 1, What: 'service "x" on node "n1" doesn\'t exist' },
    ]);
  });

  it('stamps lock commands with the clock: a lock inside the lock-delay fails, after it succeeds', async () => {
    const { txn, store, clock, raft } = setup();
    const apply = (cmd: Parameters<typeof encodeCommand>[0]) => raft.propose(encodeCommand(cmd));
    await txn.apply([node('set')], 'default');
    await txn.apply([check('set', { CheckID: 'serfHealth', Status: 'passing' })], 'default');
    const session = (id: string) =>
      apply({ type: 'session.create', session: { ID: id, Name: '', Node: 'n1', LockDelay: 2_000_000_000, Behavior: 'release', TTL: '', NodeChecks: ['serfHealth'], ServiceChecks: null, Checks: [] }, ttlMs: 0, now: clock.now() });
    const s1 = '11111111-1111-1111-1111-111111111111';
    const s2 = '22222222-2222-2222-2222-222222222222';
    await session(s1);
    await session(s2);
    expect((await txn.apply([kv('lock', 'L', { Session: s1 })], 'default')).errors).toBeNull();
    await apply({ type: 'session.destroy', id: s1, now: clock.now() });
    clock.advance(1000);
    expect((await txn.apply([kv('lock', 'L', { Session: s2 })], 'default')).errors).toEqual([{ OpIndex: 0, What: 'failed to lock key "L" due to lock delay' }]);
    clock.advance(1001);
    const ok = await txn.apply([kv('lock', 'L', { Session: s2 })], 'default');
    expect(ok.results).toEqual([{ KV: expect.objectContaining({ session: s2, lockIndex: 2 }) }]);
    expect(store.kv.get('L').value!.session).toBe(s2);
  });

  it('refuses more than 64 operations as TOO_LARGE with Consul\'s text', async () => {
    const { txn } = setup();
    const ops = Array.from({ length: 65 }, (_, i) => kv('set', `k${i}`));
    await expect(txn.apply(ops, 'default')).rejects.toMatchObject({ code: ErrorCode.TooLarge, message: 'Transaction contains too many operations (65 > 64)' });
    await expect(txn.apply(ops.slice(0, 64), 'default')).resolves.toMatchObject({ errors: null });
  });
});
