import { definePlugin } from '../../contracts/plugin.js';
import { TcpCheckRunner } from './tcp-check-runner.js';

/** check-tcp: the `tcp` check kind (connect to host:port; dual-stack, first success wins). */
export default definePlugin({
  name: 'check-tcp',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'TCP checks: passing when a connection to host:port opens',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('checkRunner', 'tcp', (s) => new TcpCheckRunner({ clock: s.clock, logger: s.logger.child('check.tcp') }));
  },
});
