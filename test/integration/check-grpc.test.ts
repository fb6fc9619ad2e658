import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { loadPackageDefinition, Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { GrpcCheckRunner } from '../../plugins/check-grpc/grpc-check-runner.js';
import { HEALTH_V1_DESCRIPTOR } from '../../plugins/check-grpc/health-proto.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import type { CheckDefinition } from '../../contracts/ports/check-runner.js';
import { selfSignedCert } from '../support/self-signed-cert.js';

const never = new AbortController().signal;
const runner = (): GrpcCheckRunner => new GrpcCheckRunner({ clock: new SystemClock(), logger: new SilentLogger() });
const def = (fields: Record<string, unknown>): CheckDefinition => ({ id: 'g', name: 'g', ...fields });

/** What the servers answer, per service name ('' = the whole server), as grpc-go's health server does. */
const statuses = new Map<string, string>([
  ['', 'SERVING'],
  ['web', 'SERVING'],
  ['db', 'NOT_SERVING'],
]);
let hang = false;

function healthService(): ServiceDefinition {
  const pkg = loadPackageDefinition(fromJSON(HEALTH_V1_DESCRIPTOR, { enums: String, defaults: true, keepCase: true }));
  const v1 = ((pkg['grpc'] as Record<string, unknown>)['health'] as Record<string, unknown>)['v1'] as { Health: { service: ServiceDefinition } };
  return v1.Health.service;
}

const check = (call: ServerUnaryCall<{ service: string }, { status: string }>, cb: sendUnaryData<{ status: string }>): void => {
  if (hang) return;
  const s = statuses.get(call.request.service);
  if (s === undefined) cb({ code: GrpcStatus.NOT_FOUND, details: 'unknown service' });
  else cb(null, { status: s });
};

const servers: Server[] = [];
let plainAddr: string;
let tlsAddr: string;
let refusedAddr: string;

async function start(creds: ServerCredentials): Promise<string> {
  const server = new Server();
  server.addService(healthService(), { Check: check, Watch: () => {} });
  servers.push(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  return `127.0.0.1:${port}`;
}

beforeAll(async () => {
  plainAddr = await start(ServerCredentials.createInsecure());
  const { key, cert } = selfSignedCert();
  tlsAddr = await start(ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }]));
  const closed = createNetServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  refusedAddr = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((r) => closed.close(r));
});

afterAll(() => {
  for (const s of servers) s.forceShutdown();
});

describe('grpc check (grpc.health.v1 through @grpc/grpc-js)', () => {
  it('SERVING for the whole server and for a named service: passing with Consul\'s output', async () => {
    expect(await runner().probe(def({ grpc: plainAddr }), never)).toEqual({ status: 'passing', output: `gRPC check ${plainAddr}: success` });
    expect(await runner().probe(def({ grpc: `${plainAddr}/web` }), never)).toEqual({ status: 'passing', output: `gRPC check ${plainAddr}/web: success` });
  });

  it('NOT_SERVING is critical with the serving status', async () => {
    expect(await runner().probe(def({ grpc: `${plainAddr}/db` }), never)).toEqual({ status: 'critical', output: `gRPC ${plainAddr}/db serving status: NOT_SERVING` });
  });

  it('an unknown service is critical with grpc-go\'s status error text', async () => {
    expect(await runner().probe(def({ grpc: `${plainAddr}/nope` }), never)).toEqual({ status: 'critical', output: 'rpc error: code = NotFound desc = unknown service' });
  });

  it('a refused connection is critical with grpc-go\'s Unavailable text', async () => {
    expect(await runner().probe(def({ grpc: refusedAddr }), never)).toEqual({
      status: 'critical',
      output: `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${refusedAddr}: connect: connection refused"`,
    });
  });

  it('a server that does not answer within the timeout is DeadlineExceeded', async () => {
    hang = true;
    try {
      expect(await runner().probe(def({ grpc: plainAddr, timeout: '300ms' }), never)).toEqual({ status: 'critical', output: 'rpc error: code = DeadlineExceeded desc = context deadline exceeded' });
    } finally {
      hang = false;
    }
  });

  it('grpc_use_tls: a self-signed certificate fails unless tls_skip_verify; plaintext to a TLS port fails', async () => {
    const verified = await runner().probe(def({ grpc: tlsAddr, grpc_use_tls: true }), never);
    expect(verified.status).toBe('critical');
    expect(verified.output).toMatch(/^rpc error: code = Unavailable desc = /);
    expect(await runner().probe(def({ grpc: `${tlsAddr}/web`, grpc_use_tls: true, tls_skip_verify: true }), never)).toEqual({ status: 'passing', output: `gRPC check ${tlsAddr}/web: success` });
    expect((await runner().probe(def({ grpc: tlsAddr, timeout: '2s' }), never)).status).toBe('critical');
  });

  it('accepts only definitions with grpc and validates its fields', () => {
    expect(runner().accepts(def({ grpc: 'localhost:1' }))).toBe(true);
    expect(runner().accepts(def({ tcp: 'localhost:1' }))).toBe(false);
    expect(runner().validate(def({ grpc: 'localhost:1', grpc_use_tls: 1 }), 'api')).toBe('grpc_use_tls: must be a boolean');
    expect(runner().validate(def({ grpc: 'localhost:1', timeout: 'x' }), 'api')).toBe('timeout: time: invalid duration "x"');
  });
});
