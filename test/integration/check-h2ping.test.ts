import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createH2cServer, createSecureServer, type Http2SecureServer, type Http2Server } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { H2PingCheckRunner } from '../../plugins/check-h2ping/h2ping-check-runner.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import type { CheckDefinition } from '../../contracts/ports/check-runner.js';
import { selfSignedCert } from '../support/self-signed-cert.js';

const never = new AbortController().signal;
const runner = (): H2PingCheckRunner => new H2PingCheckRunner({ clock: new SystemClock(), logger: new SilentLogger() });
const def = (fields: Record<string, unknown>): CheckDefinition => ({ id: 'h', name: 'h', ...fields });

let h2c: Http2Server;
let h2tls: Http2SecureServer;
let silent: Server;
let h2cAddr: string;
let tlsAddr: string;
let silentAddr: string;
let refusedAddr: string;

async function listen(s: Server | Http2Server | Http2SecureServer): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(s.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  h2c = createH2cServer();
  h2cAddr = await listen(h2c);
  h2tls = createSecureServer(selfSignedCert());
  tlsAddr = await listen(h2tls);
  silent = createNetServer((sock) => sock.resume()); // reads (so it sees the client leave) and never speaks HTTP/2
  silentAddr = await listen(silent);
  const closed = createNetServer();
  refusedAddr = await listen(closed);
  await new Promise((r) => closed.close(r));
});

afterAll(async () => {
  for (const s of [h2c, h2tls, silent]) await new Promise((r) => s.close(r));
});

describe('h2ping check', () => {
  it('an h2c server acknowledges the PING: passing', async () => {
    expect(await runner().probe(def({ h2ping: h2cAddr, h2ping_use_tls: false }), never)).toEqual({ status: 'passing', output: 'HTTP2 ping was successful' });
  });

  it('TLS is the default; a self-signed certificate fails verification unless tls_skip_verify', async () => {
    expect(await runner().probe(def({ h2ping: tlsAddr }), never)).toEqual({
      status: 'critical',
      output: `Failed to dial to ${tlsAddr}: tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    });
    expect(await runner().probe(def({ h2ping: tlsAddr, tls_skip_verify: true }), never)).toEqual({ status: 'passing', output: 'HTTP2 ping was successful' });
  });

  it('a refused connection is critical with Consul\'s dial text', async () => {
    expect(await runner().probe(def({ h2ping: refusedAddr, h2ping_use_tls: false }), never)).toEqual({
      status: 'critical',
      output: `Failed to dial to ${refusedAddr}: dial tcp ${refusedAddr}: connect: connection refused`,
    });
  });

  it('a server that never answers the PING is critical at the timeout', async () => {
    expect(await runner().probe(def({ h2ping: silentAddr, h2ping_use_tls: false, timeout: '300ms' }), never)).toEqual({
      status: 'critical',
      output: 'HTTP2 ping failed: context deadline exceeded',
    });
  });

  it('accepts only definitions with h2ping and validates its fields', () => {
    expect(runner().accepts(def({ h2ping: 'localhost:1' }))).toBe(true);
    expect(runner().accepts(def({ http: 'http://x' }))).toBe(false);
    expect(runner().validate(def({ h2ping: 'localhost:1', h2ping_use_tls: 'yes' }), 'api')).toBe('h2ping_use_tls: must be a boolean');
  });
});
