/**
 * Runs async operations one at a time, in the order they were queued (an async mutex). An
 * operation that fails does not stop the ones queued after it. An operation must not queue
 * another one on the same queue and wait for it (that would wait forever).
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `op` once every operation queued before it has settled; resolves or rejects as `op` does. */
  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once every operation queued so far has settled. */
  idle(): Promise<void> {
    return this.tail;
  }
}
