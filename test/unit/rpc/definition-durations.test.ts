import { describe, expect, it } from 'vitest';
import { decodeDefinitionDurations } from '../../../src/rpc/definition-durations.js';
import { SextantError } from '../../../contracts/errors.js';

describe('decodeDefinitionDurations (Consul HealthCheckDefinition JSON)', () => {
  it('numbers are nanoseconds, strings Go durations; both come back as Go text; zero is omitted', () => {
    expect(decodeDefinitionDurations({ HTTP: 'http://x', Interval: 10_000_000_000, timeout: '90s', DeregisterCriticalServiceAfter: 0 }, 'Check.Definition')).toEqual({
      HTTP: 'http://x',
      Interval: '10s',
      timeout: '1m30s',
    });
    expect(decodeDefinitionDurations({ Interval: 1 }, 'Check.Definition')).toEqual({ Interval: '1ns' });
  });

  it('an unparsable duration is a decode error naming the field', () => {
    expect(() => decodeDefinitionDurations({ Interval: 'soon' }, 'Check.Definition')).toThrow(SextantError);
    expect(() => decodeDefinitionDurations({ Interval: 'soon' }, 'Check.Definition')).toThrow('Request decode failed: Check.Definition.Interval: time: invalid duration "soon"');
    expect(() => decodeDefinitionDurations({ Timeout: true }, 'Check.Definition')).toThrow(/Check\.Definition\.Timeout must be a duration/);
  });
});
