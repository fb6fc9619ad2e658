import { definePlugin } from '../../contracts/plugin.js';
import { TtlCheckRunner } from './ttl-check-runner.js';

/** check-ttl: the passive `ttl` check kind (updated through the agent's check pass/warn/fail/update API). */
export default definePlugin({
  name: 'check-ttl',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'TTL checks: critical with "TTL expired" unless refreshed within the TTL',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('checkRunner', 'ttl', (s) => new TtlCheckRunner({ logger: s.logger.child('check.ttl'), checkOutputMaxSize: s.config.checkOutputMaxSize }));
  },
});
