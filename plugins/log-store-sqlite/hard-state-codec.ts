import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { HardState } from '../../contracts/ports/log-store.js';

/** Format version of the persisted hard state; bump (and keep reading old ones) on change. */
const HARD_STATE_VERSION = 1;

/** Encodes the hard state as versioned JSON bytes. */
export function encodeHardState(state: HardState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: HARD_STATE_VERSION, currentTerm: state.currentTerm, votedFor: state.votedFor }));
}

/** Decodes bytes written by {@link encodeHardState}; STORAGE_CORRUPT when they are not. */
export function decodeHardState(bytes: Uint8Array): HardState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new SextantError(ErrorCode.StorageCorrupt, 'the stored hard state is not valid JSON', undefined, { cause: err });
  }
  const p = parsed as { v?: unknown; currentTerm?: unknown; votedFor?: unknown } | null;
  if (!p || p.v !== HARD_STATE_VERSION || !Number.isSafeInteger(p.currentTerm) || typeof p.votedFor !== 'string') {
    throw new SextantError(ErrorCode.StorageCorrupt, 'the stored hard state has an unknown format');
  }
  return { currentTerm: p.currentTerm as number, votedFor: p.votedFor };
}

/** Checks a hard state before it is written: term a non-negative integer, votedFor a string. */
export function invalidHardState(state: HardState): string | undefined {
  if (!Number.isSafeInteger(state.currentTerm) || state.currentTerm < 0) return 'currentTerm must be a non-negative integer';
  if (typeof state.votedFor !== 'string') return 'votedFor must be a string';
  return undefined;
}
