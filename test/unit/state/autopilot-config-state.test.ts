import { describe, expect, it } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import type { AutopilotSettings } from '../../../contracts/services/operator-service.js';
import { decodeCommand, encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';

const SETTINGS: AutopilotSettings = { cleanupDeadServers: true, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 0, serverStabilizationTimeMs: 10_000 };

function applier() {
  const store = new StateStore();
  let index = 0;
  const set = (settings: AutopilotSettings, cas?: number, skip = 0): unknown => {
    index += 1 + skip;
    return store.apply({ index, term: 1, data: encodeCommand(cas === undefined ? { type: 'autopilot.set-config', settings } : { type: 'autopilot.set-config', settings, cas }) });
  };
  return { store, set };
}

describe('autopilot configuration in the replicated state (Consul\'s autopilot-config table)', () => {
  it('is absent until written; an unconditional write stores it with CreateIndex kept and ModifyIndex moved', () => {
    const h = applier();
    expect(h.store.autopilot.get()).toBeUndefined();
    expect(h.set(SETTINGS)).toBe(true);
    expect(h.store.autopilot.get()).toEqual({ settings: SETTINGS, createIndex: 1, modifyIndex: 1 });
    expect(h.set({ ...SETTINGS, minQuorum: 3 }, undefined, 4)).toBe(true);
    expect(h.store.autopilot.get()).toEqual({ settings: { ...SETTINGS, minQuorum: 3 }, createIndex: 1, modifyIndex: 6 });
  });

  it('a CAS write stores only when the ModifyIndex matches (false before anything is stored, as Consul)', () => {
    const h = applier();
    expect(h.set(SETTINGS, 0)).toBe(false);
    expect(h.store.autopilot.get()).toBeUndefined();
    h.set(SETTINGS); // index 2
    expect(h.set({ ...SETTINGS, maxTrailingLogs: 1 }, 1)).toBe(false);
    expect(h.store.autopilot.get()?.settings.maxTrailingLogs).toBe(250);
    expect(h.set({ ...SETTINGS, maxTrailingLogs: 1 }, 2)).toBe(true);
    expect(h.store.autopilot.get()).toMatchObject({ settings: { maxTrailingLogs: 1 }, createIndex: 2, modifyIndex: 4 });
  });

  it('travels in snapshots; an image without it restores to none', async () => {
    const h = applier();
    h.set({ ...SETTINGS, cleanupDeadServers: false });
    const image = await h.store.snapshot();
    const copy = new StateStore();
    copy.restore(image, 1);
    expect(copy.autopilot.get()).toEqual(h.store.autopilot.get());
    const empty = await new StateStore().snapshot();
    copy.restore(empty, 5);
    expect(copy.autopilot.get()).toBeUndefined();
  });

  it('rejects malformed records with COMMAND_INVALID', () => {
    const bad = encodeCommand({ type: 'autopilot.set-config', settings: { ...SETTINGS, maxTrailingLogs: -1 } });
    expect(() => decodeCommand(bad)).toThrow();
    try {
      decodeCommand(bad);
    } catch (e) {
      expect(isSextantError(e) ? e.code : '').toBe('COMMAND_INVALID');
    }
  });
});
