import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../../contracts/limits.js';
import { normalizeService } from '../../../src/agent/service-definition.js';
import { jsonDepth } from '../../../src/plugin-sdk/json-depth.js';
import { registerCommand } from '../../../src/rpc/catalog-register-request.js';
import { encodeRpcReply, encodeRpcRequest } from '../../../src/rpc/rpc-codec.js';
import { fakeRunners } from './fakes.js';

/** `{"a": {"a": … {}}}` nested `levels` deep. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

const ctx = { runners: fakeRunners().map, origin: 'api' as const, warn: () => undefined };

describe('the agent refuses what the catalog would refuse, with the same limit (MAX_JSON_DEPTH)', () => {
  it('counts nesting as objects and arrays open at once, without recursion', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(jsonDepth(1, 64)).toBe(0);
    expect(jsonDepth({}, 64)).toBe(1);
    expect(jsonDepth({ a: [1, { b: [] }], c: {} }, 64)).toBe(4);
    expect(jsonDepth(nested(64), 64)).toBe(64);
    expect(jsonDepth(nested(100_000), 64)).toBe(65); // no stack overflow, stops at the limit
  });

  it('a value at the limit fits the msgpack codec (depth 100) in the deepest envelopes it travels in', () => {
    const proxy = nested(MAX_JSON_DEPTH);
    const ctx0 = { minIndex: 0, waitMs: 0, consistency: 'default' as const };
    expect(() => encodeRpcRequest('Txn.Apply', { Ops: [{ Service: { Verb: 'set', Node: 'n', Service: { Service: 'p', Proxy: proxy } } }] }, ctx0, 0)).not.toThrow();
    expect(() => encodeRpcReply({ index: 1, value: [{ Node: {}, Service: { Proxy: proxy }, Checks: [] }] })).not.toThrow();
    // What the limit keeps out: the 101-level value an older agent accepted and could never sync.
    expect(() => encodeRpcRequest('Catalog.Register', { Service: { Proxy: nested(100) } }, ctx0, 0)).toThrow(/Too deep objects in depth/);
  });

  it('proxy and connect: up to 64 levels are taken by both, 65 refused by both', () => {
    for (const field of ['Proxy', 'Connect'] as const) {
      expect(() => normalizeService({ Name: 'p', [field]: nested(MAX_JSON_DEPTH) }, ctx)).not.toThrow();
      expect(() => registerCommand({ Node: 'n', Address: '10.0.0.1', Service: { ID: 'p', Service: 'p', [field]: nested(MAX_JSON_DEPTH) } } as never, 'dc1')).not.toThrow();
      expect(() => normalizeService({ Name: 'p', [field]: nested(MAX_JSON_DEPTH + 1) }, ctx)).toThrow(
        `Invalid service: ${field.toLowerCase()}: nesting deeper than 64 levels`,
      );
      expect(() => registerCommand({ Node: 'n', Address: '10.0.0.1', Service: { ID: 'p', Service: 'p', [field]: nested(MAX_JSON_DEPTH + 1) } } as never, 'dc1')).toThrow(
        `Request decode failed: Service.${field}: nesting deeper than 64 levels`,
      );
    }
    expect(() => registerCommand({ Node: 'n', Address: '10.0.0.1', Check: { Name: 'c', Definition: nested(MAX_JSON_DEPTH + 1) } } as never, 'dc1')).toThrow(
      'Request decode failed: Check.Definition: nesting deeper than 64 levels',
    );
  });

  it('a service address of 0.0.0.0 or :: is refused with the catalog\'s text', () => {
    for (const Address of ['0.0.0.0', '::', '[::]']) {
      expect(() => normalizeService({ Name: 'a', Address }, ctx)).toThrow('Invalid service address');
      expect(() => registerCommand({ Node: 'n', Address: '10.0.0.1', Service: { Service: 'a', Address } } as never, 'dc1')).toThrow('Invalid service address');
    }
    expect(() => normalizeService({ Name: 'a', Address: '10.0.0.1' }, ctx)).not.toThrow();
  });
});
