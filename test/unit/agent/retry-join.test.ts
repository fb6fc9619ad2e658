import { describe, expect, it } from 'vitest';
import { RetryJoiner } from '../../../src/agent/retry-join.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';

/** A fake pool join: fails `failures` times (JOIN_FAILED, as the Membership port rejects), then contacts every address. */
function fakeJoin(failures: number) {
  const calls: { at: number; addrs: readonly string[] }[] = [];
  let clock: ManualClock | undefined;
  return {
    calls,
    use(c: ManualClock) {
      clock = c;
    },
    join: async (addrs: readonly string[]): Promise<number> => {
      calls.push({ at: clock?.now() ?? 0, addrs: [...addrs] });
      if (calls.length <= failures) throw new SextantError(ErrorCode.JoinFailed, `1 error occurred:\n\t* Failed to join ${addrs[0]}: connection refused\n\n`);
      return addrs.length;
    },
  };
}

/** Lets pending promise callbacks run (the joiner awaits between attempts). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup(failures: number, opts: { maxAttempts?: number; addresses?: string[] } = {}) {
  const clock = new ManualClock();
  const logger = new SilentLogger('agent');
  const fake = fakeJoin(failures);
  fake.use(clock);
  const joiner = new RetryJoiner({
    cluster: 'LAN',
    addresses: opts.addresses ?? ['127.0.0.2', '127.0.0.3:8301'],
    maxAttempts: opts.maxAttempts ?? 0,
    intervalMs: 30_000,
    join: fake.join,
    clock,
    logger,
  });
  return { clock, logger, fake, joiner };
}

describe('RetryJoiner (Consul retry_join)', () => {
  it('joins at once when an agent answers, with Consul log lines', async () => {
    const { fake, joiner, logger } = setup(0);
    await joiner.run();
    expect(fake.calls).toEqual([{ at: expect.any(Number), addrs: ['127.0.0.2', '127.0.0.3:8301'] }]);
    expect(logger.lines).toEqual([
      'INFO agent: Retry join is supported for the following discovery methods {"cluster":"LAN","discovery_methods":""}',
      'INFO agent: Joining cluster... {"cluster":"LAN"}',
      'INFO agent: Join cluster completed. Synced with initial agents {"cluster":"LAN","num_agents":2}',
    ]);
  });

  it('retries every retry_interval on the clock until an agent answers', async () => {
    const { clock, fake, joiner, logger } = setup(2);
    const t0 = clock.now();
    let done = false;
    const run = joiner.run().then(() => (done = true));
    await settle();
    expect(fake.calls).toHaveLength(1);
    expect(logger.lines.filter((l) => l.includes('Join cluster failed, will retry'))).toHaveLength(1);
    expect(logger.lines.at(-1)).toContain('"retry_interval":"30s"');
    clock.advance(29_999);
    await settle();
    expect(fake.calls).toHaveLength(1); // not before the interval
    clock.advance(1);
    await settle();
    expect(fake.calls).toHaveLength(2);
    clock.advance(30_000);
    await settle();
    await run;
    expect(done).toBe(true);
    expect(fake.calls.map((c) => c.at - t0)).toEqual([0, 30_000, 60_000]);
    expect(logger.lines.at(-1)).toContain('Join cluster completed. Synced with initial agents');
    expect(clock.pending()).toBe(0);
  });

  it('gives up after retry_max retries with "agent: max join LAN retry exhausted, exiting"', async () => {
    const { clock, fake, joiner } = setup(100, { maxAttempts: 2 });
    let failure: unknown;
    const run = joiner.run().catch((e: unknown) => (failure = e));
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(30_000);
    }
    await run;
    expect(fake.calls).toHaveLength(3); // the first attempt and retry_max = 2 retries
    expect((failure as Error).message).toBe('agent: max join LAN retry exhausted, exiting');
  });

  it('retry_max 0 retries forever', async () => {
    const { clock, fake, joiner } = setup(1000, { maxAttempts: 0 });
    void joiner.run();
    for (let i = 0; i < 50; i++) {
      await settle();
      clock.advance(30_000);
    }
    await settle();
    expect(fake.calls.length).toBeGreaterThanOrEqual(50);
    joiner.stop();
  });

  it('stop ends a pending wait: no further attempt, run resolves', async () => {
    const { clock, fake, joiner } = setup(100);
    const run = joiner.run();
    await settle();
    joiner.stop();
    await run;
    clock.advance(300_000);
    await settle();
    expect(fake.calls).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('nothing to join: resolves at once without a log line', async () => {
    const { fake, joiner, logger } = setup(0, { addresses: [] });
    await joiner.run();
    expect(fake.calls).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it('a cloud auto-join entry (provider=…) is reported as not discoverable and skipped; with nothing else, "No servers to join" is retried', async () => {
    const { clock, fake, joiner, logger } = setup(0, { addresses: ['provider=aws tag_key=consul tag_value=x'], maxAttempts: 1 });
    let failure: unknown;
    const run = joiner.run().catch((e: unknown) => (failure = e));
    await settle();
    clock.advance(30_000);
    await settle();
    await run;
    expect(fake.calls).toEqual([]);
    expect(logger.lines).toContain('ERROR agent: Cannot discover address {"cluster":"LAN","address":"provider=aws tag_key=consul tag_value=x","error":"discover: unknown provider aws"}');
    expect((failure as Error).message).toBe('agent: max join LAN retry exhausted, exiting');
  });
});
