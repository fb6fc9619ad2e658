import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useConfigSandbox } from './config-sandbox.js';
import { loadFailure } from './load-failure.js';
import { loadRuntimeConfig } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';
import { respellPointer } from '../../../src/config/key-case.js';

// Consul decodes config files with mapstructure (keys match fields case-insensitively) plus the
// check definitions' `alias` tags (serviceid, scriptargs, dockercontainerid, tlsskipverify,
// deregistercriticalserviceafter). The loader does exactly that, and no more: other CamelCase
// spellings (EnableTagOverride) stay unknown keys.

const sandbox = useConfigSandbox('sextant-keycase-');
const write = sandbox.write;

const flags = (f: Partial<ConfigFlags> = {}): ConfigFlags => ({ dev: true, configPaths: ['conf'], configFormat: '', overrides: {}, ...f });
const load = (f?: Partial<ConfigFlags>) => loadRuntimeConfig({ flags: flags(f), hostname: 'host-a' });

/** The problems, one a line, that loading with `f` is refused with. */
const problems = async (f?: Partial<ConfigFlags>): Promise<string[]> => (await loadFailure(flags(f))).message.split('\n');

describe('config-file keys match case-insensitively, as in Consul', () => {
  it('an API-style service definition loads with the canonical keys; user maps keep theirs', async () => {
    write('conf/web.json', {
      Service: {
        Name: 'web',
        Port: 80,
        Tags: ['rails'],
        Meta: { Version: '1', owner: 'ops' },
        Weights: { Passing: 3, WARNING: 1 },
        Tagged_Addresses: { LAN: { Address: '10.0.0.1', Port: 80 } },
        Check: { HTTP: 'http://localhost/health', Interval: '10s', Header: { 'X-Token': ['t'] }, Method: 'HEAD' },
      },
    });
    const c = await load();
    expect(c.services).toEqual([
      {
        name: 'web',
        port: 80,
        tags: ['rails'],
        meta: { Version: '1', owner: 'ops' },
        weights: { passing: 3, warning: 1 },
        tagged_addresses: { LAN: { address: '10.0.0.1', port: 80 } },
        check: { http: 'http://localhost/health', interval: '10s', header: { 'X-Token': ['t'] }, method: 'HEAD' },
      },
    ]);
    // The origin points at the definition as the file spells it, with the renamed keys inside it.
    expect(c.serviceOrigins).toEqual([{ source: join('conf', 'web.json'), pointer: '/Service', keys: expect.objectContaining({ '/check': 'Check', '/check/interval': 'Interval', '/name': 'Name' }) }]);
  });

  it("Consul's check aliases (any case) translate to their snake_case keys; nothing else does", async () => {
    write('conf/c.json', {
      checks: [
        { Name: 'a', ServiceID: 'web', ScriptArgs: ['true'], Interval: '10s', DeregisterCriticalServiceAfter: '90m' },
        { name: 'b', serviceid: 'web', dockercontainerid: 'c1', args: ['true'], interval: '10s', TLSSKIPVERIFY: true },
      ],
      service: { name: 'web' },
    });
    const c = await load();
    expect(c.checks[0]).toEqual({ name: 'a', service_id: 'web', args: ['true'], interval: '10s', deregister_critical_service_after: '90m' });
    expect(c.checks[1]).toEqual({ name: 'b', service_id: 'web', docker_container_id: 'c1', args: ['true'], interval: '10s', tls_skip_verify: true });
  });

  it('top-level and nested agent settings match in any case too', async () => {
    write('conf/a.json', { Datacenter: 'DC2', Ports: { HTTP: 18500 }, DNS_Config: { Node_TTL: '5s' }, Node_Meta: { Rack: 'r1' } });
    const c = await load();
    expect(c.datacenter).toBe('dc2');
    expect(c.ports.http).toBe(18500);
    expect(c.extra['dns_config']).toEqual({ node_ttl: '5s' });
    expect(c.nodeMeta).toEqual({ Rack: 'r1' });
  });

  it('a typo is still an unknown key, at the pointer as written, with a hint; API-only spellings hint the snake_case key', async () => {
    write('conf/web.json', { Service: { Name: 'web', EnableTagOverride: true, Check: { HTTP: 'http://x/', Intervall: '10s', SuccessBeforePassing: 2 } } });
    expect(await problems()).toEqual([
      'conf/web.json: /Service/EnableTagOverride: unknown key (did you mean "enable_tag_override"?)',
      'conf/web.json: /Service/Check/Intervall: unknown key (did you mean "interval"?)',
      'conf/web.json: /Service/Check/SuccessBeforePassing: unknown key (did you mean "success_before_passing"?)',
    ]);
  });

  it('type and format problems point at the key as written', async () => {
    write('conf/web.json', { SERVICE: { Name: 'web', Port: '80', Check: { TTL: '-5s' } } });
    expect(await problems()).toEqual(['conf/web.json: /SERVICE/Port: must be integer', 'conf/web.json: /SERVICE/Check/TTL: must not be negative, got "-5s"']);
  });

  it('two spellings of one key in one object are an error', async () => {
    write('conf/web.json', { service: { name: 'web', Name: 'other' }, check: { ServiceID: 'web', service_id: 'web', name: 'c', ttl: '1s' } });
    expect(await problems()).toEqual([
      'conf/web.json: /service/Name: duplicate key: "Name" and "name" both set "name" (keys match case-insensitively); keep one',
      'conf/web.json: /check/ServiceID: duplicate key: "ServiceID" and "service_id" both set "service_id" (keys match case-insensitively); keep one',
    ]);
  });

  it('a plugin listed under `Plugins` is found by the pre-pass like one under `plugins`', async () => {
    const { collectPluginEntries } = await import('../../../src/config/load-config.js');
    write('conf/p.json', { Plugins: ['./x'] });
    expect(await collectPluginEntries({ flags: flags() })).toEqual([{ spec: './x', baseDir: join(sandbox.root(), 'conf'), source: join('conf', 'p.json') }]);
  });

  it('respellPointer maps canonical pointers back through renamed keys only', () => {
    const spelling = { '/service': 'Service', '/service/checks': 'Checks', '/service/checks/1/interval': 'Interval' };
    expect(respellPointer('/service/checks/1/interval', spelling)).toBe('/Service/Checks/1/Interval');
    expect(respellPointer('/service/name', spelling)).toBe('/Service/name');
    expect(respellPointer('/ports/http', spelling)).toBe('/ports/http');
    expect(respellPointer('', spelling)).toBe('');
  });
});
