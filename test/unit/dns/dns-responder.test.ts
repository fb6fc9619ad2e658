import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { SrvData } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { answersOf, dnsHarness, rcodeOf, type LoosePacket } from './dns-harness.js';

type H = ReturnType<typeof dnsHarness>;

/** n instances of `web`, one per node web-<i> at 10.0.0.<i+1>. */
async function webInstances(h: H, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): Promise<void> {
  for (let i = 0; i < n; i++) {
    await h.register({ Node: `web-${i}`, Address: `10.0.0.${i + 1}`, Service: { Service: 'web', Port: 8000 + i, ...extra(i) } as never });
  }
}

const check = (status: string, serviceId?: string, name = `chk-${status}-${serviceId ?? 'node'}`) => ({ CheckID: name, Name: name, Status: status, ServiceID: serviceId ?? '' });

function glueConsistent(p: LoosePacket): void {
  const targets = new Set(answersOf(p, 'SRV').map((d) => (d as SrvData).target.toLowerCase()));
  const addressed = new Set((p.additionals ?? []).filter((a) => a.type === 'A' || a.type === 'AAAA').map((a) => a.name.toLowerCase()));
  expect(addressed).toEqual(targets);
}

describe('DnsResponder: services', () => {
  it('answers A records of healthy instances only: no critical service or node check, warnings kept', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'ok', Address: '10.0.0.1', Service: { Service: 'web', Port: 80 } as never, Checks: [check('passing', 'web')] as never });
    await h.register({ Node: 'warn', Address: '10.0.0.2', Service: { Service: 'web', Port: 80 } as never, Checks: [check('warning', 'web')] as never });
    await h.register({ Node: 'sick', Address: '10.0.0.3', Service: { Service: 'web', Port: 80 } as never, Checks: [check('critical', 'web')] as never });
    await h.register({ Node: 'nodedown', Address: '10.0.0.4', Service: { Service: 'web', Port: 80 } as never, Checks: [check('critical')] as never });
    const { packet } = await h.ask('web.service.consul', 'A', { edns: 1232 });
    expect(rcodeOf(packet)).toBe('NOERROR');
    expect(packet.flag_aa).toBe(true);
    expect(answersOf(packet, 'A').sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    h.setConfig({ dnsConfig: { only_passing: true } });
    expect(answersOf((await h.ask('web.service.consul', 'A', { edns: 1232 })).packet, 'A')).toEqual(['10.0.0.1']);
  });

  it('NXDOMAIN with the SOA in AUTHORITY for an unknown service, unknown tag, all-critical service and unknown datacenter', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'db', Port: 5432, Tags: ['primary'] } as never, Checks: [check('critical', 'db')] as never });
    await h.register({ Node: 'm', Address: '10.0.0.2', Service: { Service: 'web', Port: 80, Tags: ['v1'] } as never });
    for (const name of ['nope.service.consul', 'v2.web.service.consul', 'db.service.consul', 'web.service.dc9.consul', 'web.service.a.b.consul', 'junk.consul']) {
      const { packet } = await h.ask(name);
      expect(rcodeOf(packet), name).toBe('NXDOMAIN');
      expect(packet.authorities, name).toHaveLength(1);
      expect(packet.authorities![0]).toMatchObject({ type: 'SOA', name: 'consul', data: { mname: 'ns.consul', rname: 'hostmaster.consul', refresh: 3600, retry: 600, expire: 86400, minimum: 0 } });
    }
    expect(answersOf((await h.ask('V1.WEB.Service.Consul')).packet, 'A')).toEqual(['10.0.0.2']);
    expect(answersOf((await h.ask('web.service.dc1.consul')).packet, 'A')).toEqual(['10.0.0.2']);
    expect(answersOf((await h.ask('web.service.dc1.dc.consul')).packet, 'A')).toEqual(['10.0.0.2']);
  });

  it('SRV: priority 1, weight by health, node or addr targets, the A records in ADDITIONAL, node meta TXT', async () => {
    const h = dnsHarness();
    const weights = { Passing: 10, Warning: 2 };
    await h.register({ Node: 'a', Address: '10.0.0.1', NodeMeta: { rack: 'r1' }, Service: { Service: 'web', Port: 8080, Weights: weights } as never, Checks: [check('passing', 'web')] as never });
    await h.register({ Node: 'b', Address: '10.0.0.2', Service: { Service: 'web', Port: 8081, Weights: weights, Address: '192.168.1.9' } as never, Checks: [check('warning', 'web')] as never });
    const { packet } = await h.ask('_web._tcp.service.consul', 'SRV', { edns: 4096 });
    const srv = (answersOf(packet, 'SRV') as SrvData[]).sort((x, y) => x.port - y.port);
    expect(srv).toEqual([
      { priority: 1, weight: 10, port: 8080, target: 'a.node.dc1.consul' },
      { priority: 1, weight: 2, port: 8081, target: 'c0a80109.addr.dc1.consul' },
    ]);
    const extra = (packet.additionals ?? []).filter((a) => a.type !== 'OPT').map((a) => [a.name, a.type, a.type === 'TXT' ? String((a.data as Buffer[])[0]) : a.data]);
    expect(extra).toEqual(expect.arrayContaining([
      ['a.node.dc1.consul', 'A', '10.0.0.1'],
      ['a.node.dc1.consul', 'TXT', 'rack=r1'],
      ['c0a80109.addr.dc1.consul', 'A', '192.168.1.9'],
    ]));
    glueConsistent(packet);
    h.setConfig({ dnsConfig: { enable_additional_node_meta_txt: false } });
    expect((await h.ask('web.service.consul', 'SRV')).packet.additionals!.some((a) => a.type === 'TXT')).toBe(false);
  });

  it('shuffles the instances on every query', async () => {
    const h = dnsHarness();
    await webInstances(h, 10);
    const orders = new Set<string>();
    for (let i = 0; i < 20; i++) orders.add(answersOf((await h.ask('web.service.consul', 'A', { edns: 1232 })).packet, 'A').join(','));
    expect(orders.size).toBeGreaterThan(10);
    for (const o of orders) expect(o.split(',').sort()).toEqual(Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}`).sort());
  });

  it('CNAME for a hostname service address (and as the SRV target); one A for two instances on one address', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'ext', Address: '10.0.0.1', Service: { Service: 'search', Port: 443, Address: 'search.example.com' } as never });
    const a = await h.ask('search.service.consul');
    expect(a.packet.answers).toMatchObject([{ type: 'CNAME', name: 'search.service.consul', data: 'search.example.com' }]);
    const srv = await h.ask('search.service.consul', 'SRV');
    expect(answersOf(srv.packet, 'SRV')).toEqual([{ priority: 1, weight: 1, port: 443, target: 'search.example.com' }]);
    await h.register({ Node: 'multi', Address: '10.0.0.7', Service: { ID: 'api-1', Service: 'api', Port: 1 } as never });
    await h.register({ Node: 'multi', Address: '10.0.0.7', Service: { ID: 'api-2', Service: 'api', Port: 2 } as never });
    expect(answersOf((await h.ask('api.service.consul')).packet, 'A')).toEqual(['10.0.0.7']);
    const both = await h.ask('api.service.consul', 'SRV');
    expect(answersOf(both.packet, 'SRV')).toHaveLength(2);
    expect(both.packet.additionals!.filter((x) => x.type === 'A')).toHaveLength(1);
  });

  it('AAAA for IPv6 addresses; NOERROR without answers (NODATA) and the SOA for the other family', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'v6', Address: '2001:db8::1', Service: { Service: 'six', Port: 80 } as never });
    expect(answersOf((await h.ask('six.service.consul', 'AAAA')).packet, 'AAAA')).toEqual(['2001:db8::1']);
    const a = await h.ask('six.service.consul', 'A');
    expect(rcodeOf(a.packet)).toBe('NOERROR');
    expect(a.packet.answers).toEqual([]);
    expect(a.packet.authorities![0]!.type).toBe('SOA');
    const srv = await h.ask('six.service.consul', 'SRV');
    expect(srv.packet.additionals!.find((x) => x.type === 'AAAA')).toMatchObject({ name: 'v6.node.dc1.consul', data: '2001:db8::1' });
  });

  it('TTLs: 0 by default, service_ttl with wildcards, node_ttl for nodes', async () => {
    const h = dnsHarness({ dnsConfig: { service_ttl: { '*': '5s', 'we*': '10s', web: '15s' }, node_ttl: '30s' } });
    await h.register({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'web', Port: 1 } as never });
    await h.register({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'webby', Port: 2 } as never });
    await h.register({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'db', Port: 3 } as never });
    expect((await h.ask('web.service.consul')).packet.answers![0]!.ttl).toBe(15);
    expect((await h.ask('webby.service.consul')).packet.answers![0]!.ttl).toBe(10);
    expect((await h.ask('db.service.consul')).packet.answers![0]!.ttl).toBe(5);
    expect((await h.ask('n.node.consul')).packet.answers![0]!.ttl).toBe(30);
    h.setConfig({});
    expect((await h.ask('web.service.consul')).packet.answers![0]!.ttl).toBe(0);
  });

  it('a_record_limit caps address answers', async () => {
    const h = dnsHarness({ dnsConfig: { a_record_limit: 2 } });
    await webInstances(h, 5);
    expect(answersOf((await h.ask('web.service.consul', 'A', { transport: 'tcp' })).packet, 'A')).toHaveLength(2);
  });

  it('skips an instance whose node name cannot be a DNS label instead of breaking the packet', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'x'.repeat(70), Address: '10.0.0.1', Service: { Service: 'web', Port: 1 } as never });
    await h.register({ Node: 'fine', Address: '10.0.0.2', Service: { Service: 'web', Port: 2 } as never });
    const { packet } = await h.ask('web.service.consul', 'SRV');
    expect(answersOf(packet, 'SRV')).toEqual([{ priority: 1, weight: 1, port: 2, target: 'fine.node.dc1.consul' }]);
    expect(answersOf((await h.ask('web.service.consul')).packet, 'A').sort()).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});

describe('DnsResponder: sizes', () => {
  it('without EDNS: at most udp_answer_limit (3) answers and 512 bytes, no TC unless enable_truncate', async () => {
    const h = dnsHarness();
    await webInstances(h, 10);
    const a = await h.ask('web.service.consul');
    expect(answersOf(a.packet, 'A')).toHaveLength(3);
    expect(a.packet.flag_tc).toBe(false);
    const srv = await h.ask('web.service.consul', 'SRV');
    expect(answersOf(srv.packet, 'SRV')).toHaveLength(3);
    glueConsistent(srv.packet);
    expect(srv.size).toBeLessThanOrEqual(512);
    h.setConfig({ dnsConfig: { enable_truncate: true, udp_answer_limit: 5 } });
    const t = await h.ask('web.service.consul');
    expect(answersOf(t.packet, 'A')).toHaveLength(5);
    expect(t.packet.flag_tc).toBe(true);
  });

  it('with EDNS: up to the client’s size, trimmed with ADDITIONAL kept in step; TCP carries everything', async () => {
    const h = dnsHarness();
    await webInstances(h, 60, (i) => ({ Address: `192.168.${i}.1` }));
    const big = await h.ask('web.service.consul', 'SRV', { edns: 4096 });
    expect(answersOf(big.packet, 'SRV')).toHaveLength(60);
    expect(big.size).toBeLessThanOrEqual(4096);
    const opt = big.packet.additionals!.find((x) => x.type === 'OPT') as unknown as dnsPacket.OptAnswer;
    expect(opt.udpPayloadSize).toBe(4096);

    const mid = await h.ask('web.service.consul', 'SRV', { edns: 1232 });
    const n = answersOf(mid.packet, 'SRV').length;
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(60);
    expect(mid.size).toBeLessThanOrEqual(1232);
    expect(mid.packet.flag_tc).toBe(false);
    glueConsistent(mid.packet);

    const tcp = await h.ask('web.service.consul', 'SRV', { transport: 'tcp' });
    expect(answersOf(tcp.packet, 'SRV')).toHaveLength(60);
    glueConsistent(tcp.packet);
  });

  it('drops node-meta TXT before answers: a node with 600 bytes of meta still gets its A and SRV answers in 512 bytes', async () => {
    const h = dnsHarness();
    const big = 'v'.repeat(300);
    await h.register({ Node: 'fat', Address: '10.0.4.1', NodeMeta: { a: big, b: big }, Service: { Service: 'fat', Port: 7 } as never });
    for (const [name, type] of [['fat.service.consul', 'SRV'], ['fat.node.consul', 'A']] as const) {
      const small = await h.ask(name, type);
      expect(small.size, name).toBeLessThanOrEqual(512);
      expect(small.packet.flag_tc, name).toBe(false);
      expect(small.packet.answers!.map((a) => a.type), name).toEqual([type]);
      expect((small.packet.additionals ?? []).some((a) => a.type === 'TXT'), name).toBe(false);
      if (type === 'SRV') glueConsistent(small.packet);
      // With room for it, the meta comes along.
      const roomy = await h.ask(name, type, { edns: 4096 });
      expect(roomy.packet.additionals!.filter((a) => a.type === 'TXT'), name).toHaveLength(2);
    }
  });

  it('echoes the OPT (client size, Client Subnet with scope 0) and answers BADVERS to EDNS version 1', async () => {
    const h = dnsHarness();
    await webInstances(h, 1);
    const { packet } = await h.ask('web.service.consul', 'A', { edns: 1400, ednsOptions: [{ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '10.9.8.0' }] });
    const opt = packet.additionals!.find((x) => x.type === 'OPT') as unknown as dnsPacket.OptAnswer;
    expect(opt.udpPayloadSize).toBe(1400);
    expect(opt.options[0]).toMatchObject({ code: 8, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '10.9.8.0' });

    const q = dnsPacket.encode({ type: 'query', id: 5, questions: [{ name: 'web.service.consul', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as dnsPacket.Answer] });
    // OPT TTL: extended rcode 0, version 1.
    q[q.length - 5] = 1;
    const r = dnsPacket.decode((await h.raw(q))!) as unknown as LoosePacket;
    expect((r.additionals![0] as unknown as dnsPacket.OptAnswer).extendedRcode).toBe(1);
    expect(r.answers).toEqual([]);
  });
});

describe('DnsResponder: nodes, addr, PTR, SOA, NS', () => {
  it('node lookups: A, TXT from meta (answer for TXT/ANY, additional for A), NXDOMAIN for unknown', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'agent-two', Address: '10.0.0.2', NodeMeta: { rack: 'r2', 'rfc1035-note': 'hello' } });
    const a = await h.ask('Agent-Two.node.consul');
    expect(a.packet.answers).toMatchObject([{ name: 'Agent-Two.node.consul', type: 'A', data: '10.0.0.2' }]);
    expect(a.packet.additionals!.filter((x) => x.type === 'TXT').map((x) => String((x.data as Buffer[])[0])).sort()).toEqual(['hello', 'rack=r2']);
    const txt = await h.ask('agent-two.node.dc1.consul', 'TXT');
    expect(txt.packet.answers!.map((x) => x.type)).toEqual(['TXT', 'TXT']);
    const any = await h.ask('agent-two.node.consul', 'ANY');
    expect(any.packet.answers!.map((x) => x.type).sort()).toEqual(['A', 'TXT', 'TXT']);
    const nx = await h.ask('ghost.node.consul');
    expect(rcodeOf(nx.packet)).toBe('NXDOMAIN');
    expect(nx.packet.authorities![0]!.type).toBe('SOA');
    const srv = await h.ask('agent-two.node.consul', 'SRV');
    expect(rcodeOf(srv.packet)).toBe('NOERROR');
    expect(srv.packet.answers).toEqual([]);
  });

  it('<hex>.addr names decode to A or AAAA', async () => {
    const h = dnsHarness();
    expect((await h.ask('0a000001.addr.consul')).packet.answers).toMatchObject([{ type: 'A', data: '10.0.0.1' }]);
    expect((await h.ask('20010db8000000000000000000000001.addr.dc1.consul', 'AAAA')).packet.answers).toMatchObject([{ type: 'AAAA', data: '2001:db8::1' }]);
    expect(rcodeOf((await h.ask('0a000001.addr.dc2.consul')).packet)).toBe('NXDOMAIN');
    expect(rcodeOf((await h.ask('zz000001.addr.consul')).packet)).toBe('NXDOMAIN');
  });

  it('PTR for nodes (first) and services by their own address; NXDOMAIN otherwise', async () => {
    const h = dnsHarness();
    await h.register({ Node: 'box', Address: '10.0.0.5', Service: { Service: 'db', Port: 5432, Address: '10.0.9.9' } as never });
    expect((await h.ask('5.0.0.10.in-addr.arpa', 'PTR')).packet.answers).toMatchObject([{ type: 'PTR', name: '5.0.0.10.in-addr.arpa', data: 'box.node.dc1.consul' }]);
    expect((await h.ask('9.9.0.10.in-addr.arpa', 'PTR')).packet.answers).toMatchObject([{ type: 'PTR', data: 'db.service.dc1.consul' }]);
    const nx = await h.ask('1.1.1.1.in-addr.arpa', 'PTR');
    expect(rcodeOf(nx.packet)).toBe('NXDOMAIN');
    await h.register({ Node: 'six', Address: '2001:db8::5' });
    const v6 = '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa';
    expect((await h.ask(v6, 'PTR')).packet.answers).toMatchObject([{ type: 'PTR', data: 'six.node.dc1.consul' }]);
  });

  it('SOA and NS for the domain (the servers of the consul service, else this agent) in the domain asked', async () => {
    const h = dnsHarness({ altDomain: 'alt.example.' });
    const soa = await h.ask('consul', 'SOA');
    expect(soa.packet.answers).toMatchObject([{ type: 'SOA', name: 'consul', data: { mname: 'ns.consul', serial: 1_800_000_000 } }]);
    expect(soa.packet.authorities).toMatchObject([{ type: 'NS', name: 'consul', data: 'agent-one.node.dc1.consul' }]);
    expect(soa.packet.additionals!.find((x) => x.type === 'A')).toMatchObject({ name: 'agent-one.node.dc1.consul', data: '127.0.0.1' });
    await h.register({ Node: 'srv1', Address: '10.1.0.1', Service: { Service: 'consul', Port: 8300 } as never });
    await h.register({ Node: 'srv2', Address: '10.1.0.2', Service: { Service: 'consul', Port: 8300 } as never });
    const ns = await h.ask('alt.example', 'NS');
    expect(answersOf(ns.packet, 'NS').sort()).toEqual(['srv1.node.dc1.alt.example', 'srv2.node.dc1.alt.example']);
    expect(ns.packet.answers![0]!.name).toBe('alt.example');
    const apexA = await h.ask('consul', 'A');
    expect(rcodeOf(apexA.packet)).toBe('NOERROR');
    expect(apexA.packet.authorities![0]!.type).toBe('SOA');
    expect(rcodeOf((await h.ask('consul', 'AXFR')).packet)).toBe('NOTIMP');
    await h.register({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'web', Port: 1 } as never });
    expect((await h.ask('web.service.alt.example')).packet.answers).toMatchObject([{ name: 'web.service.alt.example', data: '10.0.0.1' }]);
    expect((await h.ask('web.service.alt.example', 'SRV')).packet.answers).toMatchObject([{ data: { target: 'n.node.dc1.alt.example' } }]);
  });
});

describe('DnsResponder: reads, errors and malformed input', () => {
  it('reads stale by default; with allow_stale false, or a stale read older than max_stale, from the leader', async () => {
    const h = dnsHarness();
    await webInstances(h, 1);
    h.raft.barriers.length = 0;
    await h.ask('web.service.consul');
    expect(h.raft.barriers).toEqual([]);
    h.setConfig({ dnsConfig: { allow_stale: false } });
    await h.ask('web.service.consul');
    expect(h.raft.barriers).toEqual(['default']);
    h.setConfig({ dnsConfig: { max_stale: '5s' } });
    h.raft.contactMs = 6000;
    await h.ask('web.service.consul');
    expect(h.raft.barriers).toEqual(['default', 'default']);
  });

  it('SERVFAIL when the catalog read fails', async () => {
    const h = dnsHarness({ dnsConfig: { allow_stale: false } });
    const { ErrorCode, SextantError } = await import('../../../contracts/errors.js');
    h.raft.barrierError = new SextantError(ErrorCode.NoLeader, 'No cluster leader');
    expect(rcodeOf((await h.ask('web.service.consul')).packet)).toBe('SERVFAIL');
  });

  it('FORMERR for a readable header with a broken body, nothing for garbage; REFUSED outside the domain without recursors', async () => {
    const h = dnsHarness();
    const q = dnsPacket.encode({ type: 'query', id: 0xbeef, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'web.service.consul', type: 'A' }] });
    const formerr = dnsPacket.decode((await h.raw(q.subarray(0, q.length - 3)))!);
    expect(formerr).toMatchObject({ id: 0xbeef, rcode: 'FORMERR', flag_qr: true, flag_rd: true });
    expect(await h.raw(Buffer.from([1, 2, 3]))).toBeUndefined();
    const refused = await h.ask('example.com');
    expect(rcodeOf(refused.packet)).toBe('REFUSED');
    expect(refused.packet.flag_aa).toBe(false);
    expect(refused.packet.flag_ra).toBe(false);
  });
});

describe('DnsResponder: recursors', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  /** A fake upstream: UDP answers `answers` A records (TC when more than `udpMax`), TCP answers all. */
  async function upstream(answers: number, udpMax = 100, rcode = 'NOERROR'): Promise<number> {
    const reply = (q: Buffer, n: number, tc: boolean): Buffer => {
      const p = dnsPacket.decode(q);
      return dnsPacket.encode({
        type: 'response', id: p.id, flags: (tc ? dnsPacket.TRUNCATED_RESPONSE : 0) | dnsPacket.RECURSION_AVAILABLE | (rcode === 'SERVFAIL' ? 2 : 0),
        questions: p.questions, answers: Array.from({ length: n }, (_, i) => ({ type: 'A' as const, name: p.questions![0]!.name, ttl: 60, data: `192.0.2.${i + 1}` })),
      });
    };
    // The UDP port's TCP twin may be taken by another process's connection: try another port then.
    for (let attempt = 0; ; attempt++) {
      const udp: Socket = createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
      const port = udp.address().port;
      udp.on('message', (m, rinfo) => udp.send(reply(m, Math.min(answers, udpMax), answers > udpMax), rinfo.port, rinfo.address));
      const tcp: Server = createServer((s) => {
        s.on('data', (d) => {
          const out = reply(d.subarray(2, 2 + d.readUInt16BE(0)), answers, false);
          const framed = Buffer.alloc(2 + out.length);
          framed.writeUInt16BE(out.length);
          out.copy(framed, 2);
          s.write(framed);
        });
      });
      const listening = await new Promise<boolean>((r) => {
        tcp.once('error', () => r(false));
        tcp.listen(port, '127.0.0.1', () => r(true));
      });
      if (!listening) {
        udp.close();
        if (attempt < 20) continue;
        throw new Error('no free port for a fake upstream on both UDP and TCP');
      }
      closers.push(async () => {
        udp.close();
        await new Promise<void>((r) => tcp.close(() => r()));
      });
      return port;
    }
  }

  it('forwards other names to the recursors and returns their answer with the client’s ID', async () => {
    const port = await upstream(2);
    const h = dnsHarness({ recursors: [`127.0.0.1:${port}`] });
    const { packet } = await h.ask('example.com', 'A', { id: 999 });
    expect(packet.id).toBe(999);
    expect(answersOf(packet, 'A')).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(packet.flag_ra).toBe(true);
    // Names under the domain still come from the catalog, and say recursion is available.
    const own = await h.ask('nothing.service.consul');
    expect(rcodeOf(own.packet)).toBe('NXDOMAIN');
    expect(own.packet.flag_ra).toBe(true);
  });

  it('follows a hostname address through the recursors: CNAME then its A records (SRV: in ADDITIONAL); never for its own domain', async () => {
    const port = await upstream(2);
    const h = dnsHarness({ recursors: [`127.0.0.1:${port}`], dnsConfig: { service_ttl: { '*': '4s' } } });
    await h.register({ Node: 'ext', Address: '10.0.0.1', Service: { Service: 'search', Port: 443, Address: 'search.example.com' } as never });
    await h.register({ Node: 'ext2', Address: '10.0.0.2', Service: { Service: 'search', Port: 444, Address: 'search.example.com' } as never });
    const a = await h.ask('search.service.consul', 'A', { edns: 1232 });
    expect(a.packet.answers!.map((x) => [x.name, x.type, x.data, x.ttl])).toEqual([
      ['search.service.consul', 'CNAME', 'search.example.com', 4],
      ['search.example.com', 'A', '192.0.2.1', 4],
      ['search.example.com', 'A', '192.0.2.2', 4],
    ]);
    const srv = await h.ask('search.service.consul', 'SRV', { edns: 1232 });
    expect(answersOf(srv.packet, 'SRV').map((d) => (d as SrvData).target)).toEqual(['search.example.com', 'search.example.com']);
    expect(srv.packet.additionals!.filter((x) => x.type === 'A').map((x) => [x.name, x.data]).sort()).toEqual([
      ['search.example.com', '192.0.2.1'],
      ['search.example.com', '192.0.2.2'],
    ]);
    await h.register({ Node: 'named', Address: 'host.example.net' });
    expect((await h.ask('named.node.consul')).packet.answers!.map((x) => x.type)).toEqual(['CNAME', 'A', 'A']);
    // A hostname under the agent's own domain is not sent upstream.
    await h.register({ Node: 'inner', Address: '10.0.0.3', Service: { Service: 'alias', Port: 1, Address: 'search.service.consul' } as never });
    expect((await h.ask('alias.service.consul')).packet.answers!.map((x) => x.type)).toEqual(['CNAME']);
  });

  it('retries a truncated UDP answer over TCP', async () => {
    const port = await upstream(40, 5);
    const h = dnsHarness({ recursors: [`127.0.0.1:${port}`] });
    expect(answersOf((await h.ask('big.example', 'A', { edns: 4096 })).packet, 'A')).toHaveLength(40);
    // A UDP client without EDNS cannot take the full answer: it gets the truncated one.
    const small = await h.ask('big.example', 'A');
    expect(small.packet.flag_tc).toBe(true);
  });

  it('moves past a failing recursor; SERVFAIL when all fail', async () => {
    const bad = await upstream(1, 100, 'SERVFAIL');
    const good = await upstream(1);
    const h = dnsHarness({ recursors: [`127.0.0.1:${bad}`, `127.0.0.1:${good}`] });
    expect(answersOf((await h.ask('example.org')).packet, 'A')).toEqual(['192.0.2.1']);
    const dead = createSocket('udp4');
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadPort = dead.address().port;
    closers.push(async () => void dead.close());
    h.setConfig({ recursors: [`127.0.0.1:${bad}`, `127.0.0.1:${deadPort}`], dnsConfig: { recursor_timeout: '200ms' } });
    const failed = await h.ask('example.org');
    expect(rcodeOf(failed.packet)).toBe('SERVFAIL');
    expect(failed.packet.flag_ra).toBe(true);
  });
});
