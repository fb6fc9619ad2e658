import type { Clock } from '../../contracts/platform.js';
import type { Metrics } from '../../contracts/ports/metrics.js';
import type { MethodTable } from './method-table.js';
import type { RpcName } from './rpc-schema.js';

/** Consul's endpoint samples (MeasureSince in each server endpoint), by RPC method. */
export const MEASURED_METHODS: Readonly<Partial<Record<RpcName, string>>> = {
  'KVS.Apply': 'kvs.apply',
  'Txn.Apply': 'txn.apply',
  'Catalog.Register': 'catalog.register',
  'Catalog.Deregister': 'catalog.deregister',
  'Session.Apply': 'session.apply',
};

/**
 * Wraps the handlers of the measured methods in `table` so that each call on this server
 * records its duration in ms as a sample (`kvs.apply`, `txn.apply`, `catalog.register`, …),
 * whether it succeeds or fails, as Consul's `defer metrics.MeasureSince(...)` does.
 */
export function measureMethods(table: MethodTable, metrics: Metrics, clock: Clock): void {
  for (const [name, metric] of Object.entries(MEASURED_METHODS) as [RpcName, string][]) {
    const m = table.get(name) as { handler: (a: unknown, c: unknown) => Promise<unknown> } | undefined;
    if (!m) continue;
    const inner = m.handler;
    (m as { handler: (a: unknown, c: unknown) => Promise<unknown> }).handler = async (args, ctx) => {
      const started = clock.now();
      try {
        return await inner(args, ctx);
      } finally {
        metrics.measureSince(metric, started);
      }
    };
  }
}
