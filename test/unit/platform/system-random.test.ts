import { describe, expect, it } from 'vitest';
import { SystemRandom } from '../../../src/platform/system-random.js';

/** The production Random: every method answers in its range (serf's reconnect and jittered timers call next() on live agents). */
describe('SystemRandom', () => {
  const random = new SystemRandom();

  it('next() gives floats in [0, 1), spread over the interval', () => {
    const xs = Array.from({ length: 2000 }, () => random.next());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.filter((x) => x < 0.5).length).toBeGreaterThan(800);
    expect(xs.filter((x) => x >= 0.5).length).toBeGreaterThan(800);
  });

  it('int(n) stays below n, and 0 for n ≤ 1', () => {
    expect(Array.from({ length: 500 }, () => random.int(7)).every((i) => Number.isInteger(i) && i >= 0 && i < 7)).toBe(true);
    expect(random.int(1)).toBe(0);
    expect(random.int(0)).toBe(0);
  });

  it('bytes(n) and uuid() have the asked shape', () => {
    expect(random.bytes(12)).toHaveLength(12);
    expect(random.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
