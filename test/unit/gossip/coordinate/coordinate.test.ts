import { encode, decode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../../contracts/errors.js';
import { defaultCoordinateConfig } from '../../../../src/gossip/coordinate/config.js';
import { Coordinate, goDurationSeconds } from '../../../../src/gossip/coordinate/coordinate.js';
import { SeededRandom } from '../../../../src/testing/seeded-random.js';
import { expectEqualFloats, expectEqualVectors } from './verify.js';

// Ported from hashicorp/serf coordinate/coordinate_test.go: same values and tolerances.

function expectDimensionConflict(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(isSextantError(thrown, ErrorCode.Internal)).toBe(true);
  expect((thrown as Error).message).toBe('coordinate dimensionality does not match');
}

describe('Coordinate', () => {
  const random = new SeededRandom(1);

  it('starts at the origin with the configured dimensionality, error and height', () => {
    const config = defaultCoordinateConfig();
    const c = Coordinate.origin(config);
    expect(c.vec).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(c.error).toBe(1.5);
    expect(c.adjustment).toBe(0);
    expect(c.height).toBe(10.0e-6);
  });

  it('clones into an independent copy', () => {
    const c = Coordinate.origin(defaultCoordinateConfig());
    c.vec[0] = 1.0;
    c.vec[1] = 2.0;
    c.vec[2] = 3.0;
    c.error = 5.0;
    c.adjustment = 10.0;
    c.height = 4.2;
    const other = c.clone();
    expect(other).toEqual(c);
    other.vec[0] = c.vec[0] + 0.5;
    expect(other).not.toEqual(c);
    expect(c.vec[0]).toBe(1.0);
  });

  it('is invalid when any component is NaN or infinite', () => {
    const c = Coordinate.origin(defaultCoordinateConfig());
    const setters: Array<(v: number) => void> = [
      ...c.vec.map((_, i) => (v: number) => {
        c.vec[i] = v;
      }),
      (v) => (c.error = v),
      (v) => (c.adjustment = v),
      (v) => (c.height = v),
    ];
    setters.forEach((set, i) => {
      expect(c.isValid(), `field ${i}`).toBe(true);
      set(NaN);
      expect(c.isValid(), `field ${i} NaN`).toBe(false);
      set(0);
      expect(c.isValid(), `field ${i}`).toBe(true);
      set(Infinity);
      expect(c.isValid(), `field ${i} Inf`).toBe(false);
      set(-Infinity);
      expect(c.isValid(), `field ${i} -Inf`).toBe(false);
      set(0);
      expect(c.isValid(), `field ${i}`).toBe(true);
    });
  });

  it('is compatible only with coordinates of the same dimensionality', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    const c1 = Coordinate.origin(config);
    const c2 = Coordinate.origin(config);
    config.dimensionality = 2;
    const alien = Coordinate.origin(config);

    expect(c1.isCompatibleWith(c1) && c2.isCompatibleWith(c2) && alien.isCompatibleWith(alien)).toBe(true);
    expect(c1.isCompatibleWith(c2) && c2.isCompatibleWith(c1)).toBe(true);
    expect(c1.isCompatibleWith(alien)).toBe(false);
    expect(c2.isCompatibleWith(alien)).toBe(false);
    expect(alien.isCompatibleWith(c1)).toBe(false);
    expect(alien.isCompatibleWith(c2)).toBe(false);
  });

  it('applies a force: direction, magnitude, random direction when coincident, height and its minimum', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    config.heightMin = 0;
    const origin = Coordinate.origin(config);

    const above = Coordinate.origin(config);
    above.vec = [0.0, 0.0, 2.9];
    let c = origin.applyForce(config, 5.3, above, random);
    expectEqualVectors(c.vec, [0.0, 0.0, -5.3]);

    const right = Coordinate.origin(config);
    right.vec = [3.4, 0.0, -5.3];
    c = c.applyForce(config, 2.0, right, random);
    expectEqualVectors(c.vec, [-2.0, 0.0, -5.3]);

    // Coincident points: one unit away in some random direction, no division by zero.
    c = origin.applyForce(config, 1.0, origin, random);
    expectEqualFloats(origin.distanceTo(c), 1.0);

    config.heightMin = 10.0e-6;
    const origin2 = Coordinate.origin(config);
    c = origin2.applyForce(config, 5.3, above, random);
    expectEqualVectors(c.vec, [0.0, 0.0, -5.3]);
    expectEqualFloats(c.height, config.heightMin + (5.3 * config.heightMin) / 2.9);

    c = origin2.applyForce(config, -5.3, above, random);
    expectEqualVectors(c.vec, [0.0, 0.0, 5.3]);
    expectEqualFloats(c.height, config.heightMin);

    const bad = c.clone();
    bad.vec = new Array<number>(bad.vec.length + 1).fill(0);
    expectDimensionConflict(() => c.applyForce(config, 1.0, bad, random));
  });

  it('measures distance with adjustments (never negative ones) and heights', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    config.heightMin = 0;
    const c1 = Coordinate.origin(config);
    const c2 = Coordinate.origin(config);
    c1.vec = [-0.5, 1.3, 2.4];
    c2.vec = [1.2, -2.3, 3.4];

    expectEqualFloats(c1.distanceTo(c1), 0.0);
    expectEqualFloats(c1.distanceTo(c2), c2.distanceTo(c1));
    expectEqualFloats(c1.distanceTo(c2), 4.104875150354758);

    c1.adjustment = -1.0e6;
    expectEqualFloats(c1.distanceTo(c2), 4.104875150354758);

    c1.adjustment = 0.1;
    c2.adjustment = 0.2;
    expectEqualFloats(c1.distanceTo(c2), 4.104875150354758 + 0.3);

    c1.height = 0.7;
    c2.height = 0.1;
    expectEqualFloats(c1.distanceTo(c2), 4.104875150354758 + 0.3 + 0.8);

    const bad = c1.clone();
    bad.vec = new Array<number>(bad.vec.length + 1).fill(0);
    expectDimensionConflict(() => c1.distanceTo(bad));
  });

  it('agrees with the self-contained distance example of serf’s documentation', () => {
    const config = defaultCoordinateConfig();
    const c1 = Coordinate.origin(config);
    const c2 = Coordinate.origin(config);
    c1.vec = [-0.5, 1.3, 2.4];
    c2.vec = [1.2, -2.3, 3.4];
    c1.adjustment = 0.1;
    c2.adjustment = 0.2;
    c1.height = 0.7;
    c2.height = 0.1;
    // The documented formula, written out independently.
    let sumsq = 0;
    for (let i = 0; i < c1.vec.length; i++) sumsq += (c1.vec[i]! - c2.vec[i]!) ** 2;
    let rtt = Math.sqrt(sumsq) + c1.height + c2.height;
    const adjusted = rtt + c1.adjustment + c2.adjustment;
    if (adjusted > 0) rtt = adjusted;
    expectEqualFloats(c1.distanceTo(c2), rtt);
  });

  it('measures the raw distance without adjustments', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    config.heightMin = 0;
    const c1 = Coordinate.origin(config);
    const c2 = Coordinate.origin(config);
    c1.vec = [-0.5, 1.3, 2.4];
    c2.vec = [1.2, -2.3, 3.4];

    expectEqualFloats(c1.rawDistanceTo(c1), 0.0);
    expectEqualFloats(c1.rawDistanceTo(c2), c2.rawDistanceTo(c1));
    expectEqualFloats(c1.rawDistanceTo(c2), 4.104875150354758);

    c1.adjustment = 1.0e6;
    expectEqualFloats(c1.rawDistanceTo(c2), 4.104875150354758);

    c1.height = 0.7;
    c2.height = 0.1;
    expectEqualFloats(c1.rawDistanceTo(c2), 4.104875150354758 + 0.8);
  });

  it('truncates distances to whole nanoseconds as Go’s time.Duration does', () => {
    expect(goDurationSeconds(1.0000000019)).toBe(1.000000001);
    expect(goDurationSeconds(0.0000000009)).toBe(0);
    expect(goDurationSeconds(-2.5000000009)).toBe(-2.5);
  });
});

describe('Coordinate wire shape', () => {
  const sample = new Coordinate([0.001, -0.002, 0, 0.5], 0.25, -0.0001, 0.00002);

  it('serialises as Consul’s {"Vec","Error","Adjustment","Height"} in Go’s field order', () => {
    expect(JSON.stringify(sample)).toBe('{"Vec":[0.001,-0.002,0,0.5],"Error":0.25,"Adjustment":-0.0001,"Height":0.00002}');
  });

  it('round-trips through JSON and msgpack', () => {
    expect(Coordinate.fromJSON(JSON.parse(JSON.stringify(sample)))).toEqual(sample);
    expect(Coordinate.fromJSON(decode(encode(sample.toJSON(), { forceIntegerToFloat: true })))).toEqual(sample);
  });

  it('reads what Consul sends for /v1/coordinate/nodes entries', () => {
    const body = JSON.parse(
      '{"Node":"a","Segment":"","Coord":{"Vec":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8],"Error":1.5,"Adjustment":0,"Height":1e-5}}',
    ) as { Coord: unknown };
    const c = Coordinate.fromJSON(body.Coord);
    expect(c.vec).toHaveLength(8);
    expect(c.height).toBe(1e-5);
    expect(c.isValid()).toBe(true);
  });

  it('treats missing fields and a null Vec as Go’s zero values', () => {
    expect(Coordinate.fromJSON({ Vec: null })).toEqual(new Coordinate([], 0, 0, 0));
    expect(Coordinate.fromJSON({ Vec: [1, 2], Error: 0.5 })).toEqual(new Coordinate([1, 2], 0.5, 0, 0));
  });

  it('rejects shapes that are not a coordinate with BAD_REQUEST', () => {
    for (const bad of [null, 3, 'x', [1], { Vec: 'nope' }, { Vec: [1, 'a'] }, { Vec: [], Error: '1' }, { Vec: [], Height: true }]) {
      let thrown: unknown;
      try {
        Coordinate.fromJSON(bad);
      } catch (e) {
        thrown = e;
      }
      expect(isSextantError(thrown, ErrorCode.BadRequest), JSON.stringify(bad)).toBe(true);
    }
  });
});
