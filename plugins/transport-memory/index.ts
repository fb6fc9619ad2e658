import { definePlugin } from '../../contracts/plugin.js';
import { MemoryTransport } from './memory-transport.js';
import { sharedMemoryNetwork } from './shared-memory-network.js';

/** transport-memory: an in-process Transport (tests, in-process clusters). Address: node name. */
export default definePlugin({
  name: 'transport-memory',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'In-process transport with partitions, drops and delays for tests',
  register(ctx) {
    ctx.provide('transport', 'memory', (s) => new MemoryTransport(sharedMemoryNetwork(s.clock, s.random), s.config.nodeName));
  },
});
