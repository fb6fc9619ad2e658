import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { HttpCheckRunner } from '../../plugins/check-http/http-check-runner.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import type { CheckDefinition } from '../../contracts/ports/check-runner.js';
import type { Clock } from '../../contracts/platform.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
}

const seen: Seen[] = [];
let server: Server;
let tlsServer: Server;
let base: string;
let tlsBase: string;
let certDir: string;
const never = new AbortController().signal;

function handler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
    const path = req.url!.split('?')[0];
    switch (path) {
      case '/ok':
        return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('healthy');
      case '/created':
        return void res.writeHead(201).end('made');
      case '/busy':
        return void res.writeHead(429).end('slow down');
      case '/fail':
        return void res.writeHead(500).end('boom');
      case '/reason':
        return void res.writeHead(200, 'Fine Thanks').end('x');
      case '/redirect':
        return void res.writeHead(302, { Location: '/ok' }).end();
      case '/redirect-abs':
        return void res.writeHead(301, { Location: `${base}/ok` }).end();
      case '/redirect-303':
        return void res.writeHead(303, { Location: '/echo' }).end();
      case '/redirect-307':
        return void res.writeHead(307, { Location: '/echo' }).end();
      case '/loop':
        return void res.writeHead(302, { Location: '/loop' }).end();
      case '/echo':
        return void res.writeHead(200).end(`${req.method} ${body}`);
      case '/big':
        return void res.writeHead(200).end('a'.repeat(5000) + 'END');
      case '/slow':
        return; // never answers
      case '/slow-body':
        res.writeHead(200);
        res.write('partial');
        return; // never ends
      default:
        res.writeHead(404).end('not found');
    }
  });
}

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  server = createHttpServer(handler);
  base = `http://127.0.0.1:${await listen(server)}`;
  certDir = mkdtempSync(join(tmpdir(), 'check-http-tls-'));
  const key = join(certDir, 'key.pem');
  const cert = join(certDir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  tlsServer = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, handler);
  tlsBase = `https://127.0.0.1:${await listen(tlsServer)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  tlsServer.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => tlsServer.close(r));
  rmSync(certDir, { recursive: true, force: true });
});

function runner(clock: Clock = new SystemClock()): HttpCheckRunner {
  return new HttpCheckRunner({ clock, logger: new SilentLogger() });
}

function def(fields: Record<string, unknown>): CheckDefinition {
  return { id: 'web', name: 'web', ...fields };
}

async function probeSeen(fields: Record<string, unknown>): Promise<{ status: string; output: string; requests: Seen[] }> {
  const before = seen.length;
  const r = await runner().probe(def(fields), never);
  return { ...r, requests: seen.slice(before) };
}

describe('http check: status mapping and Consul output format', () => {
  it('2xx is passing with `HTTP GET <url>: <status> Output: <body>`', async () => {
    expect(await runner().probe(def({ http: `${base}/ok` }), never)).toEqual({
      status: 'passing',
      output: `HTTP GET ${base}/ok: 200 OK Output: healthy`,
    });
    expect((await runner().probe(def({ http: `${base}/created` }), never)).status).toBe('passing');
  });

  it('429 is warning, 500 and 404 are critical', async () => {
    expect(await runner().probe(def({ http: `${base}/busy` }), never)).toEqual({
      status: 'warning',
      output: `HTTP GET ${base}/busy: 429 Too Many Requests Output: slow down`,
    });
    expect(await runner().probe(def({ http: `${base}/fail` }), never)).toEqual({
      status: 'critical',
      output: `HTTP GET ${base}/fail: 500 Internal Server Error Output: boom`,
    });
    expect((await runner().probe(def({ http: `${base}/nope` }), never)).status).toBe('critical');
  });

  it("reports the server's own reason phrase", async () => {
    expect((await runner().probe(def({ http: `${base}/reason` }), never)).output).toBe(`HTTP GET ${base}/reason: 200 Fine Thanks Output: x`);
  });

  it('keeps the last 4096 body bytes (no prefix), or output_max_size', async () => {
    const r = await runner().probe(def({ http: `${base}/big` }), never);
    const prefix = `HTTP GET ${base}/big: 200 OK Output: `;
    expect(r.output.startsWith(prefix)).toBe(true);
    expect(r.output.length - prefix.length).toBe(4096);
    expect(r.output.endsWith('aaaEND')).toBe(true);
    expect((await runner().probe(def({ http: `${base}/big`, output_max_size: 10 }), never)).output).toBe(`${prefix}aaaaaaaEND`);
  });
});

describe('http check: request shape', () => {
  it('sends Consul User-Agent and Accept, disables keep-alive', async () => {
    const { requests } = await probeSeen({ http: `${base}/ok` });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.method).toBe('GET');
    expect(requests[0]!.headers['user-agent']).toBe('Consul Health Check');
    expect(requests[0]!.headers.accept).toBe('text/plain, text/*, */*');
    expect(requests[0]!.headers.connection).toBe('close');
  });

  it('sends every header value, honours Host and a custom User-Agent', async () => {
    const { requests, status } = await probeSeen({
      http: `${base}/ok`,
      header: { 'X-Multi': ['one', 'two'], Host: ['example.test'], 'User-Agent': ['probe/1'] },
    });
    expect(status).toBe('passing');
    const h = requests[0]!;
    const multi = [] as string[];
    for (let i = 0; i < h.rawHeaders.length; i += 2) if (h.rawHeaders[i]!.toLowerCase() === 'x-multi') multi.push(h.rawHeaders[i + 1]!);
    expect(multi).toEqual(['one', 'two']);
    expect(h.headers.host).toBe('example.test');
    expect(h.headers['user-agent']).toBe('probe/1');
  });

  it('sends method and body', async () => {
    const { requests, output } = await probeSeen({ http: `${base}/echo`, method: 'POST', body: '{"ping":1}' });
    expect(requests[0]!.method).toBe('POST');
    expect(requests[0]!.body).toBe('{"ping":1}');
    expect(requests[0]!.headers['content-length']).toBe('10');
    expect(output).toBe(`HTTP POST ${base}/echo: 200 OK Output: POST {"ping":1}`);
  });
});

describe('http check: redirects', () => {
  it('follows redirects (relative and absolute) and reports the configured URL', async () => {
    const r = await probeSeen({ http: `${base}/redirect` });
    expect(r.status).toBe('passing');
    expect(r.output).toBe(`HTTP GET ${base}/redirect: 200 OK Output: healthy`);
    expect(r.requests.map((x) => x.url)).toEqual(['/redirect', '/ok']);
    expect((await probeSeen({ http: `${base}/redirect-abs` })).status).toBe('passing');
  });

  it('disable_redirects reports the 3xx itself, which is critical', async () => {
    const r = await probeSeen({ http: `${base}/redirect`, disable_redirects: true });
    expect(r.status).toBe('critical');
    expect(r.output).toBe(`HTTP GET ${base}/redirect: 302 Found Output: `);
    expect(r.requests).toHaveLength(1);
  });

  it('gives up after 10 redirects with Go error text', async () => {
    const r = await probeSeen({ http: `${base}/loop` });
    expect(r.status).toBe('critical');
    expect(r.output).toBe(`Get "${base}/loop": stopped after 10 redirects`);
    expect(r.requests).toHaveLength(11);
  });

  it('303 turns POST into GET without a body; 307 replays POST with its body', async () => {
    const a = await probeSeen({ http: `${base}/redirect-303`, method: 'POST', body: 'data' });
    expect(a.requests.map((x) => `${x.method} ${x.url} ${x.body}`)).toEqual(['POST /redirect-303 data', 'GET /echo ']);
    const b = await probeSeen({ http: `${base}/redirect-307`, method: 'POST', body: 'data' });
    expect(b.requests.map((x) => `${x.method} ${x.url} ${x.body}`)).toEqual(['POST /redirect-307 data', 'POST /echo data']);
    expect(b.output).toBe(`HTTP POST ${base}/redirect-307: 200 OK Output: POST data`);
  });
});

describe('http check: failures', () => {
  it('timeout is critical with Go client-timeout text', async () => {
    const t0 = Date.now();
    const r = await runner().probe(def({ http: `${base}/slow`, timeout: '300ms' }), never);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r).toEqual({ status: 'critical', output: `Get "${base}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
  });

  it('a timeout while reading the body keeps the status and the partial body', async () => {
    const r = await runner().probe(def({ http: `${base}/slow-body`, timeout: '300ms' }), never);
    expect(r).toEqual({ status: 'passing', output: `HTTP GET ${base}/slow-body: 200 OK Output: partial` });
  });

  it('default timeout is 10s (on the injected clock)', async () => {
    const clock = new ManualClock();
    let settled = false;
    const p = runner(clock)
      .probe(def({ http: `${base}/slow` }), never)
      .finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    clock.advance(1);
    expect((await p).output).toContain('Client.Timeout exceeded');
  });

  it('connection refused is critical with Go dial error text', async () => {
    const s = createHttpServer();
    const port = await listen(s);
    await new Promise((r) => s.close(r));
    expect(await runner().probe(def({ http: `http://127.0.0.1:${port}/health` }), never)).toEqual({
      status: 'critical',
      output: `Get "http://127.0.0.1:${port}/health": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });

  it('abort resolves critical with `context canceled`', async () => {
    const ac = new AbortController();
    const p = runner().probe(def({ http: `${base}/slow` }), ac.signal);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect(await p).toEqual({ status: 'critical', output: `Get "${base}/slow": context canceled` });
  });
});

describe('http check: TLS', () => {
  it('a self-signed certificate is critical unless tls_skip_verify', async () => {
    expect(await runner().probe(def({ http: `${tlsBase}/ok` }), never)).toEqual({
      status: 'critical',
      output: `Get "${tlsBase}/ok": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    });
    expect(await runner().probe(def({ http: `${tlsBase}/ok`, tls_skip_verify: true }), never)).toEqual({
      status: 'passing',
      output: `HTTP GET ${tlsBase}/ok: 200 OK Output: healthy`,
    });
  });

  it('an https URL answered in plain HTTP is critical with Go text', async () => {
    const url = `${base.replace('http:', 'https:')}/ok`;
    expect(await runner().probe(def({ http: url, tls_skip_verify: true }), never)).toEqual({
      status: 'critical',
      output: `Get "${url}": http: server gave HTTP response to HTTPS client`,
    });
  });
});

describe('http check: accepts and validate', () => {
  it('accepts only definitions with `http`', () => {
    expect(runner().accepts(def({ http: `${base}/ok` }))).toBe(true);
    expect(runner().accepts(def({ tcp: 'localhost:1' }))).toBe(false);
  });

  it('names the bad field', () => {
    const r = runner();
    expect(r.validate(def({ http: 'not a url' }), 'api')).toBe('http: invalid URL "not a url"');
    expect(r.validate(def({ http: 'ftp://x/y' }), 'api')).toBe('http: unsupported protocol scheme "ftp" in "ftp://x/y"');
    expect(r.validate(def({ http: `${base}/ok`, method: 'GE T' }), 'api')).toBe('method: invalid method "GE T"');
    expect(r.validate(def({ http: `${base}/ok`, header: { 'X-A': 'one' } }), 'api')).toBe('header: "X-A" must be a list of strings');
    expect(r.validate(def({ http: `${base}/ok`, timeout: '1d' }), 'api')).toBe('timeout: time: unknown unit "d" in duration "1d"');
    expect(r.validate(def({ http: `${base}/ok`, tls_skip_verify: 'yes' }), 'api')).toBe('tls_skip_verify: must be true or false');
    expect(r.validate(def({ http: `${base}/ok`, method: 'PUT', header: { A: ['b'] }, body: 'x', timeout: '1s' }), 'api')).toBeUndefined();
  });
});
