import type { CoordinateApi } from '../../contracts/services/coordinate-service.js';
import type { Membership } from '../../contracts/ports/membership.js';
import type { Clock, Logger, Random, TimerHandle } from '../../contracts/platform.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { coordinatesDisabled } from './coordinates-disabled.js';

/** Consul's sync_coordinate_rate_target: updates per second the whole cluster aims at. */
export const SYNC_COORDINATE_RATE_TARGET = 64;
/** Consul's sync_coordinate_interval_min: the shortest interval between one agent's updates. */
export const SYNC_COORDINATE_INTERVAL_MIN_MS = 15_000;

/**
 * Consul's lib.RateScaledInterval: the interval that keeps `n` agents together at `rate` updates
 * per second, never below `minMs` (a rate ≤ 0 gives `minMs`). Milliseconds.
 */
export function rateScaledInterval(rate: number, minMs: number, n: number): number {
  if (!(rate > 0)) return minMs;
  return Math.max(minMs, (1000 * n) / rate);
}

/** What a CoordinateSync is built from. */
export interface CoordinateSyncDeps {
  /** The LAN pool: this agent's coordinate, and its size (which scales the interval). */
  membership: Pick<Membership, 'coordinate' | 'members'>;
  /** Where updates go (Coordinate.Update through the RPC layer: a client forwards to a server). */
  coordinate: Pick<CoordinateApi, 'update'>;
  /** The live config: node name and datacenter of each update. */
  config: () => RuntimeConfig;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** sync_coordinate_rate_target (default 64). */
  rateTarget?: number;
  /** sync_coordinate_interval_min in ms (default 15 s). */
  intervalMinMs?: number;
}

/**
 * The agent's coordinate sender (Consul's Agent.sendCoordinate): every
 * RateScaledInterval(sync_coordinate_rate_target, sync_coordinate_interval_min, #members) plus a
 * random stagger of up to that interval, it sends this agent's LAN coordinate
 * (Membership.coordinate()) with Coordinate.Update for its node name. Nothing is sent while the
 * membership has no coordinate; a failed update is logged ("Coordinate update error") and the
 * next period tries again. Not started at all under `disable_coordinates`, as in Consul.
 */
export class CoordinateSync {
  private timer: TimerHandle | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly deps: CoordinateSyncDeps) {}

  /** Starts the period (a no-op when coordinates are disabled or already started). */
  start(): void {
    if (this.running || coordinatesDisabled(this.deps.config())) return;
    this.running = true;
    this.arm();
  }

  /** Stops the period and waits for an update in flight. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.inFlight;
  }

  /** The delay before the next update: the rate-scaled interval plus Consul's RandomStagger of it. */
  nextDelayMs(): number {
    const n = this.deps.membership.members().length;
    const intv = rateScaledInterval(this.deps.rateTarget ?? SYNC_COORDINATE_RATE_TARGET, this.deps.intervalMinMs ?? SYNC_COORDINATE_INTERVAL_MIN_MS, n);
    const span = Math.floor(intv);
    return intv + (span >= 1 ? this.deps.random.int(span) : 0);
  }

  /** Sends this agent's coordinate once (nothing when the membership has none). Never rejects: failures are logged. */
  async sendOnce(): Promise<void> {
    const coord = this.deps.membership.coordinate();
    if (!coord) return;
    const c = this.deps.config();
    try {
      await this.deps.coordinate.update({ Node: c.nodeName, Segment: '', Coord: coord }, { datacenter: c.datacenter });
    } catch (e) {
      this.deps.logger.error('Coordinate update error', { error: e });
    }
  }

  private arm(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.running) return;
      const sending = this.sendOnce();
      this.inFlight = sending;
      void sending.finally(() => {
        if (this.inFlight === sending) this.inFlight = undefined;
        if (this.running && this.timer === undefined) this.arm();
      });
    }, this.nextDelayMs());
  }
}
