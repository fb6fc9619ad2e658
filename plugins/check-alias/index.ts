import { definePlugin } from '../../contracts/plugin.js';
import { AliasCheckRunner } from './alias-check-runner.js';

/** check-alias: the `alias` check kind (mirrors the health of another service or node). */
export default definePlugin({
  name: 'check-alias',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Alias checks: the aggregate health of a local service, or of a catalog node and its service',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('checkRunner', 'alias', (s) =>
      new AliasCheckRunner({
        clock: s.clock,
        logger: s.logger.child('check.alias'),
        // Resolved when a remote alias first queries: the health and catalog reads exist by then.
        catalog: () => ({ health: s.health, catalog: s.catalog }),
      }),
    );
  },
});
