import type { AutopilotConfigTable } from './autopilot-config-table.js';
import type { CatalogTable } from './catalog-table.js';
import type { CoordinateTable } from './coordinate-table.js';
import type { KvTable } from './kv-table.js';
import type { SessionTable } from './session-table.js';
import type { StateTxn } from './state-txn.js';

/**
 * The writable tables of one StateStore and the transaction their writes run in: what a
 * command's apply (see CommandEntry) and a transaction's operations work on. The tables
 * journal into `tx`, so reads through them see the transaction's own writes.
 */
export interface StateTables {
  readonly tx: StateTxn;
  readonly kv: KvTable;
  readonly catalog: CatalogTable;
  readonly sessions: SessionTable;
  readonly coordinates: CoordinateTable;
  readonly autopilot: AutopilotConfigTable;
}
