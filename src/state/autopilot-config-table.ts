import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { AutopilotSettings } from '../../contracts/services/operator-service.js';
import type { StateTxn } from './state-txn.js';

/** The stored autopilot configuration: the settings and the indexes of its first and last write. */
export interface StoredAutopilotConfig {
  readonly settings: Readonly<AutopilotSettings>;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** The read side of the autopilot configuration (Consul's state.AutopilotConfig). */
export interface AutopilotConfigReader {
  /** The stored configuration, or undefined before the first leader stored one. */
  get(): StoredAutopilotConfig | undefined;
}

const KEY = 'config';

/**
 * The autopilot configuration of the replicated state (Consul's "autopilot-config" table of
 * agent/consul/state/autopilot.go): one row, written by the `autopilot.set-config` command.
 * Without `cas` a write always stores (CreateIndex kept, ModifyIndex the entry's index); with
 * `cas` only when a row exists and its ModifyIndex equals it (Consul's AutopilotCASConfig).
 */
export class AutopilotConfigTable implements AutopilotConfigReader {
  private readonly rows = new Map<string, StoredAutopilotConfig>();

  /** @param tx the transaction every write runs in (the StateStore's). */
  constructor(private readonly tx: StateTxn) {}

  /** See AutopilotConfigReader.get. */
  get(): StoredAutopilotConfig | undefined {
    return this.rows.get(KEY);
  }

  /** Stores `settings` at `idx` (state machine only); answers whether it was stored. */
  set(idx: number, settings: AutopilotSettings, cas: number | undefined): boolean {
    const existing = this.rows.get(KEY);
    if (cas !== undefined && (!existing || existing.modifyIndex !== cas)) return false;
    const row: StoredAutopilotConfig = Object.freeze({
      settings: Object.freeze({ ...settings }),
      createIndex: existing?.createIndex ?? idx,
      modifyIndex: idx,
    });
    this.tx.mapSet(this.rows, KEY, row);
    return true;
  }

  /** The table's part of a state snapshot (undefined when nothing is stored). */
  toSnapshot(): StoredAutopilotConfig | undefined {
    return this.rows.get(KEY);
  }

  /** Replaces the table with a snapshot's part (undefined: empty); throws STORAGE_CORRUPT on a malformed one. */
  load(snap: unknown): void {
    if (snap === undefined || snap === null) {
      this.rows.clear();
      return;
    }
    const row = parseStoredConfig(snap);
    this.rows.clear();
    this.rows.set(KEY, row);
  }
}

function parseStoredConfig(v: unknown): StoredAutopilotConfig {
  const bad = (): SextantError => new SextantError(ErrorCode.StorageCorrupt, 'corrupt state snapshot: bad autopilot configuration');
  if (typeof v !== 'object' || v === null) throw bad();
  const r = v as Record<string, unknown>;
  const s = r.settings;
  if (typeof s !== 'object' || s === null) throw bad();
  const settings = checkSettings(s as Record<string, unknown>);
  if (!settings || !isIndex(r.createIndex) || !isIndex(r.modifyIndex)) throw bad();
  return Object.freeze({ settings: Object.freeze(settings), createIndex: r.createIndex, modifyIndex: r.modifyIndex });
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** `s` as AutopilotSettings when every field has the right type and range, else undefined. */
export function checkSettings(s: Record<string, unknown>): AutopilotSettings | undefined {
  const { cleanupDeadServers, lastContactThresholdMs, maxTrailingLogs, minQuorum, serverStabilizationTimeMs } = s;
  if (typeof cleanupDeadServers !== 'boolean') return undefined;
  for (const n of [lastContactThresholdMs, maxTrailingLogs, minQuorum, serverStabilizationTimeMs]) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return undefined;
  }
  return {
    cleanupDeadServers,
    lastContactThresholdMs: lastContactThresholdMs as number,
    maxTrailingLogs: maxTrailingLogs as number,
    minQuorum: minQuorum as number,
    serverStabilizationTimeMs: serverStabilizationTimeMs as number,
  };
}
