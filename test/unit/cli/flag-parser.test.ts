import { describe, expect, it } from 'vitest';
import { FlagSet, parseGoBool, parseGoInt } from '../../../src/cli/flag-parser.js';
import { isSextantError } from '../../../contracts/errors.js';

const set = (): FlagSet =>
  new FlagSet('agent', [
    { name: 'dev', kind: 'bool', usage: 'Starts the agent in development mode.' },
    { name: 'http-port', kind: 'int', usage: 'Sets the HTTP API port to listen on.', default: 8500 },
    { name: 'node', kind: 'string', usage: 'Name of this `name`.' },
    { name: 'config-file', kind: 'list', usage: 'A config file.' },
    { name: 'config-dir', kind: 'list', usage: 'A config dir.' },
    { name: 'wait', kind: 'duration', usage: 'How long.', default: 300_000_000_000n },
    { name: 'x', kind: 'bool', usage: 'Short one.' },
    { name: 'datacenter', kind: 'string', usage: 'Datacenter.', default: 'dc1' },
  ]);

function err(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(isSextantError(e, 'FLAG_INVALID')).toBe(true);
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('FlagSet.parse', () => {
  it('accepts -flag, --flag, -flag=v and -flag v', () => {
    const p = set().parse(['-dev', '--node', 'n1', '-http-port=9500', '--datacenter=east']);
    expect(p.values).toMatchObject({ dev: true, node: 'n1', 'http-port': 9500, datacenter: 'east' });
    expect([...p.set].sort()).toEqual(['datacenter', 'dev', 'http-port', 'node']);
    expect(p.args).toEqual([]);
  });

  it('returns defaults for absent flags', () => {
    const p = set().parse([]);
    expect(p.values).toMatchObject({ dev: false, node: '', 'http-port': 8500, 'config-file': [], wait: 300_000_000_000n, datacenter: 'dc1' });
    expect(p.set.size).toBe(0);
  });

  it('treats booleans as argument-less unless given =value', () => {
    const p = set().parse(['-dev', 'false']);
    expect(p.values.dev).toBe(true);
    expect(p.args).toEqual(['false']);
    expect(set().parse(['-dev=false']).values.dev).toBe(false);
    expect(set().parse(['-dev=0']).values.dev).toBe(false);
    expect(set().parse(['-dev=T']).values.dev).toBe(true);
    expect(err(() => set().parse(['-dev=yes'])).message).toBe('invalid boolean value "yes" for -dev: parse error');
  });

  it('collects repeated list flags and keeps interleaved order in occurrences', () => {
    const p = set().parse(['-config-file', 'a.json', '-config-dir=d1', '-config-file=b.json', '-config-dir', 'd2']);
    expect(p.values['config-file']).toEqual(['a.json', 'b.json']);
    expect(p.values['config-dir']).toEqual(['d1', 'd2']);
    expect(p.occurrences.map((o) => `${o.name}=${String(o.value)}`)).toEqual([
      'config-file=a.json',
      'config-dir=d1',
      'config-file=b.json',
      'config-dir=d2',
    ]);
  });

  it('stops at the first positional argument and at --', () => {
    const p = set().parse(['-dev', 'kv', '-node', 'x']);
    expect(p.args).toEqual(['kv', '-node', 'x']);
    expect(p.values.node).toBe('');
    const q = set().parse(['-dev', '--', '-node', 'x']);
    expect(q.args).toEqual(['-node', 'x']);
    expect(set().parse(['-']).args).toEqual(['-']);
  });

  it("reports Go's errors", () => {
    expect(err(() => set().parse(['-nope'])).message).toBe('flag provided but not defined: -nope');
    expect(err(() => set().parse(['--nope=1'])).message).toBe('flag provided but not defined: -nope');
    expect(err(() => set().parse(['-http-port', 'abc'])).message).toBe('invalid value "abc" for flag -http-port: parse error');
    expect(err(() => set().parse(['-http-port=99999999999999999999'])).message).toBe(
      'invalid value "99999999999999999999" for flag -http-port: value out of range',
    );
    expect(err(() => set().parse(['-node'])).message).toBe('flag needs an argument: -node');
    expect(err(() => set().parse(['---node'])).message).toBe('bad flag syntax: ---node');
    expect(err(() => set().parse(['-=x'])).message).toBe('bad flag syntax: -=x');
    expect(err(() => set().parse(['-wait', '10'])).message).toBe('invalid value "10" for flag -wait: parse error');
  });

  it('parses ints like strconv.ParseInt(s, 0, 64) and durations like Go', () => {
    expect(set().parse(['-http-port=0x1F']).values['http-port']).toBe(31);
    expect(set().parse(['-http-port=010']).values['http-port']).toBe(8);
    expect(set().parse(['-http-port=-5']).values['http-port']).toBe(-5);
    expect(set().parse(['-http-port=1_000']).values['http-port']).toBe(1000);
    expect(set().parse(['-wait=1m30s']).values.wait).toBe(90_000_000_000n);
  });

  it('flags -h / -help as a help request', () => {
    const p = set().parse(['-dev', '-help', '-node', 'x']);
    expect(p.help).toBe(true);
    expect(p.values.node).toBe('');
    expect(set().parse(['-h']).help).toBe(true);
  });
});

describe('parseGoInt / parseGoBool', () => {
  it.each([
    ['0', 0n],
    ['-0', 0n],
    ['+12', 12n],
    ['0b101', 5n],
    ['0o17', 15n],
    ['017', 15n],
    ['0x_ff', 255n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
  ])('parses %s', (s, want) => expect(parseGoInt(s)).toBe(want));
  it.each([
    ['', 'parse error'],
    ['12a', 'parse error'],
    ['0x', 'parse error'],
    ['08', 'parse error'],
    ['1__0', 'parse error'],
    ['_1', 'parse error'],
    ['1_', 'parse error'],
    ['9223372036854775808', 'value out of range'],
    ['-9223372036854775809', 'value out of range'],
  ])('rejects %j', (s, why) => expect(parseGoInt(s)).toBe(why));
  it('accepts exactly ParseBool spellings', () => {
    expect(['1', 't', 'T', 'TRUE', 'true', 'True'].map(parseGoBool)).toEqual(Array(6).fill(true));
    expect(['0', 'f', 'F', 'FALSE', 'false', 'False'].map(parseGoBool)).toEqual(Array(6).fill(false));
    expect(parseGoBool('tRuE')).toBeUndefined();
  });
});

describe('usage', () => {
  it("renders Go's PrintDefaults layout", () => {
    expect(set().usage()).toBe(
      [
        'Usage of agent:',
        '  -config-dir value',
        '    \tA config dir.',
        '  -config-file value',
        '    \tA config file.',
        '  -datacenter string',
        '    \tDatacenter. (default "dc1")',
        '  -dev',
        '    \tStarts the agent in development mode.',
        '  -http-port int',
        '    \tSets the HTTP API port to listen on. (default 8500)',
        '  -node name',
        '    \tName of this name.',
        '  -wait duration',
        '    \tHow long. (default 5m0s)',
        '  -x\tShort one.',
        '',
      ].join('\n'),
    );
  });
});
