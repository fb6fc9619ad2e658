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
  writeFileSync(conf, JSON.stringify({ alt_domain: 'alt.test.', recursors: [`127.0.0.1:${upstreamPort}`], dns_config: dnsConfig }));
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
  await put('/v1/catalog/register', { Node: 'api6', Address: '10.0.1.2', Service: { Service: 'api', Port: 9001, Address: '2001:db8::9' } });
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

  it('answers the alternative domain, the RFC 2782 form without `.service`, IPv6 addr names, and hostname addresses with the recursor\'s A', async () => {
    const alt = await dig(dnsPort, ['web.service.alt.test', 'SRV']);
    expect(alt.answer.map((r) => r.data.split(' ')[3]).sort()).toEqual(['web-0.node.dc1.alt.test.', 'web-1.node.dc1.alt.test.', 'web-2.node.dc1.alt.test.', 'web-3.node.dc1.alt.test.']);
    expect(alt.additional.filter((r) => r.type === 'A').map((r) => r.name).sort()).toEqual(alt.answer.map((r) => r.data.split(' ')[3]).sort());
    // PTR answers name the primary domain.
    expect((await dig(dnsPort, ['-x', '10.0.0.1'])).answer[0]!.data).toBe('web-0.node.dc1.consul.');
    expect((await dig(dnsPort, ['_web._rails.consul', 'SRV'])).answer).toHaveLength(2);
    expect((await dig(dnsPort, ['20010db8000000000000000000000009.addr.consul', 'AAAA'])).answer).toEqual([
      { name: '20010db8000000000000000000000009.addr.consul.', ttl: 0, type: 'AAAA', data: '2001:db8::9' },
    ]);
    await put('/v1/catalog/register', { Node: 'ext', Address: '10.9.0.1', Service: { Service: 'search', Port: 443, Address: 'search.example.com' } });
    expect((await dig(dnsPort, ['search.service.consul'])).answer.map((r) => [r.type, r.data])).toEqual([['CNAME', 'search.example.com.'], ['A', '198.51.100.7']]);
  });

  it('keeps every packet well formed: names longer than a DNS label, 60 instances in 1232 bytes (HAProxy), big node meta without EDNS', async () => {
    await put('/v1/catalog/register', { Node: 'n'.repeat(70), Address: '10.3.0.1', Service: { Service: 'odd', Port: 1 } });
    await put('/v1/catalog/register', { Node: 'fine', Address: '10.3.0.2', Service: { Service: 'odd', Port: 2 } });
    await put('/v1/catalog/register', { Node: 'lnode', Address: '10.3.0.3', Service: { Service: 'l'.repeat(70), Port: 3 } });
    for (let i = 0; i < 60; i++) await put('/v1/catalog/register', { Node: `many-${i}`, Address: `10.4.0.${i + 1}`, Service: { Service: 'many', Port: 9000 + i } });
    await put('/v1/catalog/register', { Node: 'fat', Address: '10.5.0.1', NodeMeta: { a: 'v'.repeat(300), b: 'w'.repeat(300) }, Service: { Service: 'fat', Port: 5 } });
    const clean = (r: { raw: string }): void => expect(r.raw).not.toMatch(/malformed|bad packet|FORMERR/i);

    const odd = await dig(dnsPort, ['odd.service.consul', 'SRV']);
    clean(odd);
    expect(odd.status).toBe('NOERROR');
    // The instance whose node name cannot be a label is left out of SRV (it has no usable target) ...
    expect(odd.answer.map((r) => r.data)).toEqual(['1 1 2 fine.node.dc1.consul.']);
    // ... but its address is still handed out.
    expect((await dig(dnsPort, ['odd.service.consul'])).answer.map((r) => r.data).sort()).toEqual(['10.3.0.1', '10.3.0.2']);
    // The node itself and the PTR to it do not exist for DNS; the PTR goes to the recursor.
    clean(await dig(dnsPort, ['-x', '10.3.0.1']));
    // The catalog holds the 70-character service; it cannot be asked for by name (dig refuses such a label).
    const catalog = (await (await fetch(`${agent.httpAddr}/v1/catalog/service/${'l'.repeat(70)}`)).json()) as unknown[];
    expect(catalog).toHaveLength(1);

    const haproxy = await dig(dnsPort, ['+bufsize=1232', '_many._tcp.service.consul', 'SRV']);
    clean(haproxy);
    expect(haproxy.flags).not.toContain('tc');
    expect(haproxy.size).toBeLessThanOrEqual(1232);
    // As many as fit: 20 in 1227–1232 bytes for a usual shuffle; when it happens to pick twenty
    // two-digit `many-NN` nodes (~1.5% of shuffles) they need a few bytes more, so 19 is the floor.
    expect(haproxy.answer.length).toBeGreaterThanOrEqual(19);
    expect(haproxy.additional.filter((r) => r.type === 'A').map((r) => r.name).sort()).toEqual(haproxy.answer.map((r) => r.data.split(' ')[3]).sort());

    for (const [name, type] of [['fat.service.consul', 'SRV'], ['fat.node.consul', 'A']]) {
      const fat = await dig(dnsPort, ['+noedns', '+ignore', name!, type!]);
      clean(fat);
      expect(fat.flags, name).not.toContain('tc');
      expect(fat.answer.map((r) => r.type), name).toEqual([type]);
    }
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
