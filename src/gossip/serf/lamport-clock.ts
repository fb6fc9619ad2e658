/** serf's LamportClock (lamport.go): a logical clock that only moves forward. */
export class LamportClock {
  private counter = 0;

  /** The current time. */
  time(): number {
    return this.counter;
  }

  /** Moves the clock one tick and returns the new time. */
  increment(): number {
    return ++this.counter;
  }

  /** Makes this clock at least one ahead of `v`, a time seen in a message (no-op for an older time). */
  witness(v: number): void {
    if (v < this.counter) return;
    this.counter = v + 1;
  }
}
