import type { Command } from '../../../src/state/command.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';

/** A StateStore fed commands at consecutive Raft indexes (no Raft). */
export class StateHarness {
  readonly store = new StateStore();
  private next = 1;

  /** Applies `cmd` at the next index; returns [result, index used]. */
  apply(cmd: Command): boolean {
    return this.store.apply({ index: this.next++, term: 1, data: encodeCommand(cmd) }) as boolean;
  }

  /** The index the next apply will use. */
  get nextIndex(): number {
    return this.next;
  }

  /** Skips `n` Raft indexes (entries of other kinds). */
  skip(n: number): void {
    this.next += n;
  }

  set(key: string, value: string | Uint8Array, flags = '0'): boolean {
    return this.apply({ type: 'kv.set', key, value: bytes(value), flags });
  }

  cas(key: string, value: string, index: number, flags = '0'): boolean {
    return this.apply({ type: 'kv.cas', key, value: bytes(value), flags, index });
  }

  del(key: string): boolean {
    return this.apply({ type: 'kv.delete', key });
  }

  delCas(key: string, index: number): boolean {
    return this.apply({ type: 'kv.delete-cas', key, index });
  }

  delTree(prefix: string): boolean {
    return this.apply({ type: 'kv.delete-tree', prefix });
  }
}

export function bytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? new TextEncoder().encode(v) : v;
}

export function text(v: Uint8Array | undefined): string | undefined {
  return v === undefined ? undefined : new TextDecoder().decode(v);
}
