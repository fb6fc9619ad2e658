/**
 * A FIFO of write operations run one at a time by `run`. The first operation queued while the
 * queue is idle starts on a later turn of the event loop, so every operation queued in the same
 * turn (and every one queued while an earlier runs) waits behind it; a caller that batches
 * appends joins the newest operation that has not started (see {@link newest}).
 */
export class WriteQueue<Op> {
  private readonly ops: Op[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  /** @param run executes one operation; it must settle its own callers and not throw. */
  constructor(private readonly run: (op: Op) => Promise<void>) {}

  /** The newest queued operation that has not started yet, if any. */
  newest(): Op | undefined {
    return this.ops[this.ops.length - 1];
  }

  /** Queues `op` after every operation queued before it. */
  push(op: Op): void {
    this.ops.push(op);
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  /** Resolves once every queued operation has run. */
  drain(): Promise<void> {
    if (!this.running && !this.scheduled && this.ops.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.running = true;
    for (let op = this.ops.shift(); op !== undefined; op = this.ops.shift()) await this.run(op);
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
