import { describe, expect, it } from 'vitest';
import { isPassiveCheckRunner, type CheckDefinition } from '../../../contracts/ports/check-runner.js';
import { TtlCheckRunner } from '../../../plugins/check-ttl/ttl-check-runner.js';
import { HttpCheckRunner } from '../../../plugins/check-http/http-check-runner.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

const ttl = new TtlCheckRunner({ logger: new SilentLogger() });
const def = (fields: Record<string, unknown>): CheckDefinition => ({ id: 'service:cache', name: 'cache', ...fields });

describe('ttl check runner (passive capability)', () => {
  it('is passive; active runners are not', () => {
    expect(isPassiveCheckRunner(ttl)).toBe(true);
    expect(isPassiveCheckRunner(new HttpCheckRunner({ clock: new ManualClock(), logger: new SilentLogger() }))).toBe(false);
  });

  it('accepts definitions with a ttl', () => {
    expect(ttl.accepts(def({ ttl: '15s' }))).toBe(true);
    expect(ttl.accepts(def({ http: 'http://x' }))).toBe(false);
  });

  it('validates ttl as a positive Go duration, naming the field', () => {
    expect(ttl.validate(def({ ttl: '15s' }), 'api')).toBeUndefined();
    expect(ttl.validate(def({ ttl: 'soon' }), 'api')).toBe('ttl: time: invalid duration "soon"');
    expect(ttl.validate(def({ ttl: '10' }), 'api')).toBe('ttl: time: missing unit in duration "10"');
    expect(ttl.validate(def({ ttl: '-5s' }), 'api')).toBe('ttl: must not be negative, got "-5s"');
    expect(ttl.validate(def({ ttl: '0s' }), 'api')).toBe('ttl: TTL must be > 0 for TTL checks');
    expect(ttl.validate(def({ ttl: '1s', output_max_size: -3 }), 'config')).toBe('output_max_size: must not be negative');
  });

  it('ttlMs reads Go durations and API nanoseconds', () => {
    expect(ttl.ttlMs(def({ ttl: '1m30s' }))).toBe(90_000);
    expect(ttl.ttlMs(def({ ttl: '250ms' }))).toBe(250);
    expect(ttl.ttlMs(def({ ttl: 15_000_000_000 }))).toBe(15_000);
  });

  it('expiredOutput uses Consul texts', () => {
    expect(ttl.expiredOutput('')).toBe('TTL expired');
    expect(ttl.expiredOutput('all good')).toBe('TTL expired (last output before timeout follows): all good');
  });

  it('capOutput keeps the first bytes with Consul SetStatus suffix', () => {
    expect(ttl.capOutput(def({}), 'short')).toBe('short');
    const long = 'x'.repeat(5000);
    expect(ttl.capOutput(def({}), long)).toBe(`${'x'.repeat(4096)} ... (captured 4096 of 5000 bytes)`);
    expect(ttl.capOutput(def({ output_max_size: 4 }), 'abcdefgh')).toBe('abcd ... (captured 4 of 8 bytes)');
    // never cuts a multi-byte character in half
    expect(ttl.capOutput(def({ output_max_size: 4 }), 'abcé')).toBe('abc ... (captured 4 of 5 bytes)');
  });

  it('probe (never called by the supervisor) reports an expired TTL', async () => {
    expect(await ttl.probe(def({ ttl: '1s' }), new AbortController().signal)).toEqual({ status: 'critical', output: 'TTL expired' });
  });
});
