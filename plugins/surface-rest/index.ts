import { definePlugin } from '../../contracts/plugin.js';
import { RestSurface } from './rest-surface.js';

/** The REST API surface (Consul's HTTP API on koa), provided as apiSurface `http`. */
export default definePlugin({
  name: 'surface-rest',
  version: '0.1.0',
  kernel: '^1.0.0',
  description: "Consul's HTTP API (KV, status, agent) on koa + @koa/router",
  register(ctx) {
    ctx.provide('apiSurface', 'http', (s) =>
      new RestSurface({
        config: s.config,
        kv: s.kv,
        status: s.status,
        operator: s.operator,
        snapshot: s.snapshot,
        agent: s.agent,
        catalog: s.catalog,
        health: s.health,
        internalUi: s.internalUi,
        localAgent: s.localAgent,
        session: s.session,
        txn: s.txn,
        events: s.events,
        telemetry: s.telemetry,
        coordinate: s.coordinate,
        metrics: s.metrics,
        logger: s.logger.child('http'),
        clock: s.clock,
        random: s.random,
      }),
    );
  },
});
