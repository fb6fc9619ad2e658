import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Random } from '../../../contracts/platform.js';
import type { CoordinateConfig } from './config.js';
import { unitVectorAt, vecAdd, vecDiff, vecMagnitude, vecMul, ZERO_THRESHOLD } from './vector.js';

/**
 * A coordinate as Consul and serf put it on the wire: msgpack in serf's ping acks and Consul's
 * Coordinate.Update RPC, JSON in `/v1/coordinate/*` answers. Field order is Go's struct order.
 * All values are seconds except Error, which is dimensionless. Go writes every field as a
 * float64; encode with @msgpack/msgpack's `forceIntegerToFloat: true` to match it byte for byte
 * (Go's decoder also accepts integers, so either decodes on the serf side).
 */
export interface CoordinateJSON {
  Vec: number[];
  Error: number;
  Adjustment: number;
  Height: number;
}

/** Go's `time.Duration(seconds * 1e9).Seconds()`: the value truncated to whole nanoseconds. */
export function goDurationSeconds(seconds: number): number {
  if (!Number.isFinite(seconds)) return seconds;
  const ns = Math.trunc(seconds * 1e9);
  const whole = Math.trunc(ns / 1e9);
  return whole + (ns - whole * 1e9) / 1e9;
}

/** A finite number: neither NaN nor an infinity (serf's componentIsValid). */
function componentIsValid(f: number): boolean {
  return Number.isFinite(f);
}

/**
 * A network coordinate of the Vivaldi engine (serf's coordinate.Coordinate): a Euclidean
 * vector, a confidence (error), an adjustment term and a height, all in seconds. Mutable as
 * Go's struct is; the client hands out clones.
 */
export class Coordinate {
  constructor(
    /** The Euclidean part of the coordinate, seconds. */
    public vec: number[],
    /** Confidence in the coordinate; dimensionless, updated by the client. */
    public error: number,
    /** Distance offset learned over a window of observations, seconds. */
    public adjustment: number,
    /** Non-Euclidean distance offset modelling the access link, seconds. */
    public height: number,
  ) {}

  /** A coordinate at the origin with the initial error and height of `config` (serf's NewCoordinate). */
  static origin(config: CoordinateConfig): Coordinate {
    return new Coordinate(new Array<number>(config.dimensionality).fill(0), config.vivaldiErrorMax, 0.0, config.heightMin);
  }

  /**
   * Reads the wire shape `{"Vec":[…],"Error":…,"Adjustment":…,"Height":…}` (a parsed JSON
   * body or a decoded msgpack map). As Go's decoders do, a missing field is zero and a null
   * Vec is empty; any other type is rejected with BAD_REQUEST. Validity (NaN, infinities)
   * is not checked here: see isValid().
   */
  static fromJSON(value: unknown): Coordinate {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new SextantError(ErrorCode.BadRequest, 'invalid coordinate: expected an object');
    }
    const o = value as Record<string, unknown>;
    const num = (field: 'Error' | 'Adjustment' | 'Height'): number => {
      const v = o[field];
      if (v === undefined || v === null) return 0;
      if (typeof v !== 'number') throw new SextantError(ErrorCode.BadRequest, `invalid coordinate: ${field} must be a number`);
      return v;
    };
    const rawVec = o.Vec;
    let vec: number[] = [];
    if (rawVec !== undefined && rawVec !== null) {
      if (!Array.isArray(rawVec) || !rawVec.every((x): x is number => typeof x === 'number')) {
        throw new SextantError(ErrorCode.BadRequest, 'invalid coordinate: Vec must be an array of numbers');
      }
      vec = [...rawVec];
    }
    return new Coordinate(vec, num('Error'), num('Adjustment'), num('Height'));
  }

  /** The wire shape (see CoordinateJSON); also what JSON.stringify writes. */
  toJSON(): CoordinateJSON {
    return { Vec: [...this.vec], Error: this.error, Adjustment: this.adjustment, Height: this.height };
  }

  /** An independent copy. */
  clone(): Coordinate {
    return new Coordinate([...this.vec], this.error, this.adjustment, this.height);
  }

  /** False when any component is NaN or an infinity. */
  isValid(): boolean {
    for (const v of this.vec) if (!componentIsValid(v)) return false;
    return componentIsValid(this.error) && componentIsValid(this.adjustment) && componentIsValid(this.height);
  }

  /** True when both coordinates have the same dimensionality, so they can be combined. */
  isCompatibleWith(other: Coordinate): boolean {
    return this.vec.length === other.vec.length;
  }

  /**
   * A new coordinate: this one moved by `force` seconds away from `other` (towards it when
   * negative), with the height adjusted as serf does and kept at or above config.heightMin.
   * Coincident points move in a random direction drawn from `random`. Throws INTERNAL
   * ("coordinate dimensionality does not match") on incompatible coordinates, where Go panics.
   */
  applyForce(config: CoordinateConfig, force: number, other: Coordinate, random: Random): Coordinate {
    this.assertCompatible(other);
    const ret = this.clone();
    const [unit, mag] = unitVectorAt(this.vec, other.vec, random);
    ret.vec = vecAdd(ret.vec, vecMul(unit, force));
    if (mag > ZERO_THRESHOLD) {
      ret.height = ((ret.height + other.height) * force) / mag + ret.height;
      ret.height = Math.max(ret.height, config.heightMin);
    }
    return ret;
  }

  /**
   * The estimated RTT to `other` in seconds, adjustments included unless they would make it
   * non-positive; truncated to whole nanoseconds as Go's time.Duration holds it. Throws INTERNAL
   * on incompatible coordinates.
   */
  distanceTo(other: Coordinate): number {
    this.assertCompatible(other);
    let dist = this.rawDistanceTo(other);
    const adjusted = dist + this.adjustment + other.adjustment;
    if (adjusted > 0.0) dist = adjusted;
    return goDurationSeconds(dist);
  }

  /** The Vivaldi distance in seconds (Euclidean part plus both heights), without adjustments. */
  rawDistanceTo(other: Coordinate): number {
    return vecMagnitude(vecDiff(this.vec, other.vec)) + this.height + other.height;
  }

  private assertCompatible(other: Coordinate): void {
    if (!this.isCompatibleWith(other)) {
      throw new SextantError(ErrorCode.Internal, 'coordinate dimensionality does not match', {
        dimensions: [this.vec.length, other.vec.length],
      });
    }
  }
}
