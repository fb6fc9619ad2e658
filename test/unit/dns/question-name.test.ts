import { describe, expect, it } from 'vitest';
import { RRType } from '../../../plugins/surface-dns/dns-constants.js';
import { classifyName } from '../../../plugins/surface-dns/question-name.js';

const c = (name: string, qtype: number = RRType.A, domain = 'consul', alt = '') => classifyName(name === '' ? [] : name.split('.'), qtype, domain, alt);

describe('classifyName', () => {
  it('reads the service forms', () => {
    expect(c('web.service.consul')).toEqual({ zone: 'domain', respDomain: 'consul', lookup: { kind: 'service', service: 'web', tag: '', datacenter: undefined } });
    expect(c('rails.web.service.dc1.consul')).toMatchObject({ lookup: { kind: 'service', service: 'web', tag: 'rails', datacenter: 'dc1' } });
    expect(c('v1.rails.web.service.consul')).toMatchObject({ lookup: { service: 'web', tag: 'v1.rails' } });
    expect(c('web.service.dc2.dc.consul')).toMatchObject({ lookup: { service: 'web', datacenter: 'dc2' } });
    expect(c('_web._rails.service.consul', RRType.SRV)).toMatchObject({ lookup: { service: 'web', tag: 'rails' } });
    expect(c('_web._tcp.service.consul', RRType.SRV)).toMatchObject({ lookup: { service: 'web', tag: '' } });
    expect(c('_web._udp.service.consul', RRType.SRV)).toMatchObject({ lookup: { service: 'web', tag: '' } });
    // For SRV the `service` label is optional in the RFC 2782 form.
    expect(c('_web._tcp.consul', RRType.SRV)).toMatchObject({ lookup: { kind: 'service', service: 'web', tag: '' } });
    expect(c('_web._tcp.consul', RRType.A)).toMatchObject({ lookup: { kind: 'invalid' } });
  });

  it('reads node, addr, apex, and invalid names', () => {
    expect(c('agent-two.node.consul')).toMatchObject({ lookup: { kind: 'node', node: 'agent-two', datacenter: undefined } });
    expect(c('my.dotted.node.node.dc1.consul')).toMatchObject({ lookup: { kind: 'node', node: 'my.dotted.node', datacenter: 'dc1' } });
    expect(c('7f000001.addr.dc1.consul')).toMatchObject({ lookup: { kind: 'addr', bytes: Uint8Array.from([127, 0, 0, 1]) } });
    expect(c('7f0001.addr.consul')).toMatchObject({ lookup: { kind: 'invalid' } });
    expect(c('consul')).toMatchObject({ lookup: { kind: 'apex' } });
    expect(c('service.consul')).toMatchObject({ lookup: { kind: 'invalid' } });
    expect(c('what.consul')).toMatchObject({ lookup: { kind: 'invalid' } });
    expect(c('web.service.a.b.consul')).toMatchObject({ lookup: { kind: 'invalid' } });
    expect(c('web.query.consul')).toMatchObject({ lookup: { kind: 'invalid' } });
  });

  it('answers in the domain asked: primary or alternative, the longest match', () => {
    expect(c('web.service.test.example', RRType.A, 'consul', 'test.example')).toMatchObject({ respDomain: 'test.example', lookup: { service: 'web' } });
    expect(c('web.service.sub.consul', RRType.A, 'consul', 'sub.consul')).toMatchObject({ respDomain: 'sub.consul', lookup: { service: 'web', datacenter: undefined } });
  });

  it('sends reverse names to PTR and everything else to the recursors', () => {
    expect(c('4.3.2.10.in-addr.arpa', RRType.PTR)).toEqual({ zone: 'reverse', ip: '10.2.3.4' });
    expect(c('3.2.10.in-addr.arpa', RRType.PTR)).toEqual({ zone: 'reverse', ip: undefined });
    const v6 = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa';
    expect(c(v6, RRType.PTR)).toEqual({ zone: 'reverse', ip: '2001:0db8:0000:0000:0000:0000:0000:0001' });
    expect(c('example.com')).toEqual({ zone: 'other' });
    expect(c('')).toEqual({ zone: 'other' });
  });
});
