import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Random } from '../../../contracts/platform.js';
import { formatGoDuration } from '../../config/go-duration.js';
import type { CoordinateConfig } from './config.js';
import { Coordinate } from './coordinate.js';
import { ZERO_THRESHOLD } from './vector.js';

/** Events the client counted while updating its coordinate (serf's ClientStats, plus zero RTTs). */
export interface CoordinateClientStats {
  /** Times the local coordinate was reset to the origin because an update made it invalid. */
  resets: number;
  /** Updates observed with an RTT of exactly 0 (serf counts these as `serf.coordinate.zero-rtt`). */
  zeroRtts: number;
}

/** Serf's upper bound on an RTT observation: 10 s. */
export const MAX_RTT_SECONDS = 10;

/**
 * The Vivaldi coordinate client of one node (serf's coordinate.Client): holds this node's
 * estimated coordinate and moves it as probe RTTs to other nodes, and their coordinates, come
 * in. Single-threaded, so none of Go's locking; every coordinate in or out is a copy.
 */
export class CoordinateClient {
  private coord: Coordinate;
  private readonly originCoord: Coordinate;
  private adjustmentIndex = 0;
  private readonly adjustmentSamples: number[];
  private readonly latencyFilterSamples = new Map<string, number[]>();
  private readonly counters: CoordinateClientStats = { resets: 0, zeroRtts: 0 };

  /**
   * A client at the origin. `random` supplies the direction in which coincident coordinates
   * are pushed apart. Throws CONFIG_INVALID "dimensionality must be >0" as serf's NewClient
   * does (and "latency filter size must be >0", where serf would index out of range).
   */
  constructor(
    private readonly config: CoordinateConfig,
    private readonly random: Random,
  ) {
    if (!(Number.isInteger(config.dimensionality) && config.dimensionality > 0)) {
      throw new SextantError(ErrorCode.ConfigInvalid, 'dimensionality must be >0');
    }
    if (!(Number.isInteger(config.latencyFilterSize) && config.latencyFilterSize > 0)) {
      throw new SextantError(ErrorCode.ConfigInvalid, 'latency filter size must be >0');
    }
    if (!(Number.isInteger(config.adjustmentWindowSize) && config.adjustmentWindowSize >= 0)) {
      throw new SextantError(ErrorCode.ConfigInvalid, 'adjustment window size must be >=0');
    }
    this.coord = Coordinate.origin(config);
    this.originCoord = Coordinate.origin(config);
    this.adjustmentSamples = new Array<number>(config.adjustmentWindowSize).fill(0);
  }

  /** A copy of this node's current coordinate. */
  getCoordinate(): Coordinate {
    return this.coord.clone();
  }

  /**
   * Forces this node's coordinate to `coord` (copied), e.g. one restored from a snapshot.
   * Throws BAD_REQUEST "dimensions aren't compatible" or "coordinate is invalid".
   */
  setCoordinate(coord: Coordinate): void {
    this.checkCoordinate(coord);
    this.coord = coord.clone();
  }

  /** Drops the RTT samples kept for `node` (call when it leaves the pool). */
  forgetNode(node: string): void {
    this.latencyFilterSamples.delete(node);
  }

  /** A copy of the counters. */
  stats(): CoordinateClientStats {
    return { ...this.counters };
  }

  /**
   * Records an RTT sample for `node` and returns the median of its last
   * config.latencyFilterSize samples (the moving-median filter that rides out blips). Part of
   * update(); public so the filter can be tested and inspected on its own.
   */
  latencyFilter(node: string, rttSeconds: number): number {
    let samples = this.latencyFilterSamples.get(node);
    if (samples === undefined) {
      samples = [];
      this.latencyFilterSamples.set(node, samples);
    }
    samples.push(rttSeconds);
    if (samples.length > this.config.latencyFilterSize) samples.shift();
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  /**
   * Takes a probe RTT to `node` (seconds) and that node's coordinate `other`, moves this
   * node's coordinate (latency filter, Vivaldi step, adjustment, gravity) and returns a copy
   * of the new one. An update that leaves the coordinate NaN or infinite resets it to the
   * origin and counts a reset. Throws BAD_REQUEST, leaving the state untouched, with serf's
   * texts: "dimensions aren't compatible", "coordinate is invalid", or "round trip time not
   * in valid range, duration <d> is not a positive value less than 10s " for an RTT that is
   * negative, NaN or over 10 s.
   */
  update(node: string, other: Coordinate, rttSeconds: number): Coordinate {
    this.checkCoordinate(other);
    if (!(rttSeconds >= 0 && rttSeconds <= MAX_RTT_SECONDS)) {
      const shown = Number.isFinite(rttSeconds) ? formatGoDuration(BigInt(Math.trunc(rttSeconds * 1e9))) : String(rttSeconds);
      throw new SextantError(
        ErrorCode.BadRequest,
        `round trip time not in valid range, duration ${shown} is not a positive value less than ${formatGoDuration(BigInt(MAX_RTT_SECONDS * 1e9))} `,
      );
    }
    if (rttSeconds === 0) this.counters.zeroRtts++;

    const rtt = this.latencyFilter(node, rttSeconds);
    this.updateVivaldi(other, rtt);
    this.updateAdjustment(other, rtt);
    this.updateGravity();
    if (!this.coord.isValid()) {
      this.counters.resets++;
      this.coord = Coordinate.origin(this.config);
    }
    return this.coord.clone();
  }

  /** The estimated RTT in seconds from this node's coordinate to `other` (see Coordinate.distanceTo). */
  distanceTo(other: Coordinate): number {
    return this.coord.distanceTo(other);
  }

  private checkCoordinate(coord: Coordinate): void {
    if (!this.coord.isCompatibleWith(coord)) throw new SextantError(ErrorCode.BadRequest, "dimensions aren't compatible");
    if (!coord.isValid()) throw new SextantError(ErrorCode.BadRequest, 'coordinate is invalid');
  }

  /** The Vivaldi step: update the error estimate, then move along the spring force. */
  private updateVivaldi(other: Coordinate, rttSeconds: number): void {
    const cfg = this.config;
    const dist = this.coord.distanceTo(other);
    const rtt = rttSeconds < ZERO_THRESHOLD ? ZERO_THRESHOLD : rttSeconds;
    const wrongness = Math.abs(dist - rtt) / rtt;

    let totalError = this.coord.error + other.error;
    if (totalError < ZERO_THRESHOLD) totalError = ZERO_THRESHOLD;
    const weight = this.coord.error / totalError;

    this.coord.error = cfg.vivaldiCE * weight * wrongness + this.coord.error * (1.0 - cfg.vivaldiCE * weight);
    if (this.coord.error > cfg.vivaldiErrorMax) this.coord.error = cfg.vivaldiErrorMax;

    const delta = cfg.vivaldiCC * weight;
    const force = delta * (rtt - dist);
    this.coord = this.coord.applyForce(cfg, force, other, this.random);
  }

  /** The adjustment term: half the mean of the last window's (RTT - raw distance) samples. */
  private updateAdjustment(other: Coordinate, rttSeconds: number): void {
    const size = this.config.adjustmentWindowSize;
    if (size === 0) return;
    const dist = this.coord.rawDistanceTo(other);
    this.adjustmentSamples[this.adjustmentIndex] = rttSeconds - dist;
    this.adjustmentIndex = (this.adjustmentIndex + 1) % size;
    let sum = 0.0;
    for (const s of this.adjustmentSamples) sum += s;
    this.coord.adjustment = sum / (2.0 * size);
  }

  /** A small pull towards the origin against drift of the whole coordinate system. */
  private updateGravity(): void {
    const dist = this.originCoord.distanceTo(this.coord);
    const force = -1.0 * Math.pow(dist / this.config.gravityRho, 2.0);
    this.coord = this.coord.applyForce(this.config, force, this.originCoord, this.random);
  }
}
