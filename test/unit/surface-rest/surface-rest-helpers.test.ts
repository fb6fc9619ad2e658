import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../contracts/errors.js';
import { ERROR_STATUS, httpErrorFor } from '../../../plugins/surface-rest/error-status.js';
import { SextantError } from '../../../contracts/errors.js';
import { goQueryEncode, parseGoUint64 } from '../../../plugins/surface-rest/go-query.js';
import { decodeJsonBody } from '../../../plugins/surface-rest/json-body.js';
import { encodeJson } from '../../../plugins/surface-rest/json-encode.js';
import { effectiveWaitMs, parseWaitMs } from '../../../plugins/surface-rest/query-options.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { goJsonLeaf } from './json-leaf.js';
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
  it('prints byte arrays (Buffers too) as base64, top-level undefined as null', () => {
    expect(encodeJson({ B: Buffer.from('hi'), U: new Uint8Array([1, 2, 255]) }, false)).toBe('{"B":"aGk=","U":"AQL/"}');
    expect(encodeJson([9007199254740993n, Buffer.from('x')], false)).toBe('[9007199254740993,"eA=="]');
    expect(encodeJson(undefined, false)).toBe('null');
  });
  it('writes exactly what the field-by-field Go-style encoder writes, bigints of any size included', () => {
    const leaf = goJsonLeaf;
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
      arr: fc.array(tie('node'), { maxLength: 4 }),
      obj: fc.dictionary(fc.string({ maxLength: 4 }), fc.option(tie('node'), { nil: undefined }), { maxKeys: 4 }),
    })).node;
    fc.assert(
      fc.property(value, fc.boolean(), (v, pretty) => {
        expect(encodeJson(v, pretty)).toBe(referenceEncode(v, pretty));
      }),
      { numRuns: 300 },
    );
  });
});

/** The original recursive encoder, kept as the reference the fast path must agree with. */
function referenceEncode(value: unknown, pretty: boolean): string {
  const esc: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
  const str = (s: string): string => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => esc[c]!);
  const enc = (v: unknown, nl: string): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return str(v);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    const inner = pretty ? nl + '    ' : '';
    if (Array.isArray(v)) return v.length === 0 ? '[]' : '[' + v.map((x) => inner + enc(x, inner)).join(',') + nl + ']';
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => inner + str(k) + (pretty ? ': ' : ':') + enc(x, inner));
    return parts.length === 0 ? '{}' : '{' + parts.join(',') + nl + '}';
  };
  const out = enc(value, pretty ? '\n' : '');
  return pretty ? out + '\n' : out;
}

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
