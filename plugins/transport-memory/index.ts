import { definePlugin } from '../../contracts/plugin.js';
import { MemoryConnectionTransport } from './memory-connection-transport.js';
import { MemoryTransportLease } from './memory-transport-lease.js';
import { sharedMemoryNetwork } from './shared-memory-network.js';

/** transport-memory: every Transport plane in-process (tests, in-process clusters). Address: node name. */
export default definePlugin({
  name: 'transport-memory',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'In-process transport (streams and packets) with partitions, drops and delays for tests',
  register(ctx) {
    ctx.provide('transport', 'memory', (s) => new MemoryTransportLease(sharedMemoryNetwork(s.clock, s.random), s.config.nodeName));
    ctx.provide('packetTransport', 'memory', (s) => new MemoryTransportLease(sharedMemoryNetwork(s.clock, s.random), s.config.nodeName));
    ctx.provide('connectionTransport', 'memory', (s) => new MemoryConnectionTransport(sharedMemoryNetwork(s.clock, s.random), s.config.nodeName));
  },
});
