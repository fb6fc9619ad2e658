/**
 * A sequential specification, as Porcupine's Model: what one operation does to the state when
 * operations run one at a time. The checker asks whether some order of a concurrent history,
 * consistent with real time, is a run of this specification.
 */
export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /**
   * Runs `input` on `state`: `ok` false when `output` cannot be its answer there, else the state
   * after it. `output` is `undefined` for an operation whose answer never came back: it is
   * allowed to have had any effect its input may have. Must not modify `state`.
   */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  /**
   * Splits a history into independent parts (P-compositionality: e.g. one per key); the whole
   * is linearizable iff every part is. Default: one part.
   */
  partition?(ops: readonly { input: I }[]): number[][];
  /** A string that is equal for equal states (memoization). */
  key(state: S): string;
  /** How to print an input and output in a counterexample. */
  describe?(input: I, output: O | undefined): string;
}
