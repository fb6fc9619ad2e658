import type { CatalogLoss } from './catalog-table.js';
import { MAX_LOCK_DELAY_MS } from './kv-table.js';
import type { KvLockResult, SessionCreateCommand, SessionWriteResult } from './session-command.js';
import { checkIdsOf } from './session-table.js';
import type { StateTables } from './state-tables.js';

/**
 * The write rules that join sessions to the KV table and the catalog (Consul's
 * agent/consul/state/session.go and kvs.go), shared by the single commands and the operations
 * of a transaction. Each runs on the tables inside the caller's transaction.
 */

/**
 * Consul's KVS lock: refused (false) while the key's lock-delay runs past `now` — checked
 * first, as Consul's leader does before committing — then an error value for a missing or
 * unknown session, then kvsLockTxn.
 */
export function lockKey(t: StateTables, idx: number, key: string, value: Uint8Array, flags: string, session: string, now: number): KvLockResult {
  if (t.kv.lockDelayUntil(key) > now) return false;
  if (session === '') return { error: 'missing session' };
  if (!t.sessions.get(session)) return { error: `invalid session ${JSON.stringify(session)}` };
  return t.kv.lock(idx, key, value, flags, session, now);
}

/** Consul's sessionCreateTxn: the node must exist, and every check exist on it and not be critical. */
export function createSession(t: StateTables, idx: number, cmd: SessionCreateCommand): SessionWriteResult {
  const f = cmd.session;
  if (t.sessions.get(f.ID)) return { ok: false, error: 'Session ID already exists' };
  if (!t.catalog.node(f.Node).value) return { ok: false, error: 'Missing node registration' };
  for (const checkId of checkIdsOf(f)) {
    const check = t.catalog.check(f.Node, checkId);
    if (!check) return { ok: false, error: `Missing check '${checkId}' registration` };
    if (check.Status === 'critical') return { ok: false, error: `Check '${checkId}' is in critical state` };
  }
  t.sessions.create(idx, f, cmd.ttlMs, cmd.now);
  return { ok: true };
}

/**
 * Invalidates session `id` at `idx` (Consul's sessionDestroyTxn): removes it, then releases or
 * deletes every key it held per its Behavior, starting on each the lock-delay
 * min(LockDelay, 60 s) from `now` (the proposing leader's clock). Absent: nothing happens.
 */
export function invalidateSession(t: StateTables, idx: number, id: string, now: number): void {
  const s = t.sessions.remove(idx, id);
  if (!s) return;
  const delayMs = Math.min(s.view.LockDelay / 1e6, MAX_LOCK_DELAY_MS);
  t.kv.releaseSession(idx, id, s.view.Behavior, delayMs > 0 && now > 0 ? now + delayMs : 0);
}

/**
 * After a catalog write: invalidates the sessions bound to a node or check it took away (same
 * index), lock-delays from `now`, and deletes the coordinates of a node it took away (Consul's
 * deleteNodeTxn).
 */
export function afterCatalogWrite(t: StateTables, idx: number, now: number): void {
  const losses: CatalogLoss[] = t.catalog.takeLosses();
  for (const loss of losses) {
    if (loss.checkId === undefined) t.coordinates.deleteNode(idx, loss.node);
    const ids = loss.checkId === undefined ? t.sessions.idsOnNode(loss.node) : t.sessions.idsOnCheck(loss.node, loss.checkId);
    for (const id of ids) invalidateSession(t, idx, id, now);
  }
}
