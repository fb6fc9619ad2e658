import { describe, expect, it } from 'vitest';
import { dnsSettingsFrom, parseRecursor } from '../../../plugins/surface-dns/dns-settings.js';
import { nodeMetaTxt, rfc1464 } from '../../../plugins/surface-dns/node-meta-txt.js';
import { ServiceTtl } from '../../../plugins/surface-dns/service-ttl.js';
import { dnsRuntimeConfig } from './dns-harness.js';

describe('dns settings', () => {
  it("has Consul's defaults", () => {
    const s = dnsSettingsFrom(dnsRuntimeConfig());
    expect(s).toMatchObject({
      domain: 'consul', altDomain: '', allowStale: true, maxStaleMs: 87600 * 3600_000, nodeTtl: 0, udpAnswerLimit: 3, aRecordLimit: 0,
      enableTruncate: false, onlyPassing: false, disableCompression: false, enableAdditionalNodeMetaTxt: true,
      soa: { refresh: 3600, retry: 600, expire: 86400, minTtl: 0 }, recursorStrategy: 'sequential', recursorTimeoutMs: 2000,
    });
    expect(s.serviceTtl.ttl('web')).toBe(0);
  });

  it('reads dns_config, domains and recursors', () => {
    const s = dnsSettingsFrom(dnsRuntimeConfig({
      domain: 'Sextant.Example.', altDomain: 'alt.',
      recursors: ['1.1.1.1', '8.8.8.8:5353', '[::1]:53', '::1', 'dns.google', '1.2.3.4:99999'],
      dnsConfig: { node_ttl: '30s', service_ttl: { '*': '5s', 'web*': '10s', web: '15s' }, only_passing: true, max_stale: '10s', soa: { min_ttl: 7 } },
    }));
    expect(s.domain).toBe('sextant.example');
    expect(s.altDomain).toBe('alt');
    expect(s.nodeTtl).toBe(30);
    expect(s.onlyPassing).toBe(true);
    expect(s.maxStaleMs).toBe(10_000);
    expect(s.soa.minTtl).toBe(7);
    expect(s.recursors).toEqual([{ host: '1.1.1.1', port: 53 }, { host: '8.8.8.8', port: 5353 }, { host: '::1', port: 53 }, { host: '::1', port: 53 }]);
    expect(s.badRecursors).toEqual(['dns.google', '1.2.3.4:99999']);
    expect(parseRecursor('[10.0.0.1]:53')).toBeUndefined();
  });

  it('service_ttl: exact name, then the longest prefix*, then *', () => {
    const t = new ServiceTtl({ '*': 5, 'web*': 10, 'web-api*': 20, web: 15 });
    expect(t.ttl('web')).toBe(15);
    expect(t.ttl('WEB')).toBe(15);
    expect(t.ttl('web-api-v2')).toBe(20);
    expect(t.ttl('webby')).toBe(10);
    expect(t.ttl('db')).toBe(5);
    expect(new ServiceTtl({ 'db*': 3 }).ttl('web')).toBe(0);
  });

  it('node meta TXT: RFC 1464 escaping, rfc1035- keys bare, long values split', () => {
    expect(rfc1464('rack', 'r1')).toBe('rack=r1');
    expect(rfc1464('a=b', 'c`d')).toBe('a`=b=c``d');
    expect(rfc1464('  k ', 'v')).toBe('` ` k` =v');
    const txt = nodeMetaTxt({ zone: 'z', 'rfc1035-x': 'bare', big: 'v'.repeat(600) });
    expect(txt.map((s) => s.map((b) => Buffer.from(b).toString()).join(''))).toEqual([`big=${'v'.repeat(600)}`, 'bare', 'zone=z']);
    expect(txt[0]!.map((b) => b.length)).toEqual([255, 255, 94]);
  });
});
