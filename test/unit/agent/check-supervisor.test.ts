import { describe, expect, it } from 'vitest';
import type { Random } from '../../../contracts/platform.js';
import type { ReactiveCheckContext, ReactiveCheckRunner } from '../../../contracts/ports/check-runner.js';
import type { LocalAgentApi, LocalAgentChanges } from '../../../contracts/services/local-agent-service.js';
import { normalizeCheck } from '../../../src/agent/check-definition.js';
import { CheckSupervisor } from '../../../src/agent/check-supervisor.js';
import { ProbeDeadline } from '../../../src/plugin-sdk/checks/probe-deadline.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { fakeRunners, flush } from './fakes.js';

/** A Random whose int() always answers `n` (capped below the bound). */
function fixedRandom(n: number): Random {
  const r = new SeededRandom(1);
  return { next: () => r.next(), int: (max) => Math.min(n, max - 1), bytes: (k) => r.bytes(k), uuid: () => r.uuid() };
}

function setup(random: Random = fixedRandom(3_000)) {
  const clock = new ManualClock();
  const t0 = clock.now();
  const runners = fakeRunners();
  const results: { id: string; status: string; output: string; at: number }[] = [];
  const sup = new CheckSupervisor({ clock, random, logger: new SilentLogger(), sink: (id, status, output) => results.push({ id, status, output, at: clock.now() - t0 }) });
  const spec = (def: Record<string, unknown>) => normalizeCheck({ Name: 'c', ...def }, { runners: runners.map, origin: 'config' });
  return { clock, t0, runners, results, sup, spec };
}

describe('CheckSupervisor: interval checks', () => {
  it('runs the first probe at the random stagger, then one interval after each probe ends', async () => {
    const { clock, runners, sup, spec, results } = setup();
    sup.start(spec({ HTTP: 'http://x', Interval: '10s' }));
    clock.advance(2_999);
    expect(runners.http.probes).toBe(0);
    clock.advance(1);
    expect(runners.http.probes).toBe(1);
    clock.advance(500);
    runners.http.finish({ status: 'passing', output: 'HTTP GET http://x: 200 OK Output: ok' });
    await flush();
    expect(results).toEqual([{ id: 'c', status: 'passing', output: 'HTTP GET http://x: 200 OK Output: ok', at: 3_500 }]);
    clock.advance(9_999);
    expect(runners.http.probes).toBe(1);
    clock.advance(1);
    expect(runners.http.probes).toBe(2);
  });

  it('spreads first runs over [0, interval) with a seeded Random', () => {
    const { clock, runners, sup, spec } = setup(new SeededRandom(42));
    for (let i = 0; i < 50; i++) sup.start(spec({ ID: `c${i}`, HTTP: 'http://x', Interval: '10s' }));
    clock.advance(5_000);
    const firstHalf = runners.http.probes;
    expect(firstHalf).toBeGreaterThan(10);
    expect(firstHalf).toBeLessThan(40);
    clock.advance(4_999);
    expect(runners.http.probes).toBe(50);
  });

  it('never runs two probes of one check at once, however long a probe takes', async () => {
    const { clock, runners, sup, spec } = setup(fixedRandom(0));
    sup.start(spec({ HTTP: 'http://x', Interval: '1s', Timeout: '1m' }));
    clock.advance(1);
    expect(runners.http.probes).toBe(1);
    clock.advance(30_000);
    expect(runners.http.probes).toBe(1);
    expect(runners.http.maxConcurrent).toBe(1);
    runners.http.finish({ status: 'passing', output: '' });
    await flush();
    clock.advance(1_000);
    expect(runners.http.probes).toBe(2);
    expect(runners.http.maxConcurrent).toBe(1);
  });

  it('aborts a probe at its timeout; the runner then reports critical', async () => {
    const { clock, runners, sup, spec, results } = setup(fixedRandom(0));
    sup.start(spec({ Args: ['sleep', '100'], Interval: '10s', Timeout: '2s' }));
    clock.advance(1);
    const signal = runners.script.pending[0]!.signal; // started at t=0
    clock.advance(1_998);
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('Timed out (2s) running check');
    await flush();
    expect(results.at(-1)).toMatchObject({ status: 'critical', output: 'aborted: Timed out (2s) running check' });
  });

  it('aborts at the timeout with a TimeoutError, so a runner whose own deadline has not fired yet still reports a timeout', async () => {
    // The supervisor's timer and a runner's own (same length) race; whichever fires first, the
    // runner must see a timeout: http/tcp/docker checks report Go's timeout texts, never "canceled".
    const { clock, runners, sup, spec } = setup(fixedRandom(0));
    sup.start(spec({ HTTP: 'http://x', Interval: '10s', Timeout: '2s' }));
    clock.advance(1);
    const signal = runners.http.pending[0]!.signal;
    const ownDeadline = new ProbeDeadline(clock, 60_000, signal);
    clock.advance(2_000);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe('TimeoutError');
    expect(ownDeadline.timedOut).toBe(true);
    ownDeadline.dispose();
    // A stop is a cancellation, not a timeout.
    sup.start(spec({ ID: 'd', HTTP: 'http://x', Interval: '10s', Timeout: '2s' }));
    clock.advance(1);
    const stopped = runners.http.pending.at(-1)!.signal;
    const stoppedDeadline = new ProbeDeadline(clock, 60_000, stopped);
    sup.stop('d');
    expect(stoppedDeadline.aborted).toBe(true);
    expect(stoppedDeadline.timedOut).toBe(false);
    stoppedDeadline.dispose();
    await flush();
  });

  it('uses the default timeouts: 30s for script checks, 10s for http', () => {
    const { spec } = setup();
    expect(spec({ Args: ['x'], Interval: '1m' }).timeoutMs).toBe(30_000);
    expect(spec({ HTTP: 'http://x', Interval: '1m' }).timeoutMs).toBe(10_000);
  });

  it('applies success_before_passing and failures_before_critical as Consul (first result at once)', async () => {
    const { clock, runners, sup, spec, results } = setup(fixedRandom(0));
    sup.start(spec({ TCP: 'x:1', Interval: '1s', SuccessBeforePassing: 2, FailuresBeforeCritical: 3 }));
    const step = async (status: 'passing' | 'critical') => {
      clock.advance(1_000);
      runners.tcp.finish({ status, output: status });
      await flush();
    };
    clock.advance(1);
    runners.tcp.finish({ status: 'passing', output: 'passing' });
    await flush();
    expect(results.map((r) => r.status)).toEqual(['passing']);
    await step('critical');
    await step('critical');
    expect(results.map((r) => r.status)).toEqual(['passing']);
    await step('critical');
    expect(results.map((r) => r.status)).toEqual(['passing', 'critical']);
    await step('passing');
    expect(results.map((r) => r.status)).toEqual(['passing', 'critical']);
    await step('passing');
    expect(results.map((r) => r.status)).toEqual(['passing', 'critical', 'passing']);
  });

  it('reports warning after failures_before_warning and critical after failures_before_critical', async () => {
    const { clock, runners, sup, spec, results } = setup(fixedRandom(0));
    sup.start(spec({ TCP: 'x:1', Interval: '1s', FailuresBeforeWarning: 1, FailuresBeforeCritical: 3 }));
    clock.advance(1);
    runners.tcp.finish({ status: 'passing', output: '' });
    await flush();
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      runners.tcp.finish({ status: 'critical', output: `fail ${i + 1}` });
      await flush();
    }
    expect(results.map((r) => [r.status, r.output])).toEqual([
      ['passing', ''],
      ['warning', 'fail 1'],
      ['warning', 'fail 2'],
      ['critical', 'fail 3'],
    ]);
  });

  it('stop() cancels the schedule and drops the result of a probe in flight', async () => {
    const { clock, runners, sup, spec, results } = setup(fixedRandom(0));
    sup.start(spec({ HTTP: 'http://x', Interval: '1s' }));
    clock.advance(1);
    sup.stop('c');
    await flush();
    expect(results).toEqual([]);
    clock.advance(10_000);
    expect(runners.http.probes).toBe(1);
    expect(clock.pending()).toBe(0);
  });
});

describe('CheckSupervisor: TTL checks', () => {
  it('expires to critical with the runner\'s text, re-armed by each update', async () => {
    const { clock, sup, spec, results, runners } = setup();
    sup.start(spec({ TTL: '10s' }));
    clock.advance(9_000);
    expect(sup.ttlUpdate('c', 'passing', 'all good')).toBe(true);
    clock.advance(9_999);
    expect(results.map((r) => r.status)).toEqual(['passing']);
    clock.advance(1);
    expect(results.at(-1)).toEqual({ id: 'c', status: 'critical', output: 'TTL expired (last output before timeout follows): all good', at: 19_000 });
    expect(runners.http.probes + runners.tcp.probes).toBe(0);
  });

  it('expires with plain "TTL expired" when never updated', () => {
    const { clock, sup, spec, results } = setup();
    sup.start(spec({ TTL: '5s' }));
    clock.advance(5_000);
    expect(results).toEqual([{ id: 'c', status: 'critical', output: 'TTL expired', at: 5_000 }]);
  });
});

describe('CheckSupervisor: reactive (alias) checks', () => {
  it('calls watch once, needs no interval, passes reports to the sink without thresholds, and stops them on stop', () => {
    const clock = new ManualClock();
    const results: string[] = [];
    let ctxSeen: ReactiveCheckContext | undefined;
    const probes: string[] = [];
    const runner: ReactiveCheckRunner = {
      kind: 'mirror', reactive: true,
      accepts: (d) => d['mirror'] !== undefined,
      validate: () => undefined,
      probe: async () => (probes.push('probe'), { status: 'critical', output: '' }),
      watch: (_d, ctx) => { ctxSeen = ctx; ctx.report({ status: 'warning', output: 'first' }); },
      close: async () => {},
    };
    const local = { onChange: () => () => {} } as unknown as LocalAgentApi & LocalAgentChanges;
    const sup = new CheckSupervisor({ clock, random: fixedRandom(0), logger: new SilentLogger(), sink: (id, s, o) => results.push(`${id} ${s} ${o}`), local });
    const spec = normalizeCheck({ Name: 'm', Mirror: 'x', FailuresBeforeCritical: 3 }, { runners: new Map([['mirror', runner]]), origin: 'api', checkFields: { mirror: { type: 'string' } } });
    expect(spec.intervalMs).toBe(0);
    sup.start(spec);
    ctxSeen!.report({ status: 'critical', output: 'down' }); // no failures_before_critical hold-back
    clock.advance(600_000);
    expect(probes).toEqual([]);
    sup.stop('m');
    expect(ctxSeen!.signal.aborted).toBe(true);
    ctxSeen!.report({ status: 'passing', output: 'late' });
    expect(results).toEqual(['m warning first', 'm critical down']);
  });
});
