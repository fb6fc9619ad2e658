import { definePlugin } from '../../contracts/plugin.js';
import { RawTcpConnectionTransport } from './raw-connection-transport.js';
import { TcpTransport } from './tcp-transport.js';

/**
 * transport-tcp: the stream Transport over TCP on the server port (RPC, Raft), and the raw
 * connection plane on the serf LAN port (memberlist's TCP: push/pull, joins, fallback probes).
 * Address: `host:port`.
 */
export default definePlugin({
  name: 'transport-tcp',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Length-prefixed frames over pooled TCP connections (messages and request/response)',
  register(ctx) {
    ctx.provide(
      'transport',
      'tcp',
      (s) =>
        new TcpTransport({
          bindAddr: s.config.bindAddr,
          port: s.config.ports.server,
          advertiseAddr: s.config.advertiseAddr,
          logger: s.logger.child('transport'),
          clock: s.clock,
        }),
    );
    ctx.provide('connectionTransport', 'tcp', (s) => new RawTcpConnectionTransport({ host: s.config.bindAddr, port: s.config.ports.serfLan }));
  },
});
