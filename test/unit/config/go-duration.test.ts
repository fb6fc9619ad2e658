import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { durationMs, formatGoDuration, isGoDuration, parseGoDuration } from '../../../src/config/go-duration.js';
import { isSextantError } from '../../../contracts/errors.js';

const ns = 1n;
const us = 1000n;
const ms = 1000n * us;
const s = 1000n * ms;
const m = 60n * s;
const h = 60n * m;

// Go's parseDurationTests (src/time/time_test.go).
const parseDurationTests: [string, bigint][] = [
  // simple
  ['0', 0n],
  ['5s', 5n * s],
  ['30s', 30n * s],
  ['1478s', 1478n * s],
  // sign
  ['-5s', -5n * s],
  ['+5s', 5n * s],
  ['-0', 0n],
  ['+0', 0n],
  // decimal
  ['5.0s', 5n * s],
  ['5.6s', 5n * s + 600n * ms],
  ['5.s', 5n * s],
  ['.5s', 500n * ms],
  ['1.0s', 1n * s],
  ['1.00s', 1n * s],
  ['1.004s', 1n * s + 4n * ms],
  ['1.0040s', 1n * s + 4n * ms],
  ['100.00100s', 100n * s + 1n * ms],
  // different units
  ['10ns', 10n * ns],
  ['11us', 11n * us],
  ['12\u00b5s', 12n * us],
  ['12\u03bcs', 12n * us],
  ['13ms', 13n * ms],
  ['14s', 14n * s],
  ['15m', 15n * m],
  ['16h', 16n * h],
  // composite durations
  ['3h30m', 3n * h + 30n * m],
  ['10.5s4m', 4n * m + 10n * s + 500n * ms],
  ['-2m3.4s', -(2n * m + 3n * s + 400n * ms)],
  ['1h2m3s4ms5us6ns', 1n * h + 2n * m + 3n * s + 4n * ms + 5n * us + 6n * ns],
  ['39h9m14.425s', 39n * h + 9n * m + 14n * s + 425n * ms],
  // large value
  ['52763797000ns', 52763797000n * ns],
  // more than 9 digits after decimal point, see https://golang.org/issue/6617
  ['0.3333333333333333333h', 20n * m],
  // 9007199254740993 = 1<<53+1 cannot be stored precisely in a float64
  ['9007199254740993ns', ((1n << 53n) + 1n) * ns],
  // largest duration that can be represented by int64 in nanoseconds
  ['9223372036854775807ns', (1n << 63n) - 1n],
  ['9223372036854775.807us', (1n << 63n) - 1n],
  ['9223372036s854ms775us807ns', (1n << 63n) - 1n],
  ['-9223372036854775808ns', -(1n << 63n)],
  ['-9223372036854775.808us', -(1n << 63n)],
  ['-9223372036s854ms775us808ns', -(1n << 63n)],
  // largest negative round trip value, see https://golang.org/issue/48629
  ['-2562047h47m16.854775808s', -(1n << 63n)],
  // huge string; issue 15011.
  ['0.100000000000000000000h', 6n * m],
  // This value tests the first overflow check in leadingFraction.
  ['0.830103483285477580700h', 49n * m + 48n * s + 372539827n * ns],
];

// Go's parseDurationErrorTests: the error must contain the quoted input.
// (The invalid-UTF-8 rows "\x85\x85" and "\xffff" cannot be JavaScript strings and are left out.)
const parseDurationErrorTests: [string, string][] = [
  ['', '""'],
  ['3', '"3"'],
  ['-', '"-"'],
  ['s', '"s"'],
  ['.', '"."'],
  ['-.', '"-."'],
  ['.s', '".s"'],
  ['+.s', '"+.s"'],
  ['1d', '"1d"'],
  ['\uFFFD', '"\\xef\\xbf\\xbd"'],
  ['\uFFFD hello \uFFFD world', '"\\xef\\xbf\\xbd hello \\xef\\xbf\\xbd world"'],
  // overflow
  ['9223372036854775810ns', '"9223372036854775810ns"'],
  ['9223372036854775808ns', '"9223372036854775808ns"'],
  ['-9223372036854775809ns', '"-9223372036854775809ns"'],
  ['9223372036854776us', '"9223372036854776us"'],
  ['3000000h', '"3000000h"'],
  ['9223372036854775.808us', '"9223372036854775.808us"'],
  ['9223372036854ms775us808ns', '"9223372036854ms775us808ns"'],
];

// Go's durationTests for Duration.String().
const durationTests: [string, bigint][] = [
  ['0s', 0n],
  ['1ns', 1n * ns],
  ['1.1\u00b5s', 1100n * ns],
  ['2.2ms', 2200n * us],
  ['3.3s', 3300n * ms],
  ['4m5s', 4n * m + 5n * s],
  ['4m5.001s', 4n * m + 5001n * ms],
  ['5h6m7.001s', 5n * h + 6n * m + 7001n * ms],
  ['8m0.000000001s', 8n * m + 1n * ns],
  ['2562047h47m16.854775807s', (1n << 63n) - 1n],
  ['-2562047h47m16.854775808s', -(1n << 63n)],
];

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('parseGoDuration', () => {
  it.each(parseDurationTests)('parses %j', (input, want) => {
    expect(parseGoDuration(input)).toBe(want);
  });

  it.each(parseDurationErrorTests)('rejects %j', (input, quoted) => {
    const e = errorOf(() => parseGoDuration(input));
    expect(isSextantError(e, 'DURATION_INVALID')).toBe(true);
    expect((e as Error).message).toContain(quoted);
    expect((e as Error).message.startsWith('time: ')).toBe(true);
  });

  it("uses Go's exact error texts", () => {
    expect(() => parseGoDuration('10')).toThrow(/^time: missing unit in duration "10"$/);
    expect(() => parseGoDuration('abc')).toThrow(/^time: invalid duration "abc"$/);
    expect(() => parseGoDuration('1d')).toThrow(/^time: unknown unit "d" in duration "1d"$/);
    expect(() => parseGoDuration('')).toThrow(/^time: invalid duration ""$/);
    expect(() => parseGoDuration('1s ')).toThrow(/^time: unknown unit "s " in duration "1s "$/);
    expect(() => parseGoDuration('3000000h')).toThrow(/^time: invalid duration "3000000h"$/);
  });

  it('accepts the fractional forms configs use', () => {
    expect(parseGoDuration('1.5s')).toBe(1500n * ms);
    expect(parseGoDuration('15.0s')).toBe(15n * s);
    expect(parseGoDuration('0.001s')).toBe(1n * ms);
    expect(parseGoDuration('1.s')).toBe(1n * s);
    expect(parseGoDuration('1m30s')).toBe(90n * s);
  });
});

describe('formatGoDuration', () => {
  it.each(durationTests)('formats as %j', (str, d) => {
    expect(formatGoDuration(d)).toBe(str);
  });

  it('matches the common config values', () => {
    expect(formatGoDuration(h)).toBe('1h0m0s');
    expect(formatGoDuration(90n * s)).toBe('1m30s');
    expect(formatGoDuration(500n * ms)).toBe('500ms');
    expect(formatGoDuration(1500n * ms)).toBe('1.5s');
    expect(formatGoDuration(300n * s)).toBe('5m0s');
  });

  it('round-trips: parse(format(d)) === d for every int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (d) => {
        expect(parseGoDuration(formatGoDuration(d))).toBe(d);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('durationMs / isGoDuration', () => {
  it('converts to milliseconds, keeping fractions', () => {
    expect(durationMs('300s')).toBe(300_000);
    expect(durationMs('10m')).toBe(600_000);
    expect(durationMs('1.5ms')).toBe(1.5);
    expect(durationMs('100ns')).toBe(0.0001);
    expect(() => durationMs('5')).toThrow('time: missing unit in duration "5"');
  });
  it('tells valid from invalid', () => {
    expect(isGoDuration('2h45m')).toBe(true);
    expect(isGoDuration('1d')).toBe(false);
  });
});
