import type { AppliedEntry, StateMachine } from '../../contracts/ports/state-machine.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A test StateMachine: an append-only list of applied commands (UTF-8 strings). apply returns
 * the new list length. `onApply` / `onRestore` let a checker watch every transition.
 */
export class ListStateMachine implements StateMachine {
  items: string[] = [];
  private last = 0;
  onApply: ((index: number, value: string) => void) | undefined;
  onRestore: ((lastIndex: number, items: readonly string[]) => void) | undefined;

  /** Appends the command; throws COMMAND_INVALID when indexes go backwards. */
  apply(entry: AppliedEntry): unknown {
    if (entry.index <= this.last) throw new SextantError(ErrorCode.CommandInvalid, `apply out of order: ${entry.index} after ${this.last}`);
    this.last = entry.index;
    const v = dec.decode(entry.data);
    this.items.push(v);
    this.onApply?.(entry.index, v);
    return this.items.length;
  }

  /** Index of the last applied command (or restored snapshot). */
  lastApplied(): number {
    return this.last;
  }

  /** JSON of { last, items }. */
  snapshot(): Promise<Uint8Array> {
    return Promise.resolve(enc.encode(JSON.stringify({ last: this.last, items: this.items })));
  }

  /** Nothing to release: the list stays readable for the checker. */
  close(): void {}

  /** Replaces the list with the snapshot's. */
  restore(data: Uint8Array, lastIndex: number): void {
    const s = JSON.parse(dec.decode(data)) as { last: number; items: string[] };
    this.items = s.items;
    this.last = lastIndex;
    this.onRestore?.(lastIndex, this.items);
  }
}

/** Encodes a command for ListStateMachine. */
export function listCommand(value: string): Uint8Array {
  return enc.encode(value);
}
