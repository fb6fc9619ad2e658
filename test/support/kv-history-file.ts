import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Operation } from '../../src/testing/linearizability/history.js';
import type { KvInput, KvOutput } from '../../src/testing/linearizability/kv-model.js';
import { kvModel } from '../../src/testing/linearizability/kv-model.js';
import { checkLinearizable, type CheckResult } from '../../src/testing/linearizability/linearizability-checker.js';

/**
 * A KV history saved as JSON so a failing run can be re-checked later: JSON has no Infinity,
 * so an operation whose answer was lost is stored with `return: null` and no `output`.
 * Extra fields of an operation (agent, mode, why it was lost) are kept as they are.
 */
export interface SavedKvHistory {
  /** Free-form facts about the run (seed, faults, counts). */
  readonly meta: Record<string, unknown>;
  readonly ops: readonly (Omit<Operation<KvInput, KvOutput>, 'return'> & { return: number | null })[];
}

/** Writes `ops` (and `meta`) to `path` as JSON, creating its directory; returns `path`. */
export function saveKvHistory(path: string, ops: readonly Operation<KvInput, KvOutput>[], meta: Record<string, unknown> = {}): string {
  mkdirSync(dirname(path), { recursive: true });
  const saved: SavedKvHistory = { meta, ops: ops.map((o) => ({ ...o, return: Number.isFinite(o.return) ? o.return : null })) };
  writeFileSync(path, JSON.stringify(saved, null, 1));
  return path;
}

/** Reads a history written by saveKvHistory. */
export function loadKvHistory(path: string): { meta: Record<string, unknown>; ops: Operation<KvInput, KvOutput>[] } {
  const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedKvHistory;
  return { meta: saved.meta, ops: saved.ops.map((o) => ({ ...o, return: o.return ?? Infinity })) };
}

/** Re-checks a saved history against the KV model (as the e2e test checked it). */
export function recheckKvHistory(path: string, maxSteps?: number): CheckResult<KvInput, KvOutput> {
  return checkLinearizable(kvModel, loadKvHistory(path).ops, maxSteps === undefined ? {} : { maxSteps });
}
