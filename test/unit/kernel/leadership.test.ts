import { describe, expect, it } from 'vitest';
import { createHooks } from '../../../src/kernel/hooks.js';
import { Leadership } from '../../../src/kernel/leadership.js';
import type { LeaderJob } from '../../../src/kernel/leadership.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

/** A leadership flag the test flips, as Raft reports it. */
function fakeSource(initial = false) {
  let leader = initial;
  const listeners = new Set<(l: boolean) => void>();
  return {
    isLeader: () => leader,
    onLeadershipChange(fn: (l: boolean) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    set(l: boolean): void {
      leader = l;
      for (const fn of [...listeners]) fn(l);
    },
    listeners: () => listeners.size,
  };
}

/** A job that records its calls into a shared log; `gate` makes establish/revoke wait for the test. */
function job(name: string, log: string[], opts: { throwOn?: 'establish' | 'revoke'; async?: boolean } = {}) {
  const gates: (() => void)[] = [];
  const step = (what: 'establish' | 'revoke') => (): void | Promise<void> => {
    log.push(`${what} ${name}`);
    if (opts.throwOn === what) throw new Error(`${name} broke`);
    if (!opts.async) return undefined;
    return new Promise<void>((resolve) => gates.push(() => {
      log.push(`${what} ${name} done`);
      resolve();
    }));
  };
  const j: LeaderJob & { release(): void } = {
    name,
    establish: step('establish'),
    revoke: step('revoke'),
    release: () => gates.shift()?.(),
  };
  return j;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('Leadership (one establish/revoke step for leader-only jobs)', () => {
  it('establishes jobs in registration order on gaining leadership and revokes them in reverse on losing it, telling the hook', () => {
    const source = fakeSource();
    const log: string[] = [];
    const hooks = createHooks();
    const seen: boolean[] = [];
    hooks.leadership.tap('test', (l) => seen.push(l));
    const logger = new SilentLogger();
    const l = new Leadership({ source, logger, hooks });
    for (const n of ['a', 'b', 'c']) l.register(job(n, log));
    l.start();
    expect(log).toEqual([]);
    source.set(true);
    expect(log).toEqual(['establish a', 'establish b', 'establish c']);
    expect(l.isEstablished()).toBe(true);
    source.set(false);
    expect(log.slice(3)).toEqual(['revoke c', 'revoke b', 'revoke a']);
    expect(seen).toEqual([true, false]);
    expect(logger.lines.filter((x) => x.includes('cluster leadership'))).toEqual([
      expect.stringContaining('cluster leadership acquired'),
      expect.stringContaining('cluster leadership lost'),
    ]);
  });

  it('establishes at start when the source already leads, and a job registered while leading at once', () => {
    const source = fakeSource(true);
    const log: string[] = [];
    const l = new Leadership({ source, logger: new SilentLogger() });
    l.register(job('a', log));
    l.start();
    expect(log).toEqual(['establish a']);
    l.register(job('late', log));
    expect(log).toEqual(['establish a', 'establish late']);
  });

  it('serializes transitions: a loss waits for an establish in flight, then revokes in reverse', async () => {
    const source = fakeSource();
    const log: string[] = [];
    const slow = job('slow', log, { async: true });
    const l = new Leadership({ source, logger: new SilentLogger() });
    l.register(slow);
    l.register(job('b', log));
    l.start();
    source.set(true);
    expect(log).toEqual(['establish slow']);
    source.set(false); // arrives while slow is still establishing
    await flush();
    expect(log, 'nothing else runs while an establish is in flight').toEqual(['establish slow']);
    slow.release();
    await flush();
    expect(log).toEqual(['establish slow', 'establish slow done', 'establish b', 'revoke b', 'revoke slow']);
    slow.release();
    await l.settled();
    expect(log.at(-1)).toBe('revoke slow done');
    expect(l.isEstablished()).toBe(false);
  });

  it('coalesces changes that cancel out while a transition is in flight', async () => {
    const source = fakeSource(true);
    const log: string[] = [];
    const slow = job('slow', log, { async: true });
    const l = new Leadership({ source, logger: new SilentLogger() });
    l.register(slow);
    l.start();
    source.set(false);
    source.set(true);
    slow.release();
    await l.settled();
    expect(log).toEqual(['establish slow', 'establish slow done']);
    expect(l.isEstablished()).toBe(true);
  });

  it('changes reported from inside a job wait for the transition running it: no job is established twice', () => {
    const source = fakeSource();
    const log: string[] = [];
    const l = new Leadership({ source, logger: new SilentLogger() });
    let flapped = false;
    const flapping: LeaderJob = {
      name: 'a',
      establish: () => {
        log.push('establish a');
        if (flapped) return;
        flapped = true;
        source.set(false);
        source.set(true);
      },
      revoke: () => void log.push('revoke a'),
    };
    l.register(flapping);
    l.register(job('b', log));
    l.start();
    source.set(true);
    expect(log).toEqual(['establish a', 'establish b']);
    expect(l.isEstablished()).toBe(true);
    source.set(false);
    expect(log.slice(2)).toEqual(['revoke b', 'revoke a']);
  });

  it('a job that throws is logged and does not stop the others; it is still revoked', () => {
    const source = fakeSource();
    const log: string[] = [];
    const logger = new SilentLogger();
    const l = new Leadership({ source, logger });
    l.register(job('a', log));
    l.register(job('broken', log, { throwOn: 'establish' }));
    l.register(job('c', log, { throwOn: 'revoke' }));
    l.register(job('d', log));
    l.start();
    source.set(true);
    source.set(false);
    expect(log).toEqual(['establish a', 'establish broken', 'establish c', 'establish d', 'revoke d', 'revoke c', 'revoke broken', 'revoke a']);
    expect(logger.lines.filter((x) => x.startsWith('ERROR'))).toEqual([
      expect.stringContaining('leader job failed to establish {"job":"broken"'),
      expect.stringContaining('leader job failed to revoke {"job":"c"'),
    ]);
  });

  it('stop revokes every job, waits for them, stops following the source and is idempotent', async () => {
    const source = fakeSource(true);
    const log: string[] = [];
    const slow = job('slow', log, { async: true });
    const l = new Leadership({ source, logger: new SilentLogger() });
    l.register(job('a', log));
    l.register(slow);
    l.start();
    slow.release();
    await l.settled();
    let stopped = false;
    const stopping = l.stop().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped, 'stop waits for a slow revoke').toBe(false);
    slow.release();
    await stopping;
    expect(log).toEqual(['establish a', 'establish slow', 'establish slow done', 'revoke slow', 'revoke slow done', 'revoke a']);
    expect(source.listeners()).toBe(0);
    source.set(false);
    source.set(true);
    await l.stop();
    l.register(job('after', log));
    expect(log).toHaveLength(6);
  });
});
