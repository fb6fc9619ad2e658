import { definePlugin } from '../../contracts/plugin.js';
import { DnsSurface } from './dns-surface.js';

/** Consul's DNS interface (UDP and TCP on ports.dns), provided as apiSurface `dns`. */
export default definePlugin({
  name: 'surface-dns',
  version: '0.1.0',
  kernel: '^1.0.0',
  description: "Consul's DNS interface: services, nodes, addr, PTR, SOA/NS, recursors",
  register(ctx) {
    ctx.provide('apiSurface', 'dns', (s) =>
      new DnsSurface({ config: s.config, resolver: s.resolver, hooks: s.hooks, clock: s.clock, random: s.random, logger: s.logger.child('dns'), metrics: s.metrics }),
    );
  },
});
