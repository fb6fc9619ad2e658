/**
 * The leader's view of one follower's replication (etcd's Progress): what it is known to hold
 * (`match`), what to send next (`next`), and how to send it:
 * - probe: one AppendEntries at a time until the follower's log position is found;
 * - replicate: stream entries optimistically (pipelining) up to `maxInflight` unacknowledged
 *   messages;
 * - snapshot: an InstallSnapshot is in flight; wait for its answer (or the next heartbeat).
 */
export class RaftProgress {
  match = 0;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot' = 'probe';
  /** In probe state: an append was sent and no answer came since the last heartbeat. */
  probeSent = false;
  /** In snapshot state: the snapshot index being installed. */
  pendingSnapshot = 0;
  /** Last indexes of unacknowledged appends in replicate state, ascending. */
  private inflight: number[] = [];
  /** Heard from since the last check-quorum round. */
  recentActive = false;

  constructor(next: number, private readonly maxInflight: number) {
    this.next = next;
  }

  /** True when no more appends should be sent now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }

  /** Records an append whose last entry is `lastIndex` has been sent. */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** A successful answer: the follower holds everything up to `index`. Returns true when match grew. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    while (this.inflight.length > 0 && this.inflight[0]! <= index) this.inflight.shift();
    return updated;
  }

  /** A rejection of an append at `rejected` with the follower's hint. Returns true when next moved
   * back (so another probe should go out). Stale rejections are ignored. */
  maybeDecrease(rejected: number, nextProbe: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false; // stale
      this.next = this.match + 1;
      this.becomeProbe();
      return true;
    }
    if (this.next - 1 !== rejected) return false; // stale: not the probe we are waiting for
    this.next = Math.max(Math.min(rejected, nextProbe + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Switches to probing from match+1 (or after a snapshot, from the snapshot's next index). */
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
      this.pendingSnapshot = 0;
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.inflight = [];
  }

  /** Switches to pipelined replication. */
  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflight = [];
  }

  /** Switches to waiting for the snapshot at `index` to be installed. */
  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.inflight = [];
  }

  /** A heartbeat went out: in probe state allow one more append; in replicate, if the window is
   * full, free one slot so a lost answer cannot stall replication forever. */
  onHeartbeat(): void {
    this.probeSent = false;
    if (this.state === 'replicate' && this.inflight.length >= this.maxInflight) this.inflight.shift();
  }
}
