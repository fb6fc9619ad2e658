import { loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

/**
 * grpc.health.v1 (grpc/health/v1/health.proto) as a protobuf.js JSON descriptor, so no .proto
 * file has to ship beside the built plugin. Only Check is used by the check.
 */
export const HEALTH_V1_DESCRIPTOR: Parameters<typeof fromJSON>[0] = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
                },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', comment: '' },
                    Watch: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', responseStream: true, comment: '' },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** The grpc-js client constructor of grpc.health.v1.Health (enums as their names, defaults filled). */
export function healthClientConstructor(): ServiceClientConstructor {
  const pkg = loadPackageDefinition(fromJSON(HEALTH_V1_DESCRIPTOR, { enums: String, defaults: true, keepCase: true }));
  const v1 = ((pkg['grpc'] as Record<string, unknown>)['health'] as Record<string, unknown>)['v1'] as Record<string, unknown>;
  return v1['Health'] as ServiceClientConstructor;
}
