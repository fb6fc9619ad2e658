import { describe, expect, it } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import { normalizeCheck } from '../../../src/agent/check-definition.js';
import type { CheckContext } from '../../../src/agent/check-definition.js';
import { normalizeService } from '../../../src/agent/service-definition.js';
import { fakeRunners } from './fakes.js';

const runners = fakeRunners();
const api: CheckContext = { runners: runners.map, origin: 'api' };
const config: CheckContext = { runners: runners.map, origin: 'config' };

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSextantError(e, 'BAD_REQUEST')) return e.message;
    throw e;
  }
  throw new Error('expected a BAD_REQUEST');
}

describe('service definitions in any key case', () => {
  const camel = {
    ID: 'web-1',
    Name: 'web',
    Tags: ['rails'],
    Address: '10.0.0.1',
    Port: 80,
    Meta: { Version: '1' },
    EnableTagOverride: true,
    TaggedAddresses: { wan: { Address: '1.2.3.4', Port: 8080 } },
    Check: { HTTP: 'http://localhost/health', Interval: '10s', Timeout: '1s', Header: { 'X-Token': ['a'] }, TLSSkipVerify: true, DeregisterCriticalServiceAfter: '90m' },
  };
  const snake = {
    id: 'web-1',
    name: 'web',
    tags: ['rails'],
    address: '10.0.0.1',
    port: 80,
    meta: { Version: '1' },
    enable_tag_override: true,
    tagged_addresses: { wan: { address: '1.2.3.4', port: 8080 } },
    check: { http: 'http://localhost/health', interval: '10s', timeout: '1s', header: { 'X-Token': ['a'] }, tls_skip_verify: true, deregister_critical_service_after: '90m' },
  };
  const lower = JSON.parse(JSON.stringify(camel).replace(/"([A-Za-z]+)":/g, (_m, k: string) => (k === 'Version' || k === 'X' ? `"${k}":` : `"${k.toLowerCase()}":`)));

  it('CamelCase, snake_case and python-consul lowercase normalize to the same definition', () => {
    const a = normalizeService(camel, api);
    const b = normalizeService(snake, api);
    const c = normalizeService(lower, api);
    expect(b).toEqual(a);
    expect(c.service).toEqual(a.service);
    expect(c.checks[0]!.def).toEqual(a.checks[0]!.def);
    expect(a.service).toMatchObject({ id: 'web-1', name: 'web', tags: ['rails'], meta: { Version: '1' }, enable_tag_override: true, tagged_addresses: { wan: { address: '1.2.3.4', port: 8080 } } });
    const chk = a.checks[0]!;
    expect(chk.def).toMatchObject({ id: 'service:web-1', name: "Service 'web' check", service_id: 'web-1', http: 'http://localhost/health', header: { 'X-Token': ['a'] }, tls_skip_verify: true });
    expect(chk).toMatchObject({ kind: 'http', intervalMs: 10_000, timeoutMs: 1_000, deregisterAfterMs: 90 * 60_000, initialStatus: 'critical' });
  });

  it('defaults the id to the name, Weights to {1,1} and empty tags/meta', () => {
    const { service, checks } = normalizeService({ Name: 'cache', Port: 6379 }, api);
    expect(service).toEqual({ id: 'cache', name: 'cache', tags: [], address: '', meta: {}, port: 6379, enable_tag_override: false, weights: { passing: 1, warning: 1 }, kind: '' });
    expect(checks).toEqual([]);
  });

  it("adds Consul's lan/wan ipv4 (ipv6) tagged addresses for an IP service address, keeping given ones", () => {
    expect(normalizeService({ Name: 'a', Address: '10.0.0.7', Port: 80 }, api).service.tagged_addresses).toEqual({
      lan_ipv4: { address: '10.0.0.7', port: 80 },
      wan_ipv4: { address: '10.0.0.7', port: 80 },
    });
    expect(normalizeService({ Name: 'a', Address: '2001:db8::1', Port: 80, TaggedAddresses: { wan_ipv6: { Address: '2001:db8::2', Port: 81 } } }, api).service.tagged_addresses).toEqual({
      lan_ipv6: { address: '2001:db8::1', port: 80 },
      wan_ipv6: { address: '2001:db8::2', port: 81 },
    });
    expect(normalizeService({ Name: 'a', Address: 'db.example.com', Port: 80 }, api).service.tagged_addresses).toBeUndefined();
    expect(badRequest(() => normalizeService({ Name: 'a', TaggedAddresses: { lan_ipv4: { Address: '::1', Port: 1 } } }, api))).toBe(
      'Service tagged address "lan_ipv4" must be a valid ipv4 address',
    );
  });

  it('numbers auto check ids from 1 when there are several (check + checks)', () => {
    const { checks } = normalizeService(
      { name: 'api', check: { tcp: 'localhost:9000', interval: '5s' }, checks: [{ http: 'http://x', interval: '10s' }, { TTL: '15s', Name: 'mine' }] },
      config,
    );
    expect(checks.map((c) => [c.id, c.name, c.kind])).toEqual([
      ['service:api:1', "Service 'api' check", 'tcp'],
      ['service:api:2', "Service 'api' check", 'http'],
      ['service:api:3', 'mine', 'ttl'],
    ]);
  });

  it('keeps an explicit check id and skips an empty Check object', () => {
    const { checks } = normalizeService({ Name: 'x', Check: {}, Checks: [{ CheckID: 'own', TTL: '10s' }] }, api);
    expect(checks.map((c) => c.id)).toEqual(['own']);
  });

  it('refuses a service without a name, bad types and bad meta, naming the field', () => {
    expect(badRequest(() => normalizeService({ Port: 80 }, api))).toBe('Missing service name');
    expect(badRequest(() => normalizeService({ Name: 'x', Port: 'eighty' }, api))).toMatch(/port must be an integer/);
    expect(badRequest(() => normalizeService({ Name: 'x', Tags: 'a' }, api))).toMatch(/tags must be a list of strings/);
    expect(badRequest(() => normalizeService({ Name: 'x', Meta: { 'consul-x': 'y' } }, api))).toMatch(/Invalid Service Meta: Key prefix 'consul-' is reserved/);
    expect(badRequest(() => normalizeService({ Name: 'x', Weights: { Passing: 0 } }, api))).toMatch(/weights.passing must be greater than 0/);
  });
});

describe('check definitions', () => {
  it('defaults a standalone check id to its name and requires a name', () => {
    const c = normalizeCheck({ Name: 'mem', TTL: '30s', Notes: 'n', Status: 'passing' }, api);
    expect(c).toMatchObject({ id: 'mem', name: 'mem', kind: 'ttl', ttlMs: 30_000, intervalMs: 0, notes: 'n', initialStatus: 'passing' });
    expect(badRequest(() => normalizeCheck({ TTL: '30s' }, api))).toBe('Missing check name');
  });

  it('reads ServiceID / service_id, Args / args, DockerContainerID and thresholds', () => {
    const a = normalizeCheck({ Name: 'd', ServiceID: 'web', DockerContainerID: 'abc', Args: ['/bin/true'], Interval: '5s', SuccessBeforePassing: 2, FailuresBeforeCritical: 3, OutputMaxSize: 100 }, api);
    expect(a).toMatchObject({ serviceId: 'web', kind: 'docker', successBeforePassing: 2, failuresBeforeCritical: 3, failuresBeforeWarning: 3, outputMaxSize: 100, timeoutMs: 30_000 });
    expect(a.def).toMatchObject({ service_id: 'web', docker_container_id: 'abc', args: ['/bin/true'] });
    const b = normalizeCheck({ name: 'd', service_id: 'web', args: ['/bin/true'], interval: '5s', failures_before_warning: 1, failures_before_critical: 3 }, config);
    expect(b).toMatchObject({ kind: 'script', failuresBeforeWarning: 1, failuresBeforeCritical: 3 });
  });

  it('requires an interval for probing kinds and names the kind', () => {
    expect(badRequest(() => normalizeCheck({ Name: 'h', HTTP: 'http://x' }, api))).toBe('Invalid check: interval is required for http checks (and must be > 0)');
    expect(badRequest(() => normalizeCheck({ Name: 't', TCP: 'x:1' }, api))).toMatch(/interval is required for tcp checks/);
    expect(badRequest(() => normalizeCheck({ Name: 's', Args: ['x'] }, config))).toMatch(/interval is required for script checks/);
    expect(badRequest(() => normalizeCheck({ Name: 'd', DockerContainerID: 'c', Args: ['x'] }, api))).toMatch(/interval is required for docker checks/);
  });

  it('refuses unparsable and negative durations, naming the field', () => {
    expect(badRequest(() => normalizeCheck({ Name: 'h', HTTP: 'http://x', Interval: 'soon' }, api))).toBe('Invalid check: interval: time: invalid duration "soon"');
    expect(badRequest(() => normalizeCheck({ Name: 'h', HTTP: 'http://x', Interval: '10s', Timeout: '-1s' }, api))).toBe('Invalid check: timeout must not be negative: "-1s"');
    expect(badRequest(() => normalizeCheck({ Name: 'h', HTTP: 'http://x', Interval: '10' }, api))).toMatch(/interval: time: missing unit/);
  });

  it('raises an interval under 1s to 1s and deregister_critical_service_after under 1m to 1m, as Consul does', () => {
    const warnings: string[] = [];
    const c = normalizeCheck({ Name: 'h', HTTP: 'http://x', Interval: '100ms', ServiceID: 'w', DeregisterCriticalServiceAfter: '10s' }, { ...api, warn: (m) => warnings.push(m) });
    expect(c.intervalMs).toBe(1_000);
    expect(c.def['interval']).toBe('1s');
    expect(c.deregisterAfterMs).toBe(60_000);
    expect(warnings).toEqual(['check has interval below minimum', 'check has deregister interval below minimum']);
  });

  it('a 1 ns interval (a JSON number) is raised to 1s with Consul\'s warning and fields, not refused', () => {
    const warnings: [string, Record<string, unknown>][] = [];
    const c = normalizeCheck({ Name: 'h', HTTP: 'http://x', Interval: 1 }, { ...api, warn: (m, f) => warnings.push([m, f]) });
    expect([c.intervalMs, c.def['interval'], c.shownInterval]).toEqual([1_000, '1s', '1ns']);
    expect(warnings).toEqual([['check has interval below minimum', { check: 'h', minimum_interval: '1s' }]]);
  });

  it('accepts nanosecond numbers for durations (Go time.Duration JSON)', () => {
    expect(normalizeCheck({ Name: 'h', HTTP: 'http://x', Interval: 10_000_000_000 }, api)).toMatchObject({ intervalMs: 10_000 });
  });

  it('refuses an unknown check kind, naming it and the loaded kinds', () => {
    expect(badRequest(() => normalizeCheck({ Name: 'g', GRPC: 'localhost:5000', Interval: '10s' }, api))).toBe(
      'Invalid check: unknown check kind: no loaded check runner accepts "grpc" (loaded check kinds: docker, http, script, tcp, ttl)',
    );
    expect(badRequest(() => normalizeCheck({ Name: 'nothing' }, api))).toMatch(/the check has no kind/);
  });

  it("passes the runner's own validation (script checks from the API without enable_script_checks)", () => {
    expect(badRequest(() => normalizeCheck({ Name: 's', Args: ['x'], Interval: '10s' }, api))).toMatch(/^Scripts are disabled on this agent from remote calls/);
    expect(normalizeCheck({ Name: 's', Args: ['x'], Interval: '10s' }, config).kind).toBe('script');
  });

  it('refuses a bad status and interval together with ttl', () => {
    expect(badRequest(() => normalizeCheck({ Name: 't', TTL: '10s', Status: 'ok' }, api))).toMatch(/status must be one of passing, warning or critical, not "ok"/);
    expect(badRequest(() => normalizeCheck({ Name: 't', TTL: '10s', Interval: '10s' }, api))).toMatch(/interval and ttl cannot both be specified/);
  });

  it('keeps unknown fields of third-party kinds in snake_case', () => {
    const ctx: CheckContext = { runners: new Map([['file', { kind: 'file', accepts: (d: Record<string, unknown>) => d['file_exists'] !== undefined, validate: () => undefined, probe: async () => ({ status: 'passing' as const, output: '' }), close: async () => {} }]]), origin: 'api' };
    const c = normalizeCheck({ Name: 'f', FileExists: '/tmp/x', Interval: '10s' }, ctx);
    expect(c.kind).toBe('file');
    expect(c.def['file_exists']).toBe('/tmp/x');
  });

  it("with the plugins' checkFields: any spelling of a plugin field folds to it, and its schema validates the value", () => {
    const runner = { kind: 'file', accepts: (d: Record<string, unknown>) => d['file_exists'] !== undefined, validate: () => undefined, probe: async () => ({ status: 'passing' as const, output: '' }), close: async () => {} };
    const ctx: CheckContext = { runners: new Map([['file', runner]]), origin: 'api', checkFields: { file_exists: { type: 'string', pattern: '^/' } } };
    for (const key of ['FileExists', 'fileExists', 'fileexists', 'FILE_EXISTS', 'file_exists']) {
      const c = normalizeCheck({ Name: 'f', [key]: '/tmp/x', Interval: '10s' }, ctx);
      expect(c.kind).toBe('file');
      expect(c.def['file_exists']).toBe('/tmp/x');
    }
    expect(badRequest(() => normalizeCheck({ Name: 'f', FileExists: 'tmp/x', Interval: '10s' }, ctx))).toBe('Invalid check: file_exists must match pattern "^/"');
    expect(badRequest(() => normalizeCheck({ Name: 'f', FileExists: ['/a'], Interval: '10s' }, ctx))).toBe('Invalid check: file_exists must be string');
    // Inside a service definition too.
    expect(badRequest(() => normalizeService({ Name: 'web', Check: { FileExists: 5, Interval: '10s' } }, ctx))).toMatch(/file_exists must be string/);
    // Without checkFields the lowercase squashed spelling is not recognised (no runner accepts it).
    expect(badRequest(() => normalizeCheck({ Name: 'f', fileexists: '/tmp/x', Interval: '10s' }, { runners: ctx.runners, origin: 'api' }))).toMatch(/unknown check kind/);
  });
});
