import { definePlugin } from '../../contracts/plugin.js';
import { TcpTransport } from './tcp-transport.js';

/** transport-tcp: the Transport port over TCP on the server port (RPC, Raft). Address: `host:port`. */
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
  },
});
