import type { Random } from '../../../contracts/platform.js';

/**
 * Vector arithmetic of the Vivaldi engine (serf's coordinate.go helpers). Callers have
 * already checked that both vectors have the same length.
 */

/** Below this magnitude two positions are taken to be on top of each other. */
export const ZERO_THRESHOLD = 1.0e-6;

/** The component-wise sum `a + b`. */
export function vecAdd(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** The component-wise difference `a - b`. */
export function vecDiff(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** `v` scaled by `factor`. */
export function vecMul(v: readonly number[], factor: number): number[] {
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * factor;
  return out;
}

/** The Euclidean length of `v`. */
export function vecMagnitude(v: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/**
 * A unit vector pointing at `a` from `b`, and the distance between them. When the two
 * positions coincide the direction is random (drawn from `random`, as serf draws it from
 * math/rand) and the distance is 0; if even that vector is degenerate, the first axis.
 */
export function unitVectorAt(a: readonly number[], b: readonly number[], random: Random): [number[], number] {
  const d = vecDiff(a, b);
  const mag = vecMagnitude(d);
  if (mag > ZERO_THRESHOLD) return [vecMul(d, 1.0 / mag), mag];

  for (let i = 0; i < d.length; i++) d[i] = random.next() - 0.5;
  const rmag = vecMagnitude(d);
  if (rmag > ZERO_THRESHOLD) return [vecMul(d, 1.0 / rmag), 0.0];

  const axis = new Array<number>(d.length).fill(0);
  axis[0] = 1.0;
  return [axis, 0.0];
}
