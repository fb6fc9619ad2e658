import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { exitWithOutput } from '../support/exit-with-output.js';
import { freePort } from '../support/free-port.js';

/**
 * HAProxy (Debian's haproxy, installed by .ci/run) load-balancing over Sextant's DNS as HAProxy
 * users configure it: a `resolvers` section on the agent's DNS port and a `server-template` on
 * the SRV name, so backends come and go with the agent's health checks.
 */
describe('HAProxy resolving its backends through the agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-haproxy-'));
  let agent: AgentProcess;
  let haproxy: ChildProcess;
  let haproxyOut = '';
  let frontPort: number;
  const backends: http.Server[] = [];

  const agentPut = async (path: string, body?: unknown): Promise<void> => {
    const res = await fetch(`${agent.httpAddr}${path}`, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
  };

  /** One request through HAProxy's frontend: the name of the backend that answered, or its status. */
  const viaHaproxy = async (): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${frontPort}/`);
    return res.status === 200 ? await res.text() : `status ${res.status}`;
  };

  /** The backends 30 requests in a row reached. */
  const spread = async (): Promise<string[]> => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add(await viaHaproxy());
    return [...seen].sort();
  };

  beforeAll(async () => {
    agent = await startAgent(['-dev', '-http-port', '0', '-dns-port', '0', '-server-port', '0', '-log-level', 'warn']);
    const dnsPort = Number(/Client Addr: \[[^\]]*\] \(HTTP: \d+, DNS: (\d+)\)/.exec(agent.output())![1]);
    // Three backends on their own loopback addresses, registered as agent services with TTL checks.
    for (const i of [2, 3, 4]) {
      const server = http.createServer((_req, res) => res.end(`backend-${i}`));
      await new Promise<void>((r) => server.listen(0, `127.0.0.${i}`, () => r()));
      backends.push(server);
      const port = (server.address() as AddressInfo).port;
      await agentPut('/v1/agent/service/register', { ID: `web-${i}`, Name: 'web', Address: `127.0.0.${i}`, Port: port, Check: { TTL: '60s' } });
      await agentPut(`/v1/agent/check/pass/service:web-${i}`);
    }
    frontPort = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 5s',
        '  timeout server 5s',
        'resolvers sextant',
        `  nameserver agent 127.0.0.1:${dnsPort}`,
        '  accepted_payload_size 8192',
        '  hold valid 1s',
        '  hold obsolete 1s',
        '  timeout resolve 500ms',
        '  timeout retry 500ms',
        'backend web',
        '  balance roundrobin',
        '  server-template web 5 _web._tcp.service.consul resolvers sextant resolve-prefer ipv4 init-addr none',
        'frontend front',
        `  bind 127.0.0.1:${frontPort}`,
        '  default_backend web',
        '',
      ].join('\n'),
    );
    haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (d: Buffer) => (haproxyOut += d.toString()));
    haproxy.stderr!.on('data', (d: Buffer) => (haproxyOut += d.toString()));
  }, 30_000);

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      haproxy.kill('SIGTERM');
      await exitWithOutput(haproxy);
    }
    for (const b of backends) b.close();
    if (agent?.proc.exitCode === null) await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('balances over the healthy instances, drops one whose check fails and takes it back when it passes', async () => {
    await expect.poll(spread, { timeout: 15_000, interval: 250 }).toEqual(['backend-2', 'backend-3', 'backend-4']);
    // HAProxy took the addresses from the SRV answer's additional records (the .addr. targets).
    expect(haproxyOut).toMatch(/changed its IP from \(none\) to 127\.0\.0\.[234] by DNS additional record/);

    await agentPut('/v1/agent/check/fail/service:web-3');
    await expect.poll(spread, { timeout: 15_000, interval: 250 }).toEqual(['backend-2', 'backend-4']);
    expect(haproxyOut).toContain('entry removed from SRV record');

    await agentPut('/v1/agent/check/pass/service:web-3');
    await expect.poll(spread, { timeout: 15_000, interval: 250 }).toEqual(['backend-2', 'backend-3', 'backend-4']);
  }, 60_000);
});
