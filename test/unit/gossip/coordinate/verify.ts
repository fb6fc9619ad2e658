import { expect } from 'vitest';

/** serf's verifyEqualFloats: equal within 1e-6. */
export function expectEqualFloats(a: number, b: number): void {
  expect(Math.abs(a - b), `${a} != ${b}`).toBeLessThanOrEqual(1.0e-6);
}

/** serf's verifyEqualVectors: same length, components equal within 1e-6. */
export function expectEqualVectors(a: readonly number[], b: readonly number[]): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expectEqualFloats(a[i]!, b[i]!);
}
