import { describe, expect, it } from 'vitest';
import { SimStorage } from '../../../src/testing/sim-storage.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

const e = (index: number) => ({ index, term: 1, type: 0 as const, data: new Uint8Array([index]) });

describe('SimStorage (crashable in-memory RaftStorage)', () => {
  it('acknowledges writes only after the simulated fsync and loses un-synced ones on crash', async () => {
    const clock = new ManualClock();
    const s = new SimStorage(clock, 5);
    const first = s.log.storeLogs([e(1), e(2)]);
    clock.advance(5);
    await first;
    const second = s.log.storeLogs([e(3)]);
    const hard = s.stable.setHardState({ currentTerm: 4, votedFor: 'x' });
    expect(await s.log.lastIndex()).toBe(3); // reads see pending writes
    s.crash();
    await expect(second).rejects.toThrow(/crash/);
    await expect(hard).rejects.toThrow(/crash/);
    expect(await s.log.lastIndex()).toBe(2);
    expect(await s.stable.getHardState()).toEqual({ currentTerm: 0, votedFor: '' });
    expect(s.durableLog().map((x) => x.index)).toEqual([1, 2]);
  });

  it('deletes ranges and keeps snapshots', async () => {
    const clock = new ManualClock();
    const s = new SimStorage(clock, 0);
    await s.log.storeLogs([e(1), e(2), e(3), e(4)]);
    await s.log.deleteRange(3, Infinity);
    await s.log.deleteRange(1, 1);
    expect(await s.log.firstIndex()).toBe(2);
    expect((await s.log.getLogs(1, 10)).map((x) => x.index)).toEqual([2]);
    const snap = { meta: { lastIndex: 2, lastTerm: 1, configuration: new Uint8Array() }, data: new Uint8Array([1]) };
    await s.snapshots.saveSnapshot(snap);
    expect(await s.snapshots.latestSnapshot()).toEqual(snap);
  });
});
