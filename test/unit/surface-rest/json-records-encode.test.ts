import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RegisterRequest } from '../../../contracts/model/catalog.js';
import type { QueryOptions } from '../../../contracts/model/query.js';
import { encodeJson, encodeRecordsJson } from '../../../plugins/surface-rest/json-encode.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { HealthEndpoint } from '../../../src/rpc/health-endpoint.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakeRaft } from '../rpc/fake-raft.js';
import { goJsonLeaf } from './json-leaf.js';

/** encodeRecordsJson must write exactly encodeJson's text, for catalog answers and for anything else. */
function expectSameText(v: unknown): void {
  for (const pretty of [false, true]) {
    const want = encodeJson(v, pretty);
    expect(encodeRecordsJson(v, pretty)).toBe(want);
    // The second time the kept texts are used.
    expect(encodeRecordsJson(v, pretty)).toBe(want);
  }
}

const now: QueryOptions = { minIndex: 0, waitMs: 0, consistency: 'default' };

async function catalogWithAwkwardValues() {
  const store = new StateStore();
  const deps = { store, raft: new FakeRaft(store), clock: new ManualClock(), config: { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } };
  const catalog = new CatalogEndpoint(deps);
  const health = new HealthEndpoint(deps);
  const reg = (r: Record<string, unknown>) => catalog.register(r as unknown as RegisterRequest);
  await reg({
    Node: 'n<1>&',
    Address: '10.0.0.1',
    TaggedAddresses: { lan: '10.0.0.1', 'wan<>': '1.2.3.4' },
    NodeMeta: { env: 'prod & "test"', 'ключ': 'значение \u2028 line', emoji: '\u{1F680}' },
    Service: { ID: 'web-1', Service: 'web', Tags: ['<b>', 'é', ''], Port: 80, Meta: {}, Address: '' },
    Checks: [
      { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Output: 'Agent alive & reachable' },
      { CheckID: 'web-http', Name: 'http <check>', Status: 'warning', ServiceID: 'web-1', Notes: 'a\u2029b', Definition: { HTTP: 'http://x/?a=1&b=<2>', Header: { 'X-A': ['1', '2'] }, Empty: {}, List: [] } },
    ],
  });
  await reg({ Node: 'n2', Address: '10.0.0.2', Service: { ID: 'web-2', Service: 'web', Tags: [], Port: 0, TaggedAddresses: { lan: { Address: '10.0.0.2', Port: 80 } } } });
  await reg({ Node: 'n3', Address: '10.0.0.3' });
  return { catalog, health };
}

describe('encodeRecordsJson', () => {
  it('writes the catalog and health answers exactly as encodeJson does (Go escapes, unicode, empty maps and lists)', async () => {
    const { catalog, health } = await catalogWithAwkwardValues();
    const answers: unknown[] = [
      (await health.serviceHealth('web', { tags: [], passingOnly: false }, {}, now)).value,
      (await health.serviceHealth('web', { tags: ['<B>'], passingOnly: false }, { nodeMeta: { env: 'prod & "test"' } }, now)).value,
      (await health.serviceHealth('ghost', { tags: [], passingOnly: false }, {}, now)).value,
      (await health.nodeChecks('n<1>&', {}, now)).value,
      (await health.serviceChecks('web', {}, now)).value,
      (await health.checksInState('any', {}, now)).value,
      (await catalog.nodes({}, now)).value,
      (await catalog.serviceNodes('web', [], {}, now)).value,
      (await catalog.nodeServices('n<1>&', {}, now)).value,
      (await catalog.nodeServices('ghost', {}, now)).value,
    ];
    const entries = answers[0] as { Checks: { Output: string }[] }[];
    expect(entries).toHaveLength(2);
    const text = encodeRecordsJson(answers[0], false);
    expect(text).toContain('"Node":"n\\u003c1\\u003e\\u0026"');
    expect(text).toContain('"Notes":"a\\u2029b"');
    expect(text).toContain('"\u{1F680}"');
    expect(text).toContain('"Meta":{}');
    for (const a of answers) expectSameText(a);
    // Read again: the same frozen records, now from their kept texts.
    const nodes = (await catalog.nodes({}, now)).value;
    expectSameText(nodes);
  });

  it('writes exactly what encodeJson writes for any value, frozen deeply, shallowly or not at all', () => {
    const leaf = fc.oneof(goJsonLeaf, fc.constant(undefined), fc.constant(() => 1), fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b)));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
      arr: fc.tuple(fc.array(tie('node'), { maxLength: 4 }), fc.boolean()).map(([a, freeze]) => (freeze ? Object.freeze(a) : a)),
      obj: fc
        .tuple(fc.dictionary(fc.string({ maxLength: 4 }), fc.option(tie('node'), { nil: undefined }), { maxKeys: 4 }), fc.boolean())
        .map(([o, freeze]) => (freeze ? Object.freeze(o) : o)),
    })).node;
    fc.assert(
      fc.property(value, (v) => expectSameText(v)),
      { numRuns: 500 },
    );
  });

  it('never serves a kept text for something that can still change', () => {
    // Frozen, but holding an unfrozen object: its text is not kept.
    const inner = { n: 1 };
    const shallow = Object.freeze({ inner });
    expect(encodeRecordsJson(shallow, false)).toBe('{"inner":{"n":1}}');
    inner.n = 2;
    expect(encodeRecordsJson(shallow, false)).toBe('{"inner":{"n":2}}');
    // An unfrozen container of frozen records follows its own changes.
    const rec = Object.freeze({ a: Object.freeze(['x']) });
    const list: unknown[] = [rec];
    expect(encodeRecordsJson(list, false)).toBe('[{"a":["x"]}]');
    list.push(rec, 'y<');
    expect(encodeRecordsJson(list, false)).toBe('[{"a":["x"]},{"a":["x"]},"y\\u003c"]');
    // Frozen instances that are not plain data go through encodeJson every time.
    const date = Object.freeze(new Date(0));
    expect(encodeRecordsJson({ d: date }, false)).toBe(encodeJson({ d: date }, false));
    const map = Object.freeze(new Map([['k', 1]]));
    expect(encodeRecordsJson([map], false)).toBe('[{}]');
    class Point {
      constructor(readonly x: number) {}
      toJSON(): string {
        return `p${this.x}`;
      }
    }
    expect(encodeRecordsJson(Object.freeze({ p: new Point(3) }), false)).toBe('{"p":"p3"}');
  });

  it('keeps exact uint64s inside frozen records', () => {
    const rec = Object.freeze({ Flags: 18446744073709551615n, Small: 5n, Key: 'a&b' });
    expect(encodeRecordsJson(Object.freeze([rec]), false)).toBe('[{"Flags":18446744073709551615,"Small":5,"Key":"a\\u0026b"}]');
    expectSameText([rec, { rec }]);
  });
});
