import { describe, expect, it } from 'vitest';
import { parseWatchDefinition, validateWatches } from '../../../src/watch/watch-config.js';
import { goJson, parseWatchParams, watchRequest, watchResult } from '../../../src/watch/watch-types.js';

describe('watch parameters (Consul watch.Parse and funcs.go)', () => {
  it("refuses what Consul refuses, with Consul's messages", () => {
    const msg = (p: Record<string, unknown>): string => {
      try {
        parseWatchParams(p);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(msg({})).toBe('Watch type must be specified');
    expect(msg({ type: 'nope' })).toBe('Unsupported watch type: nope');
    expect(msg({ type: 'key' })).toBe('Must specify a single key to watch');
    expect(msg({ type: 'keyprefix' })).toBe('Must specify a single prefix to watch');
    expect(msg({ type: 'service' })).toBe('Must specify a single service to watch');
    expect(msg({ type: 'checks', service: 'web', state: 'passing' })).toBe('Cannot specify service and state');
    expect(msg({ type: 'nodes', key: 'k' })).toBe('Invalid parameters: [key]');
  });

  it('builds the reads Consul makes: checks default to state any, service tags repeat, dc and stale pass through', () => {
    expect(watchRequest(parseWatchParams({ type: 'checks' }))).toMatchObject({ path: '/v1/health/state/any' });
    const svc = watchRequest(parseWatchParams({ type: 'service', service: 'web', tag: ['a', 'b'], passingonly: true, datacenter: 'dc2', stale: true }));
    expect(svc.path).toBe('/v1/health/service/web');
    expect(svc.query).toEqual([['dc', 'dc2'], ['stale', true], ['tag', 'a'], ['tag', 'b'], ['passing', true]]);
    expect(watchRequest(parseWatchParams({ type: 'keyprefix', prefix: 'a b/' })).path).toBe('/v1/kv/a%20b/');
  });

  it("shapes results as Go's api values and encodes them as Go's json does", () => {
    const spec = parseWatchParams({ type: 'key', key: 'k' });
    expect(watchResult(spec, [])).toBeNull();
    const pair = watchResult(spec, [{ LockIndex: 0, Key: 'k', Flags: 0, Value: 'dg==', CreateIndex: 4, ModifyIndex: 5 }]);
    expect(Object.keys(pair as object)).toEqual(['Key', 'CreateIndex', 'ModifyIndex', 'LockIndex', 'Flags', 'Value', 'Session']);
    expect(Object.keys(watchResult(parseWatchParams({ type: 'services' }), { web: [], consul: [] }) as object)).toEqual(['consul', 'web']);
    expect(goJson({ a: '<&>' })).toBe('{"a":"\\u003c\\u0026\\u003e"}\n');
    expect(goJson(null, '    ')).toBe('null');
  });
});

describe('config watches (Consul agent reloadWatches)', () => {
  it('accepts script (args, legacy handler) and http handlers with their defaults', () => {
    expect(parseWatchDefinition({ type: 'key', key: 'k', args: ['/bin/true'] }).handler).toEqual({ kind: 'script', args: ['/bin/true'] });
    const http = parseWatchDefinition({ type: 'services', handler_type: 'http', http_handler_config: { path: 'http://127.0.0.1:1/x' } });
    expect(http.handler).toEqual({ kind: 'http', config: { path: 'http://127.0.0.1:1/x', method: 'POST', header: {}, timeoutMs: 10_000, tlsSkipVerify: false } });
    const v = validateWatches([{ type: 'key', key: 'k', handler: 'cat' }]);
    expect(v.problems).toEqual([]);
    expect(v.warnings[0]).toMatch(/'handler' field in watches has been deprecated/);
  });

  it('names each bad entry with Consul’s reason', () => {
    const v = validateWatches([
      { type: 'key', key: 'k' },
      { type: 'key', key: 'k', args: ['a'], handler: 'b' },
      { type: 'key', key: 'k', handler_type: 'carrier-pigeon' },
      { type: 'services', handler_type: 'http' },
      { type: 'services', handler_type: 'http', http_handler_config: { path: 'http://h/', timeout: 'soon' } },
      { type: 'connect_roots', args: ['x'] },
      { type: 'key', args: ['x'] },
    ]);
    expect(v.problems).toEqual([
      'watches[0]: Must define a watch handler',
      'watches[1]: Only one watch handler allowed',
      "watches[2]: Handler type 'carrier-pigeon' not recognized",
      "watches[3]: Handler type 'http' requires 'http_handler_config' to be set",
      expect.stringMatching(/^watches\[4\]: Failed to parse timeout: /),
      'watches[5]: Watch type connect_roots is not allowed in agent config',
      'watches[6]: Must specify a single key to watch',
    ]);
  });
});
