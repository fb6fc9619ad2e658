/**
 * A concurrent history as a linearizability checker takes it: each operation a client ran, with
 * the time it was called and the time its answer came back (any monotonic clock shared by all
 * clients of one history), its input and its output.
 */
export interface Operation<I, O> {
  /** Who ran it; one client runs one operation at a time. */
  readonly clientId: number;
  readonly input: I;
  /** When it was called. */
  readonly call: number;
  /**
   * When its answer came back; `Infinity` when it never did (the client crashed or timed out),
   * in which case `output` is `undefined` and the operation may or may not have taken effect,
   * at any point after its call.
   */
  readonly return: number;
  /** The answer; `undefined` when unknown (see `return`). */
  readonly output: O | undefined;
}

/** An operation whose outcome is unknown: it may have taken effect at any time after `call`. */
export function unknownOutcome<I, O>(clientId: number, input: I, call: number): Operation<I, O> {
  return { clientId, input, call, return: Infinity, output: undefined };
}
