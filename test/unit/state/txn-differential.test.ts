import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../../../contracts/model/health.js';
import type { Command } from '../../../src/state/command.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';
import type { TxnCatalogStateOp, TxnKvStateOp, TxnStateOp, TxnStateOutcome } from '../../../src/state/txn-op.js';
import { bytes } from './state-harness.js';

/**
 * Differential check of the transaction machinery: a random transaction over a small universe
 * of keys, sessions, nodes, services and checks is applied (1) as one txn command and (2) op by
 * op with the ordinary single-purpose commands (kv.cas, kv.lock, catalog.register, …) on a copy
 * of the same state. The txn must fail exactly the ops the sequential oracle fails, and when it
 * succeeds it must leave the same KV, catalog and sessions (indexes aside).
 */

const T0 = 1_700_000_000_000;
const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';
const KEYS = ['a', 'b', 'p/c', 'p/d'];

function apply(store: StateStore, cmd: Command): unknown {
  return store.apply({ index: store.lastApplied() + 1, term: 1, data: encodeCommand(cmd) });
}

function register(node: string, opts: { service?: string; check?: [string, HealthStatus, string]; skip?: boolean } = {}): Command {
  return {
    type: 'catalog.register',
    node: { ID: '', Node: node, Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: {} },
    skipNodeUpdate: opts.skip ?? false,
    service: opts.service ? { ID: opts.service, Service: opts.service, Tags: [], Address: '', Port: 80, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false } : null,
    checks: opts.check ? [{ CheckID: opts.check[0], Name: opts.check[0], Status: opts.check[1], Notes: '', Output: '', ServiceID: opts.check[2], Type: '' }] : [],
    now: T0,
  };
}

/** The base state: keys, node n1 (service web, checks serfHealth + web-up), two sessions holding locks. */
function baseStore(): StateStore {
  const s = new StateStore();
  apply(s, register('n1', { service: 'web', check: ['serfHealth', 'passing', ''] }));
  apply(s, register('n1', { skip: true, check: ['web-up', 'passing', 'web'] }));
  for (const [id, behavior] of [[S1, 'release'], [S2, 'delete']] as const) {
    apply(s, {
      type: 'session.create',
      session: { ID: id, Name: '', Node: 'n1', LockDelay: 1_000_000_000, Behavior: behavior, TTL: '', NodeChecks: ['serfHealth'], ServiceChecks: id === S2 ? [{ ID: 'web-up', Namespace: '' }] : null, Checks: [] },
      ttlMs: 0,
      now: T0,
    });
  }
  apply(s, { type: 'kv.set', key: 'a', value: bytes('A'), flags: '0' });
  apply(s, { type: 'kv.lock', key: 'b', value: bytes('B'), flags: '0', session: S1, now: T0 });
  apply(s, { type: 'kv.lock', key: 'p/c', value: bytes('C'), flags: '0', session: S2, now: T0 });
  return s;
}

async function copy(store: StateStore): Promise<StateStore> {
  const c = new StateStore();
  c.restore(await store.snapshot(), store.lastApplied());
  return c;
}

const stub = (node: string) => ({ ID: '', Node: node, Address: '', Datacenter: '', TaggedAddresses: {}, Meta: {} });

const arbIndex = fc.integer({ min: 0, max: 9 });
const arbKey = fc.constantFrom(...KEYS);
const arbSession = fc.constantFrom(S1, S2, '');
const arbValue = fc.constantFrom('A', 'B', 'x');

const arbKv: fc.Arbitrary<TxnKvStateOp> = fc.record({
  kind: fc.constant('kv' as const),
  verb: fc.constantFrom('set', 'cas', 'lock', 'unlock', 'delete', 'delete-cas', 'delete-tree', 'check-index', 'check-session', 'check-not-exists', 'get'),
  key: arbKey,
  value: arbValue.map(bytes),
  flags: fc.constant('0'),
  index: arbIndex,
  session: arbSession,
});

const arbCatalog: fc.Arbitrary<TxnCatalogStateOp> = fc.oneof(
  fc.record({ verb: fc.constantFrom('set', 'delete'), node: fc.constantFrom('n1', 'n2') }).map(({ verb, node }) => ({
    kind: 'node' as const,
    verb,
    index: 0,
    register: register(node) as TxnCatalogStateOp['register'],
  })),
  fc.record({ verb: fc.constantFrom('set', 'delete'), node: fc.constantFrom('n1', 'n2'), id: fc.constantFrom('web', 'db') }).map(({ verb, node, id }) => ({
    kind: 'service' as const,
    verb,
    index: 0,
    register: { ...(register(node, { service: id, skip: true }) as TxnCatalogStateOp['register']), node: stub(node) },
  })),
  fc
    .record({ verb: fc.constantFrom('set', 'delete'), node: fc.constantFrom('n1', 'n2'), id: fc.constantFrom('serfHealth', 'web-up', 'c9'), status: fc.constantFrom<HealthStatus>('passing', 'critical'), svc: fc.constantFrom('', 'web', 'db') })
    .map(({ verb, node, id, status, svc }) => ({
      kind: 'check' as const,
      verb,
      index: 0,
      register: { ...(register(node, { check: [id, status, svc], skip: true }) as TxnCatalogStateOp['register']), node: stub(node) },
    })),
);

/** Applies `op` with the single-purpose commands; answers whether it succeeded. */
function oracleStep(s: StateStore, op: TxnStateOp, now: number): boolean {
  if (op.kind === 'kv') {
    const e = s.kv.get(op.key).value;
    switch (op.verb) {
      case 'set':
        return apply(s, { type: 'kv.set', key: op.key, value: op.value, flags: op.flags }) === true;
      case 'cas':
        return apply(s, { type: 'kv.cas', key: op.key, value: op.value, flags: op.flags, index: op.index }) === true;
      case 'lock':
        return apply(s, { type: 'kv.lock', key: op.key, value: op.value, flags: op.flags, session: op.session, now }) === true;
      case 'unlock':
        return apply(s, { type: 'kv.unlock', key: op.key, value: op.value, flags: op.flags, session: op.session }) === true;
      case 'delete':
        return apply(s, { type: 'kv.delete', key: op.key }) === true;
      case 'delete-cas':
        return apply(s, { type: 'kv.delete-cas', key: op.key, index: op.index }) === true;
      case 'delete-tree':
        return apply(s, { type: 'kv.delete-tree', prefix: op.key }) === true;
      case 'check-index':
        return e !== null && e.modifyIndex === op.index;
      case 'check-session':
        return e !== null && e.session === op.session;
      case 'check-not-exists':
        return e === null;
      default:
        return e !== null; // get
    }
  }
  const reg = op.register;
  if (op.verb === 'delete') {
    const serviceId = op.kind === 'service' ? reg.service!.ID : '';
    const checkId = op.kind === 'check' ? reg.checks[0]!.CheckID : '';
    return (apply(s, { type: 'catalog.deregister', node: reg.node.Node, serviceId, checkId, now }) as { ok: boolean }).ok;
  }
  if (op.kind !== 'node' && !s.catalog.node(reg.node.Node).value) return false; // ensureServiceTxn / ensureCheckTxn
  return (apply(s, { ...reg, now }) as { ok: boolean }).ok;
}

/** What two stores must agree on (indexes aside). */
function view(s: StateStore) {
  return {
    kv: s.kv.list('').value.map((e) => [e.key, Buffer.from(e.value).toString(), e.session, e.lockIndex]),
    sessions: s.sessions.list().value.map((x) => x.ID),
    nodes: s.catalog.nodes().value.map((n) => n.Node),
    services: s.catalog.allInstances().value.map((i) => `${i.node.Node}/${i.service.ID}`),
    checks: s.catalog.allChecks().value.map((c) => `${c.Node}/${c.CheckID}/${c.Status}/${c.ServiceName}`),
  };
}

describe('txn vs sequential single commands (differential)', () => {
  it('fails exactly the ops the sequential oracle fails, and otherwise ends in the same state', async () => {
    const base = baseStore();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(arbKv, arbCatalog), { minLength: 1, maxLength: 8 }), fc.constantFrom(T0, T0 + 500, T0 + 2000), async (ops, now) => {
        const viaTxn = await copy(base);
        const oracle = await copy(base);
        const failedOracle: number[] = [];
        // Consul checks lock-delays before the transaction runs.
        const delayed = ops.flatMap((op, i) => (op.kind === 'kv' && op.verb === 'lock' && base.kv.lockDelayUntil(op.key) > now ? [i] : []));
        ops.forEach((op, i) => {
          if (!oracleStep(oracle, op, now)) failedOracle.push(i);
        });
        const out = apply(viaTxn, { type: 'txn', ops, now }) as TxnStateOutcome;
        const failedTxn = out.ok ? [] : out.errors.map((e) => e.opIndex);
        if (delayed.length > 0) {
          expect(failedTxn).toEqual(delayed);
          return;
        }
        expect(failedTxn).toEqual(failedOracle);
        if (out.ok) expect(view(viaTxn)).toEqual(view(oracle));
        else expect(view(viaTxn)).toEqual(view(base));
      }),
      { numRuns: 400, seed: 20240605 },
    );
  });
});
