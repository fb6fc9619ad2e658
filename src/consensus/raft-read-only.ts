/** One outstanding ReadIndex request: the commit index recorded when it arrived and who acked it. */
interface PendingRead {
  id: string;
  index: number;
  acks: Set<string>;
}

/**
 * The leader's queue of ReadIndex requests (thesis §6.4). Each records the commit index at
 * arrival; a heartbeat round carrying its id must be acknowledged by a quorum before it may
 * be served. A quorum ack for a request also confirms every request queued before it.
 */
export class RaftReadOnly {
  private queue: PendingRead[] = [];

  /** Queues request `id` at commit index `index`, acknowledged by the leader itself. */
  add(id: string, index: number, self: string): void {
    this.queue.push({ id, index, acks: new Set([self]) });
  }

  /** The context to put on the next heartbeat round: the newest request's id, or ''. */
  lastContext(): string {
    return this.queue.length > 0 ? this.queue[this.queue.length - 1]!.id : '';
  }

  /**
   * Records `from`'s ack of `context`. Returns the requests confirmed by it (those up to and
   * including `context`) once `isQuorum(acks)` holds, removing them from the queue.
   */
  ack(context: string, from: string, isQuorum: (acks: Set<string>) => boolean): { id: string; index: number }[] {
    const at = this.queue.findIndex((r) => r.id === context);
    if (at < 0) return [];
    const req = this.queue[at]!;
    req.acks.add(from);
    if (!isQuorum(req.acks)) return [];
    const done = this.queue.splice(0, at + 1);
    return done.map((r) => ({ id: r.id, index: r.index }));
  }

  /** Drops every request (leadership lost) and returns their ids. */
  clear(): string[] {
    const ids = this.queue.map((r) => r.id);
    this.queue = [];
    return ids;
  }

  /** Number of queued requests. */
  size(): number {
    return this.queue.length;
  }
}
