import { afterEach, describe, expect, it } from 'vitest';
import { connect as netConnect, createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { TcpCheckRunner, type HostLookup } from '../../plugins/check-tcp/tcp-check-runner.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import type { CheckDefinition } from '../../contracts/ports/check-runner.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const never = new AbortController().signal;

async function listener(host = '127.0.0.1'): Promise<{ server: Server; port: number; accepted: () => number }> {
  let n = 0;
  const server = createServer((sock) => {
    n++;
    sock.destroy();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port, accepted: () => n };
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function runner(opts: { lookup?: HostLookup; clock?: SystemClock | ManualClock } = {}): TcpCheckRunner {
  return new TcpCheckRunner({ clock: opts.clock ?? new SystemClock(), logger: new SilentLogger(), lookup: opts.lookup });
}

function def(fields: Record<string, unknown>): CheckDefinition {
  return { id: 't', name: 't', ...fields };
}

describe('tcp check', () => {
  it('a connection that opens is passing with `TCP connect <addr>: Success`', async () => {
    const l = await listener();
    const target = `127.0.0.1:${l.port}`;
    expect(await runner().probe(def({ tcp: target }), never)).toEqual({ status: 'passing', output: `TCP connect ${target}: Success` });
    await new Promise((r) => setTimeout(r, 50));
    expect(l.accepted()).toBe(1);
  });

  it('a refused connection is critical with Go dial error text', async () => {
    const port = await closedPort();
    expect(await runner().probe(def({ tcp: `127.0.0.1:${port}` }), never)).toEqual({
      status: 'critical',
      output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });

  it('resolves host names with the system resolver (localhost)', async () => {
    const l = await listener('127.0.0.1');
    expect(await runner().probe(def({ tcp: `localhost:${l.port}` }), never)).toEqual({
      status: 'passing',
      output: `TCP connect localhost:${l.port}: Success`,
    });
  });

  it('dual-stack: when the first address refuses, the next one that accepts wins', async () => {
    const l = await listener('127.0.0.1');
    const lookup: HostLookup = async () => ['::1', '127.0.0.2', '127.0.0.1'];
    const r = await runner({ lookup }).probe(def({ tcp: `svc.test:${l.port}` }), never);
    expect(r).toEqual({ status: 'passing', output: `TCP connect svc.test:${l.port}: Success` });
  });

  it('dual-stack: an address that never answers does not block the next one (300 ms fallback)', async () => {
    const l = await listener('127.0.0.1');
    const clock = new ManualClock();
    const attempts: string[] = [];
    const r = new TcpCheckRunner({
      clock,
      logger: new SilentLogger(),
      lookup: async () => ['2001:db8::1', '127.0.0.1'],
      // The first address's SYN goes unanswered: a socket that never connects nor fails.
      connect: (address, port) => {
        attempts.push(address);
        return address === '127.0.0.1' ? netConnect({ host: address, port }) : new Socket();
      },
    });
    const p = r.probe(def({ tcp: `svc.test:${l.port}` }), never);
    await new Promise((res) => setTimeout(res, 30));
    expect(attempts).toEqual(['2001:db8::1']);
    clock.advance(299);
    expect(attempts).toEqual(['2001:db8::1']);
    clock.advance(1);
    expect(attempts).toEqual(['2001:db8::1', '127.0.0.1']);
    expect(await p).toEqual({ status: 'passing', output: `TCP connect svc.test:${l.port}: Success` });
  });

  it('when every address fails, reports the first address error', async () => {
    const port = await closedPort();
    const lookup: HostLookup = async () => ['127.0.0.1', '::1'];
    expect((await runner({ lookup }).probe(def({ tcp: `svc.test:${port}` }), never)).output).toBe(
      `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });

  it('an unknown host is critical with `no such host`', async () => {
    const lookup: HostLookup = async (h) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
    };
    expect(await runner({ lookup }).probe(def({ tcp: 'nowhere.invalid:80' }), never)).toEqual({
      status: 'critical',
      output: 'dial tcp: lookup nowhere.invalid: no such host',
    });
  });

  it('times out after `timeout` (default 10s on the injected clock) with `i/o timeout`', async () => {
    const clock = new ManualClock();
    const lookup: HostLookup = () => new Promise(() => {}); // resolution hangs
    let settled = false;
    const p = runner({ lookup, clock })
      .probe(def({ tcp: 'slow.test:80' }), never)
      .finally(() => (settled = true));
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await p).toEqual({ status: 'critical', output: 'dial tcp: lookup slow.test: i/o timeout' });
  });

  it('validate names the bad field; accepts only `tcp` definitions', () => {
    const r = runner();
    expect(r.validate(def({ tcp: 'localhost' }), 'api')).toBe('tcp: address localhost: missing port in address');
    expect(r.validate(def({ tcp: 'localhost:http' }), 'api')).toBe('tcp: invalid port "http" in "localhost:http"');
    expect(r.validate(def({ tcp: '[::1]:80' }), 'api')).toBeUndefined();
    expect(r.validate(def({ tcp: 'localhost:80', timeout: 'x' }), 'api')).toBe('timeout: time: invalid duration "x"');
    expect(r.accepts(def({ tcp: 'localhost:80' }))).toBe(true);
    expect(r.accepts(def({ http: 'http://x' }))).toBe(false);
  });
});
