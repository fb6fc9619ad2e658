import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../../src/state/command.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import type { SessionFields } from '../../../src/state/session-command.js';
import { StateStore } from '../../../src/state/state-store.js';
import type { TxnKvStateOp } from '../../../src/state/txn-op.js';
import { kvCommandArbitraries } from '../../support/kv-command-arbitrary.js';
import { observeKv } from '../../support/observe-kv.js';

/**
 * StateStore.snapshot() copies the bytes of KV rows unchanged since its previous image
 * (KvRowCache): every image must still be byte for byte the one a store holding the same state
 * encodes from scratch, and must restore to that state.
 */

const T0 = 1_700_000_000_000;
const SESSIONS = ['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222'];

const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

const key = fc.constantFrom('a', 'a/', 'a/b', 'a/c', 'ab', 'b', 'b/x/y', '', 'é', '\u{1F600}', 'z/1', 'z/2', 'z/3');
const value = fc.uint8Array({ maxLength: 12 });
const flags = fc.constantFrom('0', '1', '18446744073709551615');
const idx = fc.integer({ min: 0, max: 60 });
const session = fc.constantFrom(...SESSIONS);
const txnOp: fc.Arbitrary<TxnKvStateOp> = fc.record({
  kind: fc.constant('kv' as const),
  verb: fc.constantFrom('set', 'cas', 'delete', 'delete-cas', 'lock', 'unlock', 'delete-tree'),
  key,
  value,
  flags,
  index: idx,
  session,
});

/** KV writes, CAS, deletes, reaps, transactions (some failing and rolled back) and the session lifecycle. */
const op: fc.Arbitrary<Command> = fc.oneof(
  ...kvCommandArbitraries({ key, value, flags, idx }, 6),
  { weight: 2, arbitrary: fc.record({ type: fc.constant('kv.lock' as const), key, value, flags, session, now: fc.constant(T0) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('kv.unlock' as const), key, value, flags, session }) },
  { weight: 1, arbitrary: fc.tuple(session, fc.constantFrom('release' as const, 'delete' as const)).map(([id, behavior]) => sessionCreate(id, behavior)) },
  { weight: 1, arbitrary: session.map((id): Command => ({ type: 'session.destroy', id, now: T0 })) },
  { weight: 2, arbitrary: fc.array(txnOp, { minLength: 1, maxLength: 4 }).map((ops): Command => ({ type: 'txn', ops, now: T0 })) },
);

function sessionCreate(id: string, behavior: 'release' | 'delete'): Command {
  const s: SessionFields = { ID: id, Name: '', Node: 'n1', LockDelay: 0, Behavior: behavior, TTL: '', NodeChecks: ['serfHealth'], ServiceChecks: null, Checks: [] };
  return { type: 'session.create', session: s, ttlMs: 0, now: T0 };
}

/** The node sessions need, registered first in every history. */
const NODE: Command = {
  type: 'catalog.register',
  node: { ID: '', Node: 'n1', Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: {} },
  skipNodeUpdate: false,
  service: null,
  checks: [{ CheckID: 'serfHealth', Name: 'serfHealth', Status: 'passing', Notes: '', Output: '', ServiceID: '', Type: 'ttl' }],
  now: T0,
};

/** A store and the commands it applied, at indexes 1, 2, … */
class Recorded {
  readonly store = new StateStore();
  readonly history: Command[] = [];
  apply(cmds: Command[]): void {
    for (const c of cmds) {
      this.history.push(c);
      this.store.apply({ index: this.history.length, term: 1, data: encodeCommand(c) });
    }
  }
  /** The image a fresh store fed the first `upTo` commands encodes (from scratch: it never took a snapshot). */
  async fromScratch(upTo = this.history.length): Promise<Uint8Array> {
    const twin = new StateStore();
    this.history.slice(0, upTo).forEach((c, i) => twin.apply({ index: i + 1, term: 1, data: encodeCommand(c) }));
    return twin.snapshot();
  }
}

/** Everything a client can observe of the KV table. */
function observe(s: StateStore): unknown {
  return { ...observeKv(s, ['', 'a', 'a/', 'b', 'z']), held: SESSIONS.map((id) => s.kv.heldBy(id)) };
}

function kvSet(k: string, v: string): Command {
  return { type: 'kv.set', key: k, value: new TextEncoder().encode(v), flags: '0' };
}

describe('incremental state snapshots (KV rows reused from the previous image)', () => {
  it('every image equals the from-scratch image of the same state, across rounds of writes, and restores to it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 30 }), { minLength: 2, maxLength: 6 }), async (rounds) => {
        const a = new Recorded();
        a.apply([NODE]);
        for (const round of rounds) {
          a.apply(round);
          const image = await a.store.snapshot();
          expect(bytes(image).equals(bytes(await a.fromScratch()))).toBe(true);
          const copy = new StateStore();
          copy.restore(image, a.store.lastApplied());
          expect(observe(copy)).toEqual(observe(a.store));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is the cut at the freeze while writes replace rows during the sliced encode, and the next image sees them', async () => {
    const bigKey = fc.integer({ min: 0, max: 5999 }).map((i) => `big/${String(i).padStart(5, '0')}`);
    const bigOp: fc.Arbitrary<Command> = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(bigKey, fc.uint8Array({ minLength: 1, maxLength: 300 })).map(([k, v]): Command => ({ type: 'kv.set', key: k, value: v, flags: '0' })) },
      { weight: 1, arbitrary: bigKey.map((k): Command => ({ type: 'kv.delete', key: k })) },
      { weight: 1, arbitrary: fc.tuple(bigKey, session).map(([k, s]): Command => ({ type: 'kv.lock', key: k, value: new Uint8Array([1]), flags: '0', session: s, now: T0 })) },
    );
    const base: Command[] = [NODE, sessionCreate(SESSIONS[0]!, 'delete'), sessionCreate(SESSIONS[1]!, 'release')];
    const pad = 'x'.repeat(500);
    for (let i = 0; i < 6000; i++) base.push(kvSet(`big/${String(i).padStart(5, '0')}`, `${i}${pad}`));
    await fc.assert(
      fc.asyncProperty(fc.array(bigOp, { minLength: 1, maxLength: 50 }), fc.array(bigOp, { minLength: 20, maxLength: 200 }), async (before, during) => {
        const a = new Recorded();
        a.apply(base);
        await a.store.snapshot(); // the previous image whose rows the next one reuses
        a.apply(before);
        const frozenAt = a.history.length;
        const pending = a.store.snapshot();
        let settled = false;
        let appliedDuring = 0;
        void pending.finally(() => (settled = true));
        const queue = [...during];
        await new Promise<void>((resolve) => {
          const step = (): void => {
            if (settled || queue.length === 0) return resolve();
            a.apply(queue.splice(0, 3));
            appliedDuring++;
            setImmediate(step);
          };
          setImmediate(step);
        });
        const image = await pending;
        expect(appliedDuring).toBeGreaterThan(0);
        expect(bytes(image).equals(bytes(await a.fromScratch(frozenAt)))).toBe(true);
        a.apply(queue);
        const next = await a.store.snapshot();
        expect(bytes(next).equals(bytes(await a.fromScratch()))).toBe(true);
      }),
      { numRuns: 8 },
    );
  }, 120_000);

  it('forgets the previous image on restore: a different state with the same keys and indexes is encoded afresh', async () => {
    const a = new Recorded();
    const b = new Recorded();
    a.apply([kvSet('k/1', 'a1'), kvSet('k/2', 'a2'), kvSet('k/3', 'a3')]);
    b.apply([kvSet('k/1', 'b1'), kvSet('k/2', 'b2'), kvSet('k/3', 'b3')]);
    await a.store.snapshot();
    const imageB = await b.store.snapshot();
    a.store.restore(imageB, 3);
    expect(bytes(await a.store.snapshot()).equals(bytes(imageB))).toBe(true);
    expect(a.store.kv.get('k/2').value?.value).toEqual(new TextEncoder().encode('b2'));
  });

  it('a snapshot begun while the one before it is still encoding compares with the last finished image, not with that one', async () => {
    const a = new Recorded();
    a.apply([kvSet('k/1', 'v1'), kvSet('k/2', 'v2'), kvSet('k/3', 'v3')]);
    await a.store.snapshot();
    a.apply([kvSet('k/1', 'changed before the second freeze')]);
    const second = a.store.snapshot();
    const secondAt = a.history.length;
    a.apply([kvSet('k/2', 'changed before the third freeze')]);
    const third = a.store.snapshot();
    expect(bytes(await second).equals(bytes(await a.fromScratch(secondAt)))).toBe(true);
    expect(bytes(await third).equals(bytes(await a.fromScratch()))).toBe(true);
    a.apply([kvSet('k/3', 'changed before the fourth freeze')]);
    expect(bytes(await a.store.snapshot()).equals(bytes(await a.fromScratch()))).toBe(true);
  });

  it('a snapshot still being encoded when the state is restored records nothing for the next one', async () => {
    const a = new Recorded();
    const b = new Recorded();
    a.apply([kvSet('k/1', 'a1'), kvSet('k/2', 'a2')]);
    b.apply([kvSet('k/1', 'b1'), kvSet('k/2', 'b2')]);
    const imageB = await b.store.snapshot();
    const pending = a.store.snapshot();
    a.store.restore(imageB, 2);
    await pending;
    expect(bytes(await a.store.snapshot()).equals(bytes(imageB))).toBe(true);
  });

  it('never reuses a restored row whose ModifyIndex is above lastApplied, even when a later write lands at that index', async () => {
    // An image from another cluster (PUT /v1/snapshot) may carry indexes this cluster has not reached yet.
    const other = new StateStore();
    other.apply({ index: 1000, term: 1, data: encodeCommand(kvSet('k', 'theirs')) });
    const theirs = await other.snapshot();
    const a = new StateStore();
    a.apply({ index: 1, term: 1, data: encodeCommand(kvSet('mine', '1')) });
    a.apply({ index: 2, term: 1, data: encodeCommand({ type: 'state.restore', image: theirs }) });
    await a.snapshot();
    a.apply({ index: 1000, term: 1, data: encodeCommand(kvSet('k', 'ours, written at 1000 too')) });
    const image = await a.snapshot();
    const twin = new StateStore();
    twin.restore(theirs, 2);
    twin.apply({ index: 1000, term: 1, data: encodeCommand(kvSet('k', 'ours, written at 1000 too')) });
    expect(bytes(image).equals(bytes(await twin.snapshot()))).toBe(true);
    const copy = new StateStore();
    copy.restore(image, 1000);
    expect(new TextDecoder().decode(copy.kv.get('k').value!.value)).toBe('ours, written at 1000 too');
  });
});
