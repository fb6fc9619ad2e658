import { definePlugin } from '../../contracts/plugin.js';
import { GrpcCheckRunner } from './grpc-check-runner.js';

/** check-grpc: the `grpc` check kind (grpc.health.v1.Health/Check through @grpc/grpc-js). */
export default definePlugin({
  name: 'check-grpc',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'gRPC checks: passing when the gRPC health-checking protocol answers SERVING',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('checkRunner', 'grpc', (s) => new GrpcCheckRunner({ clock: s.clock, logger: s.logger.child('check.grpc') }));
  },
});
