import { definePlugin } from '../../contracts/plugin.js';
import { MemoryTransportLease } from './memory-transport-lease.js';
import { sharedMemoryNetwork } from './shared-memory-network.js';

/** transport-memory: both Transport planes in-process (tests, in-process clusters). Address: node name. */
export default definePlugin({
  name: 'transport-memory',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'In-process transport (streams and packets) with partitions, drops and delays for tests',
  register(ctx) {
    ctx.provide('transport', 'memory', (s) => new MemoryTransportLease(sharedMemoryNetwork(s.clock, s.random), s.config.nodeName));
    ctx.provide('packetTransport', 'memory', (s) => new MemoryTransportLease(sharedMemoryNetwork(s.clock, s.random), s.config.nodeName));
  },
});
