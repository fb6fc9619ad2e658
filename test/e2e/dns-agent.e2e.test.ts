import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { dig } from '../unit/dns/dig.js';

/**
 * The DNS interface as users run it: a real `sextant agent` process on an ephemeral DNS port
 * (read from the startup banner), queried with dig, reloaded with SIGHUP, forwarding to a
 * recursor.
 */
let dir: string;
let conf: string;
let agent: AgentProcess;
let dnsPort: number;
let upstream: Socket;
let upstreamPort: number;

function writeConfig(dnsConfig: Record<string, unknown>): void {
  writeFileSync(conf, JSON.stringify({ recursors: [`127.0.0.1:${upstreamPort}`], dns_config: dnsConfig }));
}

async function put(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${agent.httpAddr}${path}`, { method: 'PUT', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sextant-dns-e2e-'));
  conf = join(dir, 'agent.json');
  // A recursor for everything outside .consul: answers every A question with 198.51.100.7.
  upstream = createSocket('udp4');
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  upstreamPort = upstream.address().port;
  upstream.on('message', (m, rinfo) => {
    const q = dnsPacket.decode(m);
    const answer = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 300, data: '198.51.100.7' }] });
    upstream.send(answer, rinfo.port, rinfo.address);
  });
  writeConfig({});
  agent = await startAgent(['-dev', '-http-port', '0', '-dns-port', '0', '-server-port', '0', '-node', 'e2e-dns', '-log-level', 'info', '-config-file', conf]);
  const m = /Client Addr: \[[^\]]*\] \(HTTP: \d+, DNS: (\d+)\)/.exec(agent.output());
  expect(m).not.toBeNull();
  dnsPort = Number(m![1]);
  expect(dnsPort).toBeGreaterThan(0);
  for (let i = 0; i < 4; i++) {
    await put('/v1/catalog/register', { Node: `web-${i}`, Address: `10.0.0.${i + 1}`, Service: { Service: 'web', Port: 80, Tags: i < 2 ? ['rails'] : [] }, Check: { Name: 'web ok', ServiceID: 'web', Status: i === 3 ? 'warning' : 'passing' } });
  }
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sextant agent DNS (real process, dig)', () => {
  it('reports the bound DNS port in the banner and answers on it (UDP and TCP)', async () => {
    expect(agent.output()).toMatch(/DNS interface listening/);
    const a = await dig(dnsPort, ['web.service.consul']);
    expect(a.status).toBe('NOERROR');
    expect(a.answer.map((r) => r.data).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    const srv = await dig(dnsPort, ['+tcp', '_web._rails.service.consul', 'SRV']);
    expect(srv.answer.map((r) => r.data.split(' ')[3]).sort()).toEqual(['web-0.node.dc1.consul.', 'web-1.node.dc1.consul.']);
    expect((await dig(dnsPort, ['e2e-dns.node.consul'])).answer[0]).toMatchObject({ type: 'A', data: '127.0.0.1' });
  });

  it('forwards other names to the recursors, with RA set', async () => {
    const r = await dig(dnsPort, ['www.example.org']);
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toContain('ra');
    expect(r.answer).toEqual([{ name: 'www.example.org.', ttl: 300, type: 'A', data: '198.51.100.7' }]);
  });

  it('reloads dns_config on SIGHUP', async () => {
    expect((await dig(dnsPort, ['web.service.consul'])).answer[0]!.ttl).toBe(0);
    writeConfig({ only_passing: true, service_ttl: { 'we*': '25s' }, node_ttl: '7s' });
    agent.proc.kill('SIGHUP');
    await expect.poll(() => /reload complete/.test(agent.output()), { timeout: 10_000 }).toBe(true);
    const a = await dig(dnsPort, ['web.service.consul']);
    expect(a.answer.map((r) => r.data).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(a.answer.every((r) => r.ttl === 25)).toBe(true);
    expect((await dig(dnsPort, ['e2e-dns.node.consul'])).answer[0]!.ttl).toBe(7);
  });
});
