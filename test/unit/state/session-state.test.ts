import { decode, encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../../../contracts/model/health.js';
import type { Command } from '../../../src/state/command.js';
import { decodeCommand, encodeCommand } from '../../../src/state/command-codec.js';
import type { SessionFields } from '../../../src/state/session-command.js';
import { StateStore } from '../../../src/state/state-store.js';
import { bytes, text } from './state-harness.js';

const T0 = 1_700_000_000_000;
const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';
const S3 = '33333333-3333-3333-3333-333333333333';

/** A StateStore fed any command at consecutive indexes. */
class Harness {
  readonly store = new StateStore();
  next = 1;
  apply(cmd: Command): unknown {
    return this.store.apply({ index: this.next++, term: 1, data: encodeCommand(cmd) });
  }
  node(name: string, checks: [string, HealthStatus, string?][] = [['serfHealth', 'passing']], now = T0): void {
    this.apply({
      type: 'catalog.register',
      node: { ID: '', Node: name, Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: {} },
      skipNodeUpdate: false,
      service: checks.some((c) => c[2]) ? { ID: 'web', Service: 'web', Tags: [], Address: '', Port: 80, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false } : null,
      checks: checks.map(([id, status, svc]) => ({ CheckID: id, Name: id, Status: status, Notes: '', Output: '', ServiceID: svc ?? '', Type: 'ttl' })),
      now,
    });
  }
  session(id: string, over: Partial<SessionFields> = {}, ttlMs = 0, now = T0): unknown {
    const session: SessionFields = {
      ID: id, Name: '', Node: 'n1', LockDelay: 15_000_000_000, Behavior: 'release', TTL: ttlMs ? `${ttlMs / 1000}s` : '',
      NodeChecks: ['serfHealth'], ServiceChecks: null, Checks: [], ...over,
    };
    return this.apply({ type: 'session.create', session, ttlMs, now });
  }
  lock(key: string, session: string, now = T0, value = 'v', flags = '0'): unknown {
    return this.apply({ type: 'kv.lock', key, value: bytes(value), flags, session, now });
  }
  unlock(key: string, session: string, value = 'v'): unknown {
    return this.apply({ type: 'kv.unlock', key, value: bytes(value), flags: '0', session });
  }
  destroy(id: string, now = T0): unknown {
    return this.apply({ type: 'session.destroy', id, now });
  }
  entry(key: string) {
    return this.store.kv.get(key).value;
  }
}

function withNode(): Harness {
  const h = new Harness();
  h.node('n1');
  return h;
}

describe('session create (Consul sessionCreateTxn)', () => {
  it('stores Consul\'s Session shape, by ID, and bumps the sessions index', () => {
    const h = withNode();
    expect(h.session(S2, { Name: 'b' })).toEqual({ ok: true });
    expect(h.session(S1, { Name: 'a', LockDelay: 120_000_000_000, Behavior: 'delete' }, 10_000)).toEqual({ ok: true });
    const list = h.store.sessions.list();
    expect(list.index).toBe(3);
    expect(JSON.stringify(list.value[0])).toBe(
      `{"ID":"${S1}","Name":"a","Node":"n1","LockDelay":120000000000,"Behavior":"delete","TTL":"10s","NodeChecks":["serfHealth"],"ServiceChecks":null,"CreateIndex":3,"ModifyIndex":3}`,
    );
    expect(list.value.map((s) => s.ID)).toEqual([S1, S2]);
    expect(h.store.sessions.onNode('N1').value.map((s) => s.ID)).toEqual([S1, S2]);
    expect(h.store.sessions.info(S3)).toEqual({ value: [], index: 3 });
    // The deprecated Checks list is shown (between ServiceChecks and the indexes) only when used.
    h.session(S3, { Checks: ['serfHealth'], NodeChecks: [] });
    expect(Object.keys(h.store.sessions.info(S3).value[0]!)).toEqual(['ID', 'Name', 'Node', 'LockDelay', 'Behavior', 'TTL', 'NodeChecks', 'ServiceChecks', 'Checks', 'CreateIndex', 'ModifyIndex']);
  });

  it('is refused for an unknown node, an unknown check or a critical check, changing nothing', () => {
    const h = new Harness();
    expect(h.session(S1)).toEqual({ ok: false, error: 'Missing node registration' });
    h.node('n1', [['serfHealth', 'passing'], ['bad', 'critical'], ['meh', 'warning'], ['svc-check', 'passing', 'web']]);
    expect(h.session(S1, { NodeChecks: ['nope'] })).toEqual({ ok: false, error: "Missing check 'nope' registration" });
    expect(h.session(S1, { NodeChecks: ['serfHealth', 'bad'] })).toEqual({ ok: false, error: "Check 'bad' is in critical state" });
    expect(h.session(S1, { ServiceChecks: [{ ID: 'ghost', Namespace: '' }] })).toEqual({ ok: false, error: "Missing check 'ghost' registration" });
    expect(h.store.sessions.list().value).toEqual([]);
    expect(h.store.sessions.tableIndex()).toBe(1);
    // warning is fine; service checks and legacy Checks are checks too
    expect(h.session(S1, { NodeChecks: ['meh'], ServiceChecks: [{ ID: 'svc-check', Namespace: '' }], Checks: ['serfHealth'] })).toEqual({ ok: true });
    expect(h.session(S1)).toEqual({ ok: false, error: 'Session ID already exists' });
  });
});

describe('KV locks (kvsLockTxn / kvsUnlockTxn)', () => {
  it('acquire: LockIndex 1 on a new key, same holder keeps it, another session is refused', () => {
    const h = withNode();
    h.session(S1);
    h.session(S2);
    expect(h.lock('k', S1, T0, 'a', '5')).toBe(true);
    expect(h.entry('k')).toMatchObject({ session: S1, lockIndex: 1, createIndex: 4, modifyIndex: 4, flags: '5' });
    expect(h.lock('k', S2)).toBe(false);
    expect(h.entry('k')?.modifyIndex).toBe(4);
    // the holder re-acquiring with the same bytes writes nothing; with new bytes updates the value
    expect(h.lock('k', S1, T0, 'a', '5')).toBe(true);
    expect(h.entry('k')?.modifyIndex).toBe(4);
    expect(h.lock('k', S1, T0, 'b', '5')).toBe(true);
    expect(h.entry('k')).toMatchObject({ session: S1, lockIndex: 1, modifyIndex: 7 });
    expect(text(h.entry('k')?.value)).toBe('b');
    expect(h.store.kv.heldBy(S1)).toEqual(['k']);
  });

  it('release: only the holder; Session cleared, LockIndex kept, ModifyIndex bumped; re-acquire counts up', () => {
    const h = withNode();
    h.session(S1);
    h.session(S2);
    expect(h.unlock('k', S1)).toBe(false); // missing key
    h.lock('k', S1); // 5
    expect(h.unlock('k', S2)).toBe(false);
    expect(h.unlock('k', S1, 'released')).toBe(true); // 7
    expect(h.entry('k')).toMatchObject({ session: '', lockIndex: 1, createIndex: 5, modifyIndex: 7 });
    expect(text(h.entry('k')?.value)).toBe('released');
    expect(h.unlock('k', S1)).toBe(false); // no longer held
    expect(h.lock('k', S2)).toBe(true);
    expect(h.entry('k')).toMatchObject({ session: S2, lockIndex: 2 });
    expect(h.store.kv.heldBy(S1)).toEqual([]);
    expect(h.store.kv.heldBy(S2)).toEqual(['k']);
  });

  it('an unknown or missing session is an error value; nothing is written', () => {
    const h = withNode();
    expect(h.lock('k', S3)).toEqual({ error: `invalid session "${S3}"` });
    expect(h.lock('k', '')).toEqual({ error: 'missing session' });
    expect(h.unlock('k', '')).toEqual({ error: 'missing session' });
    expect(h.entry('k')).toBeNull();
  });

  it("a plain set keeps the holder but takes LockIndex 0 from the write (Consul's kvsSetTxn)", () => {
    const h = withNode();
    h.session(S1);
    h.lock('k', S1, T0, 'v');
    h.apply({ type: 'kv.set', key: 'k', value: bytes('v'), flags: '0' });
    expect(h.entry('k')).toMatchObject({ session: S1, lockIndex: 0, modifyIndex: 4 });
    // The holder still holds it: another session cannot take it, and invalidation releases it.
    h.session(S2);
    expect(h.lock('k', S2)).toBe(false);
    h.destroy(S1);
    expect(h.entry('k')).toMatchObject({ session: '', lockIndex: 0 });
  });
});

describe('invalidation releases or deletes held keys and starts the lock-delay', () => {
  it('destroy with behavior release: Session cleared, LockIndex kept, ModifyIndex bumped; watchers woken', () => {
    const h = withNode();
    h.session(S1); // 2
    h.lock('a', S1); // 3
    h.lock('b', S1); // 4
    h.apply({ type: 'kv.set', key: 'c', value: bytes('x'), flags: '0' }); // 5
    const woken: string[] = [];
    h.store.kv.watchKey('a', () => woken.push('a'));
    h.store.kv.watchKey('c', () => woken.push('c'));
    h.store.sessions.watchSession(S1, () => woken.push('session'));
    expect(h.destroy(S1)).toBe(true); // 6
    expect(h.entry('a')).toMatchObject({ session: '', lockIndex: 1, modifyIndex: 6, createIndex: 3 });
    expect(h.entry('b')).toMatchObject({ session: '', lockIndex: 1, modifyIndex: 6 });
    expect(h.entry('c')?.modifyIndex).toBe(5);
    expect(woken.sort()).toEqual(['a', 'session']);
    expect(h.store.sessions.info(S1)).toEqual({ value: [], index: 6 });
    expect(h.destroy(S1)).toBe(true); // idempotent, changes nothing
    expect(h.store.sessions.tableIndex()).toBe(6);
  });

  it('destroy with behavior delete removes the held keys (tombstones keep prefix indexes)', () => {
    const h = withNode();
    h.session(S1, { Behavior: 'delete' });
    h.lock('svc/leader', S1);
    h.apply({ type: 'kv.set', key: 'svc/other', value: bytes('x'), flags: '0' });
    h.destroy(S1); // 5
    expect(h.entry('svc/leader')).toBeNull();
    expect(h.entry('svc/other')).not.toBeNull();
    expect(h.store.kv.list('svc/').index).toBe(5);
  });

  it('lock-delay: acquire refused for any session until the deadline, allowed after; capped at 60 s; sub-second works', () => {
    const h = withNode();
    h.session(S1, { LockDelay: 2_000_000_000 });
    h.session(S2);
    h.lock('k', S1);
    h.destroy(S1, T0 + 1000);
    expect(h.store.kv.lockDelayUntil('k')).toBe(T0 + 3000);
    expect(h.lock('k', S2, T0 + 2999)).toBe(false);
    expect(h.lock('k', S3, T0 + 2999)).toBe(false); // checked before the session, as Consul's leader does
    expect(h.lock('k', S2, T0 + 3000)).toBe(true);

    h.session(S3, { LockDelay: 600_000_000_000 }); // 10 min asked, 60 s applied
    h.lock('long', S3);
    h.destroy(S3, T0);
    expect(h.store.kv.lockDelayUntil('long')).toBe(T0 + 60_000);

    const g = withNode();
    g.session(S1, { LockDelay: 1_000_000 }); // 1 ms
    g.session(S2, { LockDelay: 0 });
    g.lock('x', S1);
    g.lock('y', S2);
    g.destroy(S1, T0);
    g.destroy(S2, T0);
    g.session(S3);
    expect(g.lock('x', S3, T0)).toBe(false);
    expect(g.lock('x', S3, T0 + 1)).toBe(true);
    expect(g.lock('y', S3, T0)).toBe(true); // no delay at all
  });

  it('a release by the holder starts no lock-delay', () => {
    const h = withNode();
    h.session(S1);
    h.session(S2);
    h.lock('k', S1);
    h.unlock('k', S1);
    expect(h.lock('k', S2, T0)).toBe(true);
  });

  it('node deregistered invalidates its sessions (lock-delay from the command time)', () => {
    const h = withNode();
    h.node('n2');
    h.session(S1);
    h.session(S2, { Node: 'n2' });
    h.lock('a', S1);
    h.lock('b', S2);
    h.apply({ type: 'catalog.deregister', node: 'n1', serviceId: '', checkId: '', now: T0 + 500 });
    expect(h.store.sessions.list().value.map((s) => s.ID)).toEqual([S2]);
    expect(h.entry('a')).toMatchObject({ session: '' });
    expect(h.entry('b')).toMatchObject({ session: S2 });
    expect(h.store.kv.lockDelayUntil('a')).toBe(T0 + 500 + 15_000);
    // The invalidation happened in the same entry as the deregistration.
    expect(h.entry('a')?.modifyIndex).toBe(h.store.lastApplied());
    expect(h.store.sessions.tableIndex()).toBe(h.store.lastApplied());
  });

  it('a check deregistered, or written critical, invalidates the sessions bound to it; warning does not', () => {
    const h = new Harness();
    h.node('n1', [['serfHealth', 'passing'], ['c2', 'passing'], ['svc', 'passing', 'web']]);
    h.session(S1, { NodeChecks: ['serfHealth'] });
    h.session(S2, { NodeChecks: ['c2'] });
    h.session(S3, { NodeChecks: [], ServiceChecks: [{ ID: 'svc', Namespace: '' }] });
    h.lock('k2', S2);
    h.node('n1', [['serfHealth', 'warning'], ['c2', 'passing'], ['svc', 'passing', 'web']]);
    expect(h.store.sessions.size()).toBe(3);
    h.node('n1', [['serfHealth', 'critical'], ['c2', 'passing'], ['svc', 'passing', 'web']]);
    expect(h.store.sessions.list().value.map((s) => s.ID)).toEqual([S2, S3]);
    h.apply({ type: 'catalog.deregister', node: 'n1', serviceId: '', checkId: 'c2', now: T0 });
    expect(h.store.sessions.list().value.map((s) => s.ID)).toEqual([S3]);
    expect(h.entry('k2')).toMatchObject({ session: '' });
    // deregistering the service takes its checks with it
    h.apply({ type: 'catalog.deregister', node: 'n1', serviceId: 'web', checkId: '', now: T0 });
    expect(h.store.sessions.size()).toBe(0);
  });
});

describe('TTL bookkeeping (deadlines are replicated values)', () => {
  it('create sets now + 2 × TTL, renew moves it, expire only at or after the deadline', () => {
    const h = withNode();
    h.session(S1, {}, 10_000, T0);
    expect(h.store.sessions.get(S1)?.expiresAt).toBe(T0 + 20_000);
    const seen: [string, number][] = [];
    h.store.sessions.onTtlChange((id, at) => seen.push([id, at]));
    expect(h.apply({ type: 'session.renew', ids: [S1, S2], now: T0 + 5000 })).toEqual([true, false]);
    expect(h.store.sessions.get(S1)?.expiresAt).toBe(T0 + 25_000);
    expect(h.store.sessions.tableIndex()).toBe(2); // a renew is not a change clients see
    expect(h.apply({ type: 'session.expire', id: S1, now: T0 + 24_999 })).toBe(false);
    expect(h.apply({ type: 'session.expire', id: S1, now: T0 + 25_000 })).toBe(true);
    expect(h.apply({ type: 'session.expire', id: S1, now: T0 + 25_000 })).toBe(false);
    expect(seen).toEqual([[S1, T0 + 25_000], [S1, 0]]);
    // sessions without TTL never expire
    h.session(S2);
    expect(h.apply({ type: 'session.expire', id: S2, now: T0 + 1e12 })).toBe(false);
    expect([...h.store.sessions.ttlDeadlines()]).toEqual([]);
  });
});

describe('snapshot and codec', () => {
  it('a v3 snapshot carries sessions, deadlines, held keys and lock-delays', async () => {
    const h = withNode();
    h.session(S1, { Behavior: 'delete' }, 10_000);
    h.session(S2, { LockDelay: 5_000_000_000 });
    h.lock('held', S1);
    h.lock('delayed', S2);
    h.destroy(S2, T0);
    const snap = await h.store.snapshot();
    expect((decode(snap) as { v: number }).v).toBe(3);
    const r = new StateStore();
    r.restore(snap, h.store.lastApplied());
    expect(r.sessions.list()).toEqual(h.store.sessions.list());
    expect(r.sessions.get(S1)?.expiresAt).toBe(T0 + 20_000);
    expect(r.kv.heldBy(S1)).toEqual(['held']);
    expect(r.kv.lockDelayUntil('delayed')).toBe(T0 + 5000);
    // and behaves the same afterwards
    r.apply({ index: h.store.lastApplied() + 1, term: 1, data: encodeCommand({ type: 'session.destroy', id: S1, now: T0 }) });
    expect(r.kv.get('held').value).toBeNull();
  });

  it('restores v2 images (no sessions) and tells TTL listeners about sessions that went away', () => {
    const h = withNode();
    h.session(S1, {}, 10_000);
    const seen: [string, number][] = [];
    h.store.sessions.onTtlChange((id, at) => seen.push([id, at]));
    h.store.restore(encode({ v: 2, lastApplied: 50, kv: { index: 0, entries: [], tombstones: [] }, catalog: undefined }), 50);
    expect(h.store.sessions.size()).toBe(0);
    expect(seen).toEqual([[S1, 0]]);
  });

  it('round-trips every new command', () => {
    const session: SessionFields = { ID: S1, Name: 'n', Node: 'n1', LockDelay: 1, Behavior: 'delete', TTL: '15.0s', NodeChecks: null, ServiceChecks: [{ ID: 'x', Namespace: '' }], Checks: ['a'] };
    const cmds: Command[] = [
      { type: 'session.create', session, ttlMs: 15_000, now: T0 + 0.5 },
      { type: 'session.destroy', id: S1, now: T0 },
      { type: 'session.renew', ids: [S1, S2], now: T0 },
      { type: 'session.expire', id: S1, now: T0 },
      { type: 'kv.lock', key: 'k', value: bytes('v'), flags: '18446744073709551615', session: S1, now: T0 },
      { type: 'kv.unlock', key: 'k', value: bytes('v'), flags: '0', session: S1 },
      { type: 'catalog.deregister', node: 'n', serviceId: '', checkId: 'c', now: T0 },
    ];
    for (const c of cmds) expect(decodeCommand(encodeCommand(c))).toEqual(c);
    expect(() => decodeCommand(encode([33, 1, S1, -1]))).toThrow(/field 3 of command tag 33/);
    expect(() => decodeCommand(encode([32, 1, { session: { ...session, Behavior: 'keep' }, ttlMs: 0, now: 0 }]))).toThrow(/Behavior/);
  });
});
