import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { applyFilter, compileFilter } from '../../../src/filter/compile-filter.js';

const entry = {
  Node: { Node: 'node-1', Address: '10.0.0.1', Meta: { env: 'prod', 'rack-id': 'r1' }, TaggedAddresses: {} },
  Service: { ID: 'web-1', Service: 'web', Tags: ['rails', 'v2'], Port: 8080, EnableTagOverride: false, Meta: {} },
  Checks: [
    { CheckID: 'serfHealth', Status: 'passing', ServiceName: '' },
    { CheckID: 'service:web-1', Status: 'critical', ServiceName: 'web' },
  ],
};

const keep = (expr: string, obj: unknown = entry): boolean => compileFilter(expr)!(obj);

function errorOf(expr: string): SextantError {
  try {
    compileFilter(expr);
  } catch (e) {
    return e as SextantError;
  }
  throw new Error(`no error for ${expr}`);
}

describe('filter language: operators', () => {
  it.each([
    ['Service.Service == "web"', true],
    ['Service.Service == web', true],
    ['Service.Service == `web`', true],
    ['Service.Service != "web"', false],
    ['Service.Service != "api"', true],
    ['Service.Port == 8080', true],
    ['Service.Port == "8080"', true],
    ['Service.Port != 80', true],
    ['Service.EnableTagOverride == false', true],
    ['"rails" in Service.Tags', true],
    ['rails in Service.Tags', true],
    ['"django" in Service.Tags', false],
    ['"django" not in Service.Tags', true],
    ['Service.Tags contains "v2"', true],
    ['Service.Tags not contains "v2"', false],
    ['Node.Node contains "ode-"', true],
    ['Node.Meta.env == prod', true],
    ['Node.Meta["env"] == "prod"', true],
    ['Node.Meta["rack-id"] == r1', true],
    ['Node.Meta.rack-id == r1', true],
    ['"env" in Node.Meta', true],
    ['Node.Meta.missing == "x"', false],
    ['Node.Meta.missing != "x"', true],
    ['Node.Meta.missing is empty', true],
    ['Node.Meta is not empty', true],
    ['Node.TaggedAddresses is empty', true],
    ['Service.Meta is empty', true],
    ['Service.Tags is not empty', true],
    ['Node.Node matches "^node-[0-9]+$"', true],
    ['Node.Node not matches "^db"', true],
    ['Node.Node matches "(?i)^NODE"', true],
    ['Checks.Status == critical', true],
    ['Checks.Status == warning', false],
    ['Checks.CheckID contains "serf"', true],
    ['"web" in Checks.ServiceName', true],
  ])('%s → %s', (expr, want) => {
    expect(keep(expr)).toBe(want);
  });
});

describe('filter language: boolean structure', () => {
  it('binds not tighter than and, and tighter than or; parentheses override', () => {
    // false and false or true  → (false and false) or true → true
    expect(keep('Service.Port == 1 and Service.Port == 2 or Service.Service == web')).toBe(true);
    // false and (false or true) → false
    expect(keep('Service.Port == 1 and (Service.Port == 2 or Service.Service == web)')).toBe(false);
    expect(keep('not Service.Service == web or Service.Port == 8080')).toBe(true);
    expect(keep('not (Service.Service == web or Service.Port == 8080)')).toBe(false);
    expect(keep('not not Service.Service == web')).toBe(true);
    expect(keep('Service.Service == web and "rails" in Service.Tags and Node.Meta.env != dev')).toBe(true);
  });

  it('filters a list and treats a blank filter as none', () => {
    const nodes = [{ Node: 'a', Meta: { env: 'prod' } }, { Node: 'b', Meta: { env: 'dev' } }, { Node: 'c', Meta: {} }];
    expect(applyFilter(nodes, compileFilter('Meta.env == prod')).map((n) => n.Node)).toEqual(['a']);
    expect(applyFilter(nodes, compileFilter('Meta.env != prod')).map((n) => n.Node)).toEqual(['b', 'c']);
    expect(compileFilter('  ')).toBeUndefined();
    expect(compileFilter(undefined)).toBeUndefined();
  });

  it('decodes escapes in double-quoted strings and keeps backtick strings raw', () => {
    expect(keep('Name == "a\\"b"', { Name: 'a"b' })).toBe(true);
    expect(keep('Name matches `^a\\.b$`', { Name: 'a.b' })).toBe(true);
    expect(keep('Name matches `^a\\.b$`', { Name: 'axb' })).toBe(false);
  });
});

describe('filter language: errors', () => {
  it.each([
    ['Service.Service ==', '1:19 (18)', /expected a value/],
    ['Service.Service = "web"', '1:17 (16)', /expected "="/],
    ['Service.Service == "web', '1:20 (19)', /unterminated string/],
    ['(Service.Service == web', '1:24 (23)', /expected "\)"/],
    ['Service.Service == web and', '1:27 (26)', /expected a selector or a value/],
    ['Service.Service web', '1:17 (16)', /expected a match operator/],
    ['Service.Service is full', '1:20 (19)', /expected "empty"/],
    ['Node.Node matches "["', '1:19 (18)', /invalid regular expression/],
    ['Service.Service == web extra', '1:24 (23)', /expected "and", "or"/],
    ['Node.Meta[env] == x', '1:11 (10)', /quoted key/],
    ['Service.Service == web #', '1:24 (23)', /unexpected character/],
  ])('%s is a BAD_REQUEST at %s', (expr, where, what) => {
    const e = errorOf(expr);
    expect(e.code).toBe(ErrorCode.BadRequest);
    expect(e.message).toContain(`Failed to create boolean expression evaluator: ${where}`);
    expect(e.message).toMatch(what);
  });
});
