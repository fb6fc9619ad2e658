import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/kernel/agent.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import { dig } from '../unit/dns/dig.js';

let agent: Agent;
let http: string;
let port: number;
let dir: string;
let configFile: string;

async function put(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${http}${path}`, { method: 'PUT', body: JSON.stringify(body) });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sextant-dns-'));
  configFile = join(dir, 'dns.json');
  writeFileSync(configFile, JSON.stringify({ dns_config: { service_ttl: { '*': '3s' } } }));
  const started = await startInProcessAgent(['-dev', '-dns-port', '0', '-node', 'agent-one', '-log-level', 'warn', '-config-file', configFile]);
  agent = started.agent;
  http = started.http;
  const dns = agent.apiSurfaces().find((s) => s.name === 'dns')!.addresses();
  expect(dns).toHaveLength(1);
  port = Number(dns[0]!.split(':').pop());
  for (let i = 0; i < 10; i++) {
    await put('/v1/catalog/register', { Node: `web-${i}`, Address: `10.0.0.${i + 1}`, NodeMeta: { rack: `r${i % 2}` }, Service: { Service: 'web', Port: 8000 + i, Tags: i % 2 ? ['rails'] : ['django'] } });
  }
  for (let i = 0; i < 100; i++) {
    await put('/v1/catalog/register', { Node: `big-${i}`, Address: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, Service: { Service: 'big', Port: 9000 } });
  }
  await put('/v1/catalog/register', { Node: 'agent-two', Address: '10.2.0.2', NodeMeta: { zone: 'eu-1' } });
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('DNS surface (in-process agent, real dig)', () => {
  it('answers the service forms', async () => {
    const a = await dig(port, ['web.service.consul']);
    expect(a.status).toBe('NOERROR');
    expect(a.flags).toEqual(expect.arrayContaining(['qr', 'aa']));
    expect(a.answer).toHaveLength(10);
    expect(a.answer.every((r) => r.type === 'A' && r.ttl === 3)).toBe(true);

    const srv = await dig(port, ['web.service.consul', 'SRV']);
    expect(srv.answer).toHaveLength(10);
    expect(srv.answer[0]!.data).toMatch(/^1 1 80\d\d web-\d\.node\.dc1\.consul\.$/);
    const targets = srv.answer.map((r) => r.data.split(' ')[3]).sort();
    expect(srv.additional.filter((r) => r.type === 'A').map((r) => r.name).sort()).toEqual(targets);

    const tag = await dig(port, ['rails.web.service.consul']);
    expect(tag.answer.map((r) => r.data).sort()).toEqual(['10.0.0.10', '10.0.0.2', '10.0.0.4', '10.0.0.6', '10.0.0.8']);
    const rfc = await dig(port, ['_web._django.service.consul', 'SRV']);
    expect(rfc.answer).toHaveLength(5);
    expect((await dig(port, ['_web._tcp.service.consul', 'SRV'])).answer).toHaveLength(10);
    expect((await dig(port, ['WEB.Service.DC1.Consul'])).answer).toHaveLength(10);
    const nx = await dig(port, ['web.service.dc2.consul']);
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.authority[0]).toMatchObject({ name: 'consul.', type: 'SOA' });
  });

  it('sizes UDP answers by EDNS and carries the full answer over TCP', async () => {
    const noedns = await dig(port, ['+noedns', 'big.service.consul', 'SRV']);
    expect(noedns.answer).toHaveLength(3);
    expect(noedns.size).toBeLessThanOrEqual(512);
    expect(noedns.flags).not.toContain('tc');
    const edns = await dig(port, ['+bufsize=4096', 'big.service.consul', 'SRV']);
    expect(edns.ednsUdp).toBe(4096);
    expect(edns.answer.length).toBeGreaterThan(40);
    expect(edns.answer.length).toBeLessThan(100);
    expect(edns.size).toBeLessThanOrEqual(4096);
    expect(edns.additional.filter((r) => r.type === 'A')).toHaveLength(edns.answer.length);
    const tcp = await dig(port, ['+tcp', 'big.service.consul', 'SRV']);
    expect(tcp.answer).toHaveLength(100);
    expect(tcp.additional.filter((r) => r.type === 'A')).toHaveLength(100);
    expect((await dig(port, ['+tcp', 'big.service.consul'])).answer).toHaveLength(100);
  });

  it('answers nodes, TXT, ANY, PTR, addr, SOA and NS; REFUSED outside the domain', async () => {
    const node = await dig(port, ['agent-two.node.consul']);
    expect(node.answer).toEqual([{ name: 'agent-two.node.consul.', ttl: 0, type: 'A', data: '10.2.0.2' }]);
    expect(node.additional.find((r) => r.type === 'TXT')?.data).toBe('"zone=eu-1"');
    expect((await dig(port, ['agent-two.node.consul', 'TXT'])).answer.map((r) => r.data)).toEqual(['"zone=eu-1"']);
    expect((await dig(port, ['agent-two.node.consul', 'ANY'])).answer.map((r) => r.type).sort()).toEqual(['A', 'TXT']);
    expect((await dig(port, ['-x', '10.2.0.2'])).answer[0]).toMatchObject({ type: 'PTR', data: 'agent-two.node.dc1.consul.' });
    expect((await dig(port, ['0a020002.addr.consul'])).answer[0]).toMatchObject({ type: 'A', data: '10.2.0.2' });
    const soa = await dig(port, ['consul', 'SOA']);
    expect(soa.answer[0]).toMatchObject({ name: 'consul.', type: 'SOA' });
    expect(soa.answer[0]!.data).toMatch(/^ns\.consul\. hostmaster\.consul\. \d+ 3600 600 86400 0$/);
    const ns = await dig(port, ['consul', 'NS']);
    expect(ns.answer[0]).toMatchObject({ type: 'NS', data: 'agent-one.node.dc1.consul.' });
    expect(ns.additional.find((r) => r.type === 'A')).toMatchObject({ name: 'agent-one.node.dc1.consul.', data: '127.0.0.1' });
    const refused = await dig(port, ['example.com']);
    expect(refused.status).toBe('REFUSED');
  });

  it('hands out agent services only while their checks are not critical', async () => {
    await put('/v1/agent/service/register', { Name: 'api', Port: 7000, Check: { CheckID: 'api-ttl', TTL: '60s' } });
    expect((await dig(port, ['api.service.consul'])).status).toBe('NXDOMAIN');
    await put('/v1/agent/check/pass/api-ttl', {});
    await expect.poll(async () => (await dig(port, ['api.service.consul'])).answer.map((r) => r.data), { timeout: 5000 }).toEqual(['127.0.0.1']);
    await put('/v1/agent/check/warn/api-ttl', {});
    await expect.poll(async () => (await dig(port, ['api.service.consul', 'SRV'])).answer.map((r) => r.data), { timeout: 5000 }).toEqual(['1 1 7000 agent-one.node.dc1.consul.']);
  });

  it('applies dns_config on reload', async () => {
    expect((await dig(port, ['api.service.consul'])).answer).toHaveLength(1);
    writeFileSync(configFile, JSON.stringify({ dns_config: { only_passing: true, service_ttl: { web: '42s' } } }));
    await agent.reload();
    expect((await dig(port, ['api.service.consul'])).status).toBe('NXDOMAIN');
    expect((await dig(port, ['web.service.consul'])).answer[0]!.ttl).toBe(42);
  });

  it('pipelines queries on one TCP connection', async () => {
    const sock: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const frames = [1, 2, 3].map((id) => dnsPacket.streamEncode({ type: 'query', id, questions: [{ name: id === 2 ? 'agent-two.node.consul' : 'web.service.consul', type: 'A' }] }));
    sock.write(Buffer.concat(frames));
    const ids = new Set<number>();
    let buf = Buffer.alloc(0);
    await new Promise<void>((resolve) => {
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
          ids.add(msg.id!);
          expect(msg.answers!.length).toBeGreaterThan(0);
        }
        if (ids.size === 3) resolve();
      });
    });
    expect([...ids].sort()).toEqual([1, 2, 3]);
    sock.destroy();
  });

  it('survives 5,000 random and mutated packets over real UDP and TCP sockets, answering each it answers with a well-formed reply', async () => {
    const rnd = new SeededRandom(20261202);
    const corpus = ['web.service.consul', 'rails.web.service.consul', 'agent-two.node.consul', 'big.service.consul', '2.0.2.10.in-addr.arpa', 'example.com'].flatMap(
      (name) => (['A', 'SRV', 'TXT', 'ANY', 'PTR'] as const).map((type) => dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as dnsPacket.RecordType }] })),
    );
    const mutant = (id: number): Buffer => {
      const kind = rnd.int(3);
      let msg = kind === 0 ? Buffer.from(rnd.bytes(2 + rnd.int(300))) : Buffer.from(corpus[rnd.int(corpus.length)]!);
      if (kind > 0) for (let f = 1 + rnd.int(6); f > 0; f--) msg[rnd.int(msg.length)] = rnd.int(256);
      if (kind === 2) msg = msg.subarray(0, 2 + rnd.int(msg.length - 1));
      msg.writeUInt16BE(id, 0);
      msg[2]! &= 0x7f; // a query, so that an answer is due whenever it parses
      return msg;
    };
    const checkReply = (reply: Buffer, sent: Map<number, Buffer>): void => {
      const id = reply.readUInt16BE(0);
      expect(sent.has(id), `reply for an ID never sent: ${id}`).toBe(true);
      const p = dnsPacket.decode(reply);
      expect(p.flag_qr).toBe(true);
    };

    // UDP: bursts of 100 datagrams from one socket; every reply decodes and answers a sent ID.
    const udp = createSocket('udp4');
    const sentUdp = new Map<number, Buffer>();
    let udpReplies = 0;
    udp.on('message', (reply) => {
      udpReplies++;
      checkReply(reply, sentUdp);
      expect(reply.length).toBeLessThanOrEqual(4096);
    });
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 4000; i++) {
      const msg = mutant(i);
      sentUdp.set(i, msg);
      udp.send(msg, port, '127.0.0.1');
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 500));
    udp.close();

    // TCP: 1,000 length-prefixed frames over 20 connections, some with a lying length prefix.
    const sentTcp = new Map<number, Buffer>();
    let tcpReplies = 0;
    for (let c = 0; c < 20; c++) {
      const sock: Socket = connect(port, '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          checkReply(buf.subarray(2, 2 + buf.readUInt16BE(0)), sentTcp);
          tcpReplies++;
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
      });
      sock.on('error', () => undefined); // the agent may close a connection that sent a bad frame
      const frames: Buffer[] = [];
      for (let f = 0; f < 50; f++) {
        const id = 10_000 + c * 50 + f;
        const msg = mutant(id);
        sentTcp.set(id, msg);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(c === 19 && f === 49 ? msg.length + 7 : msg.length); // the last frame of the last connection lies
        frames.push(len, msg);
      }
      sock.write(Buffer.concat(frames));
      await new Promise((r) => setTimeout(r, 50));
      sock.destroy();
    }

    // Enough mutants parse to exercise the answer path, and the agent answers normally after.
    expect(udpReplies).toBeGreaterThan(1000);
    expect(tcpReplies).toBeGreaterThan(500);
    const after = await dig(port, ['web.service.consul']);
    expect(after.status).toBe('NOERROR');
    expect(after.answer).toHaveLength(10);
    expect((await dig(port, ['+tcp', 'web.service.consul'])).answer).toHaveLength(10);
  }, 30_000);
});
