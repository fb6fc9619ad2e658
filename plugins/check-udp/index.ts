import { definePlugin } from '../../contracts/plugin.js';
import { UdpCheckRunner } from './udp-check-runner.js';

/** check-udp: the `udp` check kind (send a datagram; critical only on an ICMP-reported error). */
export default definePlugin({
  name: 'check-udp',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'UDP checks: passing unless sending to host:port reports an error (e.g. ICMP port unreachable)',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('checkRunner', 'udp', (s) => new UdpCheckRunner({ clock: s.clock, logger: s.logger.child('check.udp') }));
  },
});
