/** Lifeguard's local health awareness (awareness.go): a score in [0, max) that stretches probe timeouts while this node itself is unhealthy. */
export class Awareness {
  private score = 0;

  /** `max` is memberlist's AwarenessMaxMultiplier (8 for LAN). */
  constructor(private readonly max: number) {}

  /** Adds `delta` (failed probe +1, successful −1, refute +1, missed nacks +n), clamped to [0, max−1]. */
  applyDelta(delta: number): void {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
  }

  /** The current health score (0 is healthy). */
  getHealthScore(): number {
    return this.score;
  }

  /** `timeoutMs × (score + 1)`. */
  scaleTimeout(timeoutMs: number): number {
    return timeoutMs * (this.score + 1);
  }
}
