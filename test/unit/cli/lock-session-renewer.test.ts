import { describe, expect, it } from 'vitest';
import { SessionRenewer } from '../../../src/cli/lock/session-renewer.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakeLockApi, flush } from './lock-fake-api.js';

describe('SessionRenewer (Consul RenewPeriodic)', () => {
  it('renews every TTL/2, retries every second after errors, and gives up after a TTL without a renew', async () => {
    const mc = new ManualClock();
    const api = new FakeLockApi(mc);
    const id = await api.createSession({ Name: 'n', TTL: '10s' });
    const r = new SessionRenewer(api, mc, id, '10s');
    r.start();
    for (let i = 0; i < 4; i++) {
      mc.advance(5_000);
      await flush();
    }
    expect(api.sessions.get(id)!.renews).toBe(4);
    api.renewError = new Error('Unexpected response code: 500 (No cluster leader)');
    const failedFrom = api.calls.length;
    for (let i = 0; i < 12 && r.gaveUp === undefined; i++) {
      mc.advance(1_000);
      await flush();
    }
    expect(r.gaveUp).toBe('failing');
    // 5 s to the first failed renew, then one a second until more than a TTL (10 s) has passed
    // since the last success: failures at +5, +6, … +11 s.
    expect(api.calls.slice(failedFrom).filter((c) => c === 'renewSession').length).toBe(7);
    await r.stop();
    expect(api.sessions.has(id)).toBe(false); // stop() destroys the session
  });

  it('stops when the session is gone (404)', async () => {
    const mc = new ManualClock();
    const api = new FakeLockApi(mc);
    const id = await api.createSession({ Name: 'n', TTL: '15s' });
    const r = new SessionRenewer(api, mc, id, '15s');
    r.start();
    await api.destroySession(id);
    mc.advance(7_500);
    await flush();
    expect(r.gaveUp).toBe('expired');
    expect(mc.pending()).toBe(0);
  });
});
