import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { createServer as createH2cServer, type Http2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPackageDefinition, Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { HEALTH_V1_DESCRIPTOR } from '../../plugins/check-grpc/health-proto.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import type { Agent } from '../../src/kernel/agent.js';

// Issue 12: Consul's other check kinds (grpc, h2ping, udp, alias) registered through the agent
// API and config files, and Consul's decoding of durations given as JSON numbers (nanoseconds).

const running: Agent[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const c of cleanups.splice(0)) await c();
});

async function agent(config?: Record<string, unknown>): Promise<{ http: string; logs: string[] }> {
  const args = ['-dev'];
  if (config) {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-check-kinds-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'agent.json'), JSON.stringify(config));
    args.push('-config-dir', dir);
  }
  const { agent: a, http, logs } = await startInProcessAgent(args);
  running.push(a);
  return { http, logs };
}

const put = (url: string, body?: unknown): Promise<Response> => fetch(url, { method: 'PUT', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

interface CheckView {
  Status: string;
  Output: string;
  Type: string;
  Interval: string;
}

async function localCheck(http: string, id: string): Promise<CheckView | undefined> {
  return ((await (await fetch(`${http}/v1/agent/checks`)).json()) as Record<string, CheckView>)[id];
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 8_000): Promise<T> {
  const end = Date.now() + ms;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 25));
    last = await read();
  }
  return last;
}

async function grpcHealthServer(): Promise<string> {
  const pkg = loadPackageDefinition(fromJSON(HEALTH_V1_DESCRIPTOR, { enums: String, defaults: true, keepCase: true }));
  const v1 = ((pkg['grpc'] as Record<string, unknown>)['health'] as Record<string, unknown>)['v1'] as { Health: { service: ServiceDefinition } };
  const server = new Server();
  server.addService(v1.Health.service, {
    Check: (_call: unknown, cb: (e: null, r: { status: string }) => void) => cb(null, { status: 'SERVING' }),
    Watch: () => {},
  });
  cleanups.push(() => void server.forceShutdown());
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return `127.0.0.1:${port}`;
}

describe('grpc, h2ping and udp checks through the agent', () => {
  it('config-file checks (snake_case) of each kind run and pass', async () => {
    const grpc = await grpcHealthServer();
    const h2: Http2Server = createH2cServer();
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => h2.close(() => r())));
    const udp: Socket = createSocket('udp4');
    udp.on('message', (_m, from) => udp.send('ok', from.port, from.address));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => udp.close(() => r())));
    const h2Addr = `127.0.0.1:${(h2.address() as { port: number }).port}`;
    const udpAddr = `127.0.0.1:${udp.address().port}`;
    const { http } = await agent({
      checks: [
        { id: 'g', name: 'g', grpc: `${grpc}/anything`, grpc_use_tls: false, interval: '1s' },
        { id: 'h', name: 'h', h2ping: h2Addr, h2ping_use_tls: false, interval: '1s' },
        { id: 'u', name: 'u', udp: udpAddr, interval: '1s', timeout: '1s' },
      ],
    });
    expect((await until('grpc passing', () => localCheck(http, 'g'), (c) => c?.Status === 'passing'))).toMatchObject({ Output: `gRPC check ${grpc}/anything: success`, Type: 'grpc' });
    expect((await until('h2ping passing', () => localCheck(http, 'h'), (c) => c?.Status === 'passing'))).toMatchObject({ Output: 'HTTP2 ping was successful', Type: 'h2ping' });
    expect((await until('udp passing', () => localCheck(http, 'u'), (c) => c?.Status === 'passing'))).toMatchObject({ Output: `UDP connect ${udpAddr}: Success`, Type: 'udp' });
  });

  it('API bodies use Consul\'s field names (GRPC, GRPCUseTLS, H2PING, H2PingUseTLS, UDP)', async () => {
    const grpc = await grpcHealthServer();
    const { http } = await agent();
    expect((await put(`${http}/v1/agent/check/register`, { Name: 'g', GRPC: grpc, GRPCUseTLS: false, Interval: '1s' })).status).toBe(200);
    expect((await put(`${http}/v1/agent/check/register`, { Name: 'h', H2PING: '127.0.0.1:1', H2PingUseTLS: false, Interval: '1s' })).status).toBe(200);
    expect((await put(`${http}/v1/agent/check/register`, { Name: 'u', UDP: '127.0.0.1', Interval: '1s' })).status).toBe(200);
    await until('grpc passing', () => localCheck(http, 'g'), (c) => c?.Status === 'passing');
    expect(await until('h2ping refused', () => localCheck(http, 'h'), (c) => c?.Output !== '')).toMatchObject({
      Status: 'critical',
      Output: 'Failed to dial to 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused',
    });
    expect(await until('udp bad address', () => localCheck(http, 'u'), (c) => c?.Output !== '')).toMatchObject({
      Status: 'critical',
      Output: 'dial udp: address 127.0.0.1: missing port in address',
    });
  });
});

describe('alias checks', () => {
  it('mirror a local service\'s health as its checks change, and say when it is gone', async () => {
    const { http } = await agent();
    expect((await put(`${http}/v1/agent/service/register`, { Name: 'db', ID: 'db1', Check: { CheckID: 'db-ttl', TTL: '10m' } })).status).toBe(200);
    expect((await put(`${http}/v1/agent/check/register`, { Name: 'db-alias', AliasService: 'db1' })).status).toBe(200);
    const alias = (): Promise<CheckView | undefined> => localCheck(http, 'db-alias');
    expect(await until('critical like the TTL check', alias, (c) => c?.Status === 'critical' && c.Output !== '')).toMatchObject({ Output: 'Aliased check "Service \'db\' check" failing: ', Type: 'alias' });
    await put(`${http}/v1/agent/check/pass/db-ttl`);
    expect(await until('passing', alias, (c) => c?.Status === 'passing')).toMatchObject({ Output: 'All checks passing.' });
    await put(`${http}/v1/agent/check/warn/db-ttl?note=slow`);
    expect(await until('warning', alias, (c) => c?.Status === 'warning')).toMatchObject({ Output: 'Aliased check "Service \'db\' check" failing: slow' });
    // A node-level check counts too.
    expect((await put(`${http}/v1/agent/check/register`, { Name: 'disk', TTL: '10m' })).status).toBe(200);
    await put(`${http}/v1/agent/check/fail/disk?note=full`);
    expect(await until('critical from the node check', alias, (c) => c?.Status === 'critical')).toMatchObject({ Output: 'Aliased check "disk" failing: full' });
    await put(`${http}/v1/agent/check/deregister/disk`);
    await until('back to warning', alias, (c) => c?.Status === 'warning');
    await put(`${http}/v1/agent/service/deregister/db1`);
    expect(await until('gone', alias, (c) => c?.Status === 'critical')).toMatchObject({ Output: 'Service db1 could not be found on node ' });
  });

  it('with AliasNode, follow the catalog through blocking queries', async () => {
    const { http } = await agent();
    const self = (await (await fetch(`${http}/v1/agent/self`)).json()) as { Config: { NodeName: string } };
    const node = self.Config.NodeName;
    await put(`${http}/v1/agent/service/register`, { Name: 'web', ID: 'web1', Check: { CheckID: 'web-ttl', TTL: '10m' } });
    expect((await put(`${http}/v1/agent/check/register`, { Name: 'web-alias', AliasNode: node, AliasService: 'web1' })).status).toBe(200);
    const alias = (): Promise<CheckView | undefined> => localCheck(http, 'web-alias');
    await put(`${http}/v1/agent/check/pass/web-ttl`);
    expect(await until('passing through the catalog', alias, (c) => c?.Status === 'passing')).toMatchObject({ Output: 'All checks passing.' });
    await put(`${http}/v1/agent/check/fail/web-ttl?note=down`);
    expect(await until('critical through the catalog', alias, (c) => c?.Status === 'critical')).toMatchObject({ Output: 'Aliased check "Service \'web\' check" failing: down' });
  });

  it('refuses an alias beside a probing kind and a TTL, with Consul\'s texts', async () => {
    const { http } = await agent();
    const r1 = await put(`${http}/v1/agent/check/register`, { Name: 'a', AliasService: 'x', HTTP: 'http://127.0.0.1:1', Interval: '10s' });
    expect([r1.status, await r1.text()]).toEqual([400, 'Interval cannot be set for Alias checks']);
  });
});

describe('durations as JSON numbers (nanoseconds) in API bodies', () => {
  it('{"HTTP": …, "Interval": 1} is accepted and raised to 1s with Consul\'s warning', async () => {
    const { http, logs } = await agent();
    const r = await put(`${http}/v1/agent/check/register`, { Name: 'h', HTTP: 'http://127.0.0.1:1/', Interval: 1, Timeout: 2_000_000_000 });
    expect(r.status).toBe(200);
    const c = (await localCheck(http, 'h')) as CheckView & { Timeout: string };
    expect([c.Interval, c.Timeout]).toEqual(['1ns', '2s']);
    expect(logs.some((l) => l.includes('check has interval below minimum') && l.includes('minimum_interval=1s'))).toBe(true);
  });

  it('a catalog check\'s Definition durations given as numbers are stored as Go durations', async () => {
    const { http } = await agent();
    const r = await put(`${http}/v1/catalog/register`, {
      Node: 'ext', Address: '10.0.0.9',
      Check: { CheckID: 'ext-http', Name: 'ext-http', Status: 'passing', Definition: { HTTP: 'http://10.0.0.9/', Interval: 10_000_000_000, Timeout: '1m' } },
    });
    expect(r.status).toBe(200);
    const [c] = (await (await fetch(`${http}/v1/health/node/ext`)).json()) as { Definition: Record<string, unknown> }[];
    expect(c!.Definition).toMatchObject({ HTTP: 'http://10.0.0.9/', Interval: '10s', Timeout: '1m0s' });
  });

  it('TTL and DeregisterCriticalServiceAfter as numbers in a service registration', async () => {
    const { http } = await agent();
    const r = await put(`${http}/v1/agent/service/register`, { Name: 's', Check: { TTL: 30_000_000_000, DeregisterCriticalServiceAfter: 120_000_000_000 } });
    expect(r.status).toBe(200);
    expect((await put(`${http}/v1/agent/check/pass/service:s`)).status).toBe(200);
    expect((await localCheck(http, 'service:s'))?.Status).toBe('passing');
  });
});
