import type { Clock, Random } from '../../contracts/platform.js';

/** What the network needs from a transport attached to it. */
export interface MemoryEndpoint {
  /** Delivers a one-way frame of stream protocol `protocol` (already copied). */
  deliverMessage(protocol: number, from: string, frame: Uint8Array): void;
  /** Delivers a request of `protocol`; resolves with the response frame. `signal` aborts when the requester cancels. */
  deliverRequest(protocol: number, from: string, frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
  /** Delivers a packet (already copied). */
  deliverPacket(from: string, packet: Uint8Array): void;
}

/** Fault settings of a MemoryNetwork. */
export interface MemoryNetworkOptions {
  /** Probability in [0, 1) that a frame is dropped (drawn from the network's Random). Default 0. */
  dropRate?: number;
  /** Minimum one-way delay in ms. Default 0. */
  minDelayMs?: number;
  /** Maximum one-way delay in ms (uniform in [min, max]). Default 0. */
  maxDelayMs?: number;
}

/**
 * A shared in-process network for MemoryTransports: addresses are plain strings. Supports
 * partitions (links cut in both directions), random drops and random delays, with every delay
 * scheduled on the Clock and every coin flipped on the Random, so a simulation replays exactly
 * from its seed. Frames are always delivered on a later turn, never synchronously.
 */
export class MemoryNetwork {
  private readonly endpoints = new Map<string, MemoryEndpoint>();
  private readonly cut = new Set<string>();
  private dropRate: number;
  private minDelayMs: number;
  private maxDelayMs: number;
  /** Frames delivered / dropped so far (for tests). */
  readonly stats = { delivered: 0, dropped: 0 };

  constructor(
    readonly clock: Clock,
    readonly random: Random,
    opts: MemoryNetworkOptions = {},
  ) {
    this.dropRate = opts.dropRate ?? 0;
    this.minDelayMs = opts.minDelayMs ?? 0;
    this.maxDelayMs = Math.max(this.minDelayMs, opts.maxDelayMs ?? this.minDelayMs);
  }

  /** Attaches an endpoint at `address`; throws TRANSPORT_FAILED-worthy Error when taken (the caller maps it). */
  attach(address: string, endpoint: MemoryEndpoint): boolean {
    if (this.endpoints.has(address)) return false;
    this.endpoints.set(address, endpoint);
    return true;
  }

  /** Detaches the endpoint at `address` (if it is `endpoint`). */
  detach(address: string, endpoint: MemoryEndpoint): void {
    if (this.endpoints.get(address) === endpoint) this.endpoints.delete(address);
  }

  /** The endpoint at `address`, if attached. */
  endpoint(address: string): MemoryEndpoint | undefined {
    return this.endpoints.get(address);
  }

  /** Cuts the links between every pair of addresses in different groups (addresses not named
   * keep all their links). */
  partition(...groups: string[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.cut.add(`${a}\u0000${b}`);
      }
    }
  }

  /** Cuts every link of `address`. */
  isolate(address: string): void {
    for (const other of this.endpoints.keys()) {
      if (other === address) continue;
      this.cut.add(`${address}\u0000${other}`);
      this.cut.add(`${other}\u0000${address}`);
    }
  }

  /** Cuts the one-way link from → to. */
  cutLink(from: string, to: string): void {
    this.cut.add(`${from}\u0000${to}`);
  }

  /** Restores every link. */
  heal(): void {
    this.cut.clear();
  }

  /** Changes the drop probability. */
  setDropRate(p: number): void {
    this.dropRate = p;
  }

  /** Changes the delay range. */
  setDelay(minMs: number, maxMs: number): void {
    this.minDelayMs = minMs;
    this.maxDelayMs = Math.max(minMs, maxMs);
  }

  /** True when a frame from → to can currently travel (ignoring random drops). */
  connected(from: string, to: string): boolean {
    return !this.cut.has(`${from}\u0000${to}`);
  }

  /**
   * Decides the fate of one frame from → to: undefined when it is lost (cut link or random
   * drop), else the delay in ms after which it arrives.
   */
  route(from: string, to: string): number | undefined {
    if (!this.connected(from, to)) {
      this.stats.dropped++;
      return undefined;
    }
    if (this.dropRate > 0 && this.random.next() < this.dropRate) {
      this.stats.dropped++;
      return undefined;
    }
    const span = this.maxDelayMs - this.minDelayMs;
    return this.minDelayMs + (span > 0 ? this.random.int(span + 1) : 0);
  }

  /** Schedules `fn` after `delayMs` on the clock. */
  later(fn: () => void, delayMs: number): void {
    this.clock.setTimeout(fn, delayMs);
  }
}
