import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../../contracts/errors.js';
import { CoordinateClient } from '../../../../src/gossip/coordinate/client.js';
import { defaultCoordinateConfig } from '../../../../src/gossip/coordinate/config.js';
import { Coordinate } from '../../../../src/gossip/coordinate/coordinate.js';
import { SeededRandom } from '../../../../src/testing/seeded-random.js';
import { expectEqualFloats, expectEqualVectors } from './verify.js';

// Ported from hashicorp/serf coordinate/client_test.go: same values and tolerances.

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectBadRequest(f: () => unknown, message: string): void {
  const e = thrownBy(f);
  expect(isSextantError(e, ErrorCode.BadRequest), String(e)).toBe(true);
  expect((e as Error).message).toBe(message);
}

describe('CoordinateClient', () => {
  const random = new SeededRandom(1);

  it('refuses a zero dimensionality and starts at the origin', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 0;
    const e = thrownBy(() => new CoordinateClient(config, random));
    expect(isSextantError(e, ErrorCode.ConfigInvalid)).toBe(true);
    expect((e as Error).message).toContain('dimensionality');

    config.dimensionality = 7;
    const client = new CoordinateClient(config, random);
    expect(client.getCoordinate()).toEqual(Coordinate.origin(config));
  });

  it('refuses a latency filter that keeps no samples', () => {
    const config = defaultCoordinateConfig();
    config.latencyFilterSize = 0;
    expect(isSextantError(thrownBy(() => new CoordinateClient(config, random)), ErrorCode.ConfigInvalid)).toBe(true);
  });

  it('moves away from a node whose RTT is longer than the distance, and takes a set coordinate', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    const client = new CoordinateClient(config, random);
    let c = client.getCoordinate();
    expectEqualVectors(c.vec, [0.0, 0.0, 0.0]);

    const other = Coordinate.origin(config);
    other.vec[2] = 0.001;
    const rtt = 2.0 * other.vec[2];
    c = client.update('node', other, rtt);
    expect(c.vec[2]).toBeLessThan(0.0);

    c.vec[2] = 99.0;
    client.setCoordinate(c);
    c = client.getCoordinate();
    expectEqualFloats(c.vec[2]!, 99.0);
  });

  it('hands out copies: changing a returned coordinate does not move the client', () => {
    const config = defaultCoordinateConfig();
    const client = new CoordinateClient(config, random);
    const c = client.getCoordinate();
    c.vec[0] = 5;
    expect(client.getCoordinate().vec[0]).toBe(0);
  });

  it('rejects RTTs outside [0, 10 s] with serf’s text and leaves the estimate unchanged', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    const client = new CoordinateClient(config, random);
    const other = Coordinate.origin(config);
    other.vec[2] = 0.001;
    const dist = client.distanceTo(other);

    for (const ping of [Number.MAX_SAFE_INTEGER, -35, 11, NaN, Infinity]) {
      const e = thrownBy(() => client.update('node', other, ping));
      expect(isSextantError(e, ErrorCode.BadRequest), `ping ${ping}`).toBe(true);
      expect((e as Error).message).toMatch(/^round trip time not in valid range, duration .* is not a positive value less than 10s $/);
      expect(client.distanceTo(other)).toBe(dist);
    }
    expectBadRequest(
      () => client.update('node', other, -35),
      'round trip time not in valid range, duration -35s is not a positive value less than 10s ',
    );
    expectBadRequest(
      () => client.update('node', other, 10.5),
      'round trip time not in valid range, duration 10.5s is not a positive value less than 10s ',
    );
  });

  it('accepts the bounds 0 and 10 s, counting zero RTTs', () => {
    const config = defaultCoordinateConfig();
    const client = new CoordinateClient(config, random);
    const other = Coordinate.origin(config);
    client.update('a', other, 0);
    client.update('a', other, 10);
    expect(client.stats()).toEqual({ resets: 0, zeroRtts: 1 });
    expect(client.getCoordinate().isValid()).toBe(true);
  });

  it('measures the distance to another coordinate', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    config.heightMin = 0;
    const client = new CoordinateClient(config, random);
    const other = Coordinate.origin(config);
    other.vec[2] = 12.345;
    expect(client.distanceTo(other)).toBe(12.345);
  });

  it('filters latency by a moving median per node, and forgets nodes', () => {
    const config = defaultCoordinateConfig();
    config.latencyFilterSize = 3;
    const client = new CoordinateClient(config, random);

    expectEqualFloats(client.latencyFilter('alice', 0.201), 0.201);
    expectEqualFloats(client.latencyFilter('alice', 0.2), 0.201);
    expectEqualFloats(client.latencyFilter('alice', 0.207), 0.201);

    // The glitch is median-ed out and never seen by Vivaldi.
    expectEqualFloats(client.latencyFilter('alice', 1.9), 0.207);
    expectEqualFloats(client.latencyFilter('alice', 0.203), 0.207);
    expectEqualFloats(client.latencyFilter('alice', 0.199), 0.203);
    expectEqualFloats(client.latencyFilter('alice', 0.211), 0.203);

    expectEqualFloats(client.latencyFilter('bob', 0.31), 0.31);

    client.forgetNode('alice');
    expectEqualFloats(client.latencyFilter('alice', 0.888), 0.888);
  });

  it('defends against NaN: rejects invalid and incompatible coordinates, resets an invalid state', () => {
    const config = defaultCoordinateConfig();
    config.dimensionality = 3;
    const client = new CoordinateClient(config, random);

    const other = Coordinate.origin(config);
    other.vec[0] = NaN;
    expect(other.isValid()).toBe(false);
    const rtt = 0.25;
    expectBadRequest(() => client.update('node', other, rtt), 'coordinate is invalid');
    expect(client.getCoordinate().isValid()).toBe(true);

    expectBadRequest(() => client.setCoordinate(other), 'coordinate is invalid');
    expect(client.getCoordinate().isValid()).toBe(true);

    other.vec = new Array<number>(2 * other.vec.length).fill(0);
    expectBadRequest(() => client.update('node', other, rtt), "dimensions aren't compatible");
    expect(client.getCoordinate().isValid()).toBe(true);

    expectBadRequest(() => client.setCoordinate(other), "dimensions aren't compatible");
    expect(client.getCoordinate().isValid()).toBe(true);

    // serf poisons client.coord directly; here an update drives the state to NaN instead: a
    // finite but enormous peer coordinate overflows the distance to Infinity, the force to
    // -Infinity and the new position to NaN. The client must reset to a valid coordinate.
    const huge = Coordinate.origin(config);
    huge.vec[0] = 1e200;
    expect(huge.isValid()).toBe(true);
    const c = client.update('node', huge, rtt);
    expect(c.isValid()).toBe(true);
    expect(c).toEqual(Coordinate.origin(config));
    expect(client.stats().resets).toBe(1);
  });
});
