import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../../../src/cli/command.js';
import { catalogNodesCommand, kvDeleteCommand, kvGetCommand, kvPutCommand, membersCommand, reloadCommand } from '../../../src/cli/commands/index.js';
import { resolveToken } from '../../../src/cli/http-client.js';
import { member } from '../surface-rest/fakes.js';

// The client commands carry Consul's request context: -datacenter as ?dc=, -token as the
// X-Consul-Token header (default SEXTANT_HTTP_TOKEN, then CONSUL_HTTP_TOKEN), as Consul's CLI does.

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

let server: Server;
let base: string;
let seen: Seen[];

beforeEach(async () => {
  seen = [];
  // A stand-in agent that records each request and answers what the commands expect.
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-consul-index', '1');
      if (req.method === 'PUT' || req.method === 'DELETE') return res.end(url.pathname.startsWith('/v1/kv/') ? 'true' : '');
      if (url.pathname.startsWith('/v1/kv/')) return res.end(JSON.stringify([{ Key: 'k', Value: Buffer.from('v').toString('base64'), Flags: 0, CreateIndex: 1, ModifyIndex: 1, LockIndex: 0 }]));
      if (url.pathname === '/v1/agent/members') return res.end(JSON.stringify([member('node-a')]));
      res.end('[]');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function run(cmd: Command, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await cmd.run(args, {
    stdout: { write: () => {} },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {})(),
    env: { SEXTANT_HTTP_ADDR: base, ...env },
  });
  return { code, stderr };
}

describe('client commands: -datacenter and -token', () => {
  it('send ?dc= and X-Consul-Token on reads, writes and deletes', async () => {
    const cases: [Command, string[]][] = [
      [kvGetCommand, ['k']],
      [kvPutCommand, ['k', 'v']],
      [kvDeleteCommand, ['k']],
      [membersCommand, []],
      [reloadCommand, []],
      [catalogNodesCommand, []],
    ];
    for (const [cmd, args] of cases) {
      seen = [];
      const r = await run(cmd, ['-datacenter', 'dc2', '-token', 'secret-1', ...args]);
      expect(r.code, `${cmd.name}: ${r.stderr}`).toBe(0);
      expect(seen.length, cmd.name).toBeGreaterThan(0);
      for (const req of seen) {
        expect(req.query.getAll('dc'), `${cmd.name}: ${req.method} ${req.path}`).toEqual(['dc2']);
        expect(req.headers['x-consul-token'], `${cmd.name}: ${req.method} ${req.path}`).toBe('secret-1');
      }
    }
  });

  it('send neither when no datacenter or token is given', async () => {
    await run(kvGetCommand, ['k']);
    expect(seen.map((r) => [r.query.has('dc'), r.headers['x-consul-token']])).toEqual([[false, undefined]]);
  });

  it('take the token from SEXTANT_HTTP_TOKEN, then CONSUL_HTTP_TOKEN, unless -token is given', async () => {
    await run(kvGetCommand, ['k'], { CONSUL_HTTP_TOKEN: 'consul-env' });
    await run(kvGetCommand, ['k'], { CONSUL_HTTP_TOKEN: 'consul-env', SEXTANT_HTTP_TOKEN: 'sextant-env' });
    await run(kvGetCommand, ['-token=flag', 'k'], { CONSUL_HTTP_TOKEN: 'consul-env', SEXTANT_HTTP_TOKEN: 'sextant-env' });
    expect(seen.map((r) => r.headers['x-consul-token'])).toEqual(['consul-env', 'sextant-env', 'flag']);
    expect(resolveToken('', { SEXTANT_HTTP_TOKEN: '', CONSUL_HTTP_TOKEN: '' })).toBeUndefined();
  });
});
