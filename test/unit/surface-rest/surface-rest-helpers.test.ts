import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../contracts/errors.js';
import { ERROR_STATUS, httpErrorFor } from '../../../plugins/surface-rest/error-status.js';
import { SextantError } from '../../../contracts/errors.js';
import { goQueryEncode, parseGoUint64 } from '../../../plugins/surface-rest/go-query.js';
import { decodeJsonBody } from '../../../plugins/surface-rest/json-body.js';
import { encodeJson } from '../../../plugins/surface-rest/json-encode.js';
import { effectiveWaitMs, parseWaitMs } from '../../../plugins/surface-rest/query-options.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { testConfig } from './fakes.js';

describe('encodeJson', () => {
  it('prints bigints exactly and escapes like Go', () => {
    expect(encodeJson({ Flags: 18446744073709551615n, Key: 'a<b>&c\u2028', Skip: undefined, V: null }, false)).toBe(
      '{"Flags":18446744073709551615,"Key":"a\\u003cb\\u003e\\u0026c\\u2028","V":null}',
    );
  });
  it('indents with four spaces and ends with a newline when pretty', () => {
    expect(encodeJson({ a: [1, {}], b: [] }, true)).toBe('{\n    "a": [\n        1,\n        {}\n    ],\n    "b": []\n}\n');
    expect(encodeJson(true, true)).toBe('true\n');
  });
});

describe('decodeJsonBody', () => {
  it('matches known fields case-insensitively at every depth', () => {
    const out = decodeJsonBody(Buffer.from('{"name":"web","CHECK":{"ttl":"10s"},"other":1}'), ['Name', 'Check', 'TTL']);
    expect(out).toEqual({ Name: 'web', Check: { TTL: '10s' }, other: 1 });
    expect(decodeJsonBody(Buffer.from('  '), [])).toBeUndefined();
  });
  it('rejects malformed JSON with 400 Request decode failed', () => {
    try {
      decodeJsonBody(Buffer.from('{nope'), []);
      expect.unreachable();
    } catch (e) {
      expect(httpErrorFor(e).status).toBe(400);
      expect((e as Error).message).toMatch(/^Request decode failed: /);
    }
  });
});

describe('Go query helpers', () => {
  it('encodes like url.Values.Encode (sorted, + for space)', () => {
    expect(goQueryEncode(new URLSearchParams('release=a b&cas=1&acquire'))).toBe('acquire=&cas=1&release=a+b');
  });
  it('parses uint64 like strconv.ParseUint', () => {
    expect(parseGoUint64('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseGoUint64('18446744073709551616')).toMatch(/value out of range/);
    expect(parseGoUint64('+1')).toMatch(/invalid syntax/);
  });
});

describe('wait parsing and clamping', () => {
  const config = testConfig({ defaultQueryTimeMs: 1000, maxQueryTimeMs: 5000 });
  it('parses Go durations and rejects others with Invalid wait time', () => {
    expect(parseWaitMs(new URLSearchParams('wait=1m30s'))).toBe(90_000);
    expect(parseWaitMs(new URLSearchParams(''))).toBeUndefined();
    expect(() => parseWaitMs(new URLSearchParams('wait=5'))).toThrow('Invalid wait time');
  });
  it('clamps to default/max and adds jitter below wait/16', () => {
    const r = new SeededRandom(3);
    for (let i = 0; i < 200; i++) {
      const d = effectiveWaitMs(undefined, config, r);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThan(1000 + 1000 / 16);
      const m = effectiveWaitMs(60_000, config, r);
      expect(m).toBeGreaterThanOrEqual(5000);
      expect(m).toBeLessThan(5000 + 5000 / 16);
    }
  });
});

describe('error status table', () => {
  it('maps codes to Consul statuses and fixed texts', () => {
    expect(ERROR_STATUS[ErrorCode.MissingKey]?.status).toBe(400);
    expect(httpErrorFor(new SextantError(ErrorCode.NoLeader, 'x'))).toEqual({ status: 500, body: 'No cluster leader', expected: true });
    expect(httpErrorFor(new SextantError(ErrorCode.TooLarge, 'big'))).toMatchObject({ status: 413, body: 'big' });
    expect(httpErrorFor(new Error('boom'))).toEqual({ status: 500, body: 'boom', expected: false });
  });
});
