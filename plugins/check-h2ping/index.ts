import { definePlugin } from '../../contracts/plugin.js';
import { H2PingCheckRunner } from './h2ping-check-runner.js';

/** check-h2ping: the `h2ping` check kind (an HTTP/2 PING over TLS or h2c). */
export default definePlugin({
  name: 'check-h2ping',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'H2PING checks: passing when an HTTP/2 PING to host:port is acknowledged',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('checkRunner', 'h2ping', (s) => new H2PingCheckRunner({ clock: s.clock, logger: s.logger.child('check.h2ping') }));
  },
});
