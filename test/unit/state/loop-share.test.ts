import { describe, expect, it } from 'vitest';
import { LoopShare } from '../../../src/state/loop-share.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';

/**
 * A simulated event loop on a millisecond clock: each turn handed back runs the others' work for
 * `othersMs()` (fractions of a millisecond accumulate, as real time does under a coarse clock);
 * each slice of the job takes `sliceMs`. Returns the job's part of the time and the turns it used.
 */
async function run(share: number, sliceMs: number, othersMs: () => number, slices: number): Promise<{ jobPart: number; turnsPerSlice: number }> {
  const clock = new ManualClock();
  let exact = 0; // the true time, ms
  const advanceTo = (t: number): void => {
    exact = t;
    const whole = Math.floor(exact) - (clock.now() - 1_700_000_000_000);
    if (whole > 0) clock.advance(whole);
  };
  let turns = 0;
  let others = 0;
  const pacer = new LoopShare(clock, share, async () => {
    turns++;
    const d = othersMs();
    others += d;
    advanceTo(exact + d);
  });
  for (let i = 0; i < slices; i++) {
    advanceTo(exact + sliceMs);
    await pacer.yield();
  }
  return { jobPart: (slices * sliceMs) / (slices * sliceMs + others), turnsPerSlice: turns / slices };
}

describe('LoopShare (pacing a sliced job on a busy event loop)', () => {
  it('holds a job to about its share while other work fills the loop, however the turns fall against the clock', async () => {
    const random = new SeededRandom(7);
    for (const [share, sliceMs, turnMs] of [
      [0.1, 0.12, 0.25],
      [0.1, 0.3, 2],
      [0.25, 0.12, 0.5],
      [0.25, 0.3, 0.1],
    ] as const) {
      const r = await run(share, sliceMs, () => turnMs * (0.5 + random.int(1001) / 1000), 4000);
      // A job never gets more than a slice a turn, so its part is at most sliceMs / (sliceMs + turnMs).
      const reachable = Math.min(share, sliceMs / (sliceMs + turnMs));
      const what = `share ${share}, slices of ${sliceMs} ms, turns of ~${turnMs} ms`;
      expect(r.jobPart, what).toBeGreaterThan(reachable * 0.8);
      expect(r.jobPart, what).toBeLessThan(share * 1.2);
    }
  });

  it('runs a slice every few turns on an idle loop', async () => {
    const r = await run(0.1, 0.12, () => 0.002, 2000);
    expect(r.turnsPerSlice).toBeLessThanOrEqual(16);
    expect(r.jobPart).toBeGreaterThan(0.75);
  });
});
