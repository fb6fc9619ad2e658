import { definePlugin } from '../../contracts/plugin.js';
import { HttpCheckRunner } from './http-check-runner.js';

/** check-http: the `http` check kind (2xx passing, 429 warning, else critical). */
export default definePlugin({
  name: 'check-http',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'HTTP checks: one request per interval, Consul output format and User-Agent',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('checkRunner', 'http', (s) => new HttpCheckRunner({ clock: s.clock, logger: s.logger.child('check.http'), checkOutputMaxSize: s.config.checkOutputMaxSize }));
  },
});
