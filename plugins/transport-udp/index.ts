import { definePlugin } from '../../contracts/plugin.js';
import { UdpTransport } from './udp-transport.js';

/** transport-udp: the PacketTransport port over UDP on the Serf LAN port (gossip probes and broadcasts). Address: `host:port`. */
export default definePlugin({
  name: 'transport-udp',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Best-effort datagrams over one UDP socket (udp4 or udp6 after the bind address)',
  register(ctx) {
    ctx.provide(
      'packetTransport',
      'udp',
      (s) =>
        new UdpTransport({
          bindAddr: s.config.bindAddr,
          port: s.config.ports.serfLan,
          advertiseAddr: s.config.advertiseAddr,
          logger: s.logger.child('packet-transport'),
        }),
    );
  },
});
