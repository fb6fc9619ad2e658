import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../../plugins/transport-memory/memory-transport.js';
import plugin from '../../../plugins/transport-memory/index.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import { TEST_PROTOCOL, handlersOf } from '../../support/protocol-handlers.js';

/** Moves time 1 ms at a time, letting promise jobs (async handlers) run in between. */
async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    for (let j = 0; j < 5; j++) await Promise.resolve();
  }
}

async function pair(opts = {}) {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock, new SeededRandom(1), opts);
  const a = new MemoryTransport(net, 'a');
  const b = new MemoryTransport(net, 'b');
  await a.start();
  await b.start();
  const got: string[] = [];
  handlersOf(b).onMessage((from, f) => got.push(`${from}:${f[0]}`));
  return { clock, net, a, b, got };
}

describe('transport-memory', () => {
  it('delivers copies of frames after the configured delay, never synchronously', async () => {
    const { clock, a, got } = await pair({ minDelayMs: 3, maxDelayMs: 3 });
    const frame = new Uint8Array([1]);
    a.send('b', TEST_PROTOCOL, frame);
    frame[0] = 9; // the caller keeps ownership
    expect(got).toEqual([]);
    clock.advance(2);
    expect(got).toEqual([]);
    clock.advance(1);
    expect(got).toEqual(['a:1']);
  });

  it('drops frames across a partition until healed, and at the configured rate', async () => {
    const { clock, net, a, got } = await pair();
    net.partition(['a'], ['b']);
    a.send('b', TEST_PROTOCOL, new Uint8Array([1]));
    clock.advance(1);
    expect(got).toEqual([]);
    net.heal();
    a.send('b', TEST_PROTOCOL, new Uint8Array([2]));
    clock.advance(1);
    expect(got).toEqual(['a:2']);
    net.setDropRate(0.5);
    for (let i = 0; i < 200; i++) a.send('b', TEST_PROTOCOL, new Uint8Array([3]));
    clock.advance(1);
    expect(got.length - 1).toBeGreaterThan(60);
    expect(got.length - 1).toBeLessThan(140);
  });

  it('answers requests, maps handler errors to TRANSPORT_FAILED, lost ones to TIMEOUT, close to SHUTDOWN', async () => {
    const { clock, net, a, b } = await pair({ minDelayMs: 1, maxDelayMs: 1 });
    handlersOf(b).onRequest(async (_from, f) => {
      if (f[0] === 0) throw new Error('nope');
      return new Uint8Array([f[0]! * 2]);
    });
    const ok = a.request('b', TEST_PROTOCOL, new Uint8Array([21]), { timeoutMs: 100 });
    await run(clock, 3);
    await expect(ok).resolves.toEqual(new Uint8Array([42]));
    const failed = a.request('b', TEST_PROTOCOL, new Uint8Array([0]), { timeoutMs: 100 });
    await run(clock, 3);
    await expect(failed).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.TransportFailed) && (e as Error).message === 'nope');
    const refused = a.request('nobody', TEST_PROTOCOL, new Uint8Array([1]), { timeoutMs: 100 });
    await run(clock, 2);
    await expect(refused).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.TransportFailed));
    net.partition(['a'], ['b']);
    const lost = a.request('b', TEST_PROTOCOL, new Uint8Array([1]), { timeoutMs: 50 });
    await run(clock, 50);
    await expect(lost).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.Timeout));
    const pending = a.request('b', TEST_PROTOCOL, new Uint8Array([1]), { timeoutMs: 50 });
    await a.close();
    await expect(pending).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.Shutdown));
    const dup = new MemoryTransport(net, 'b');
    await expect(dup.start()).rejects.toSatisfy((e) => isSextantError(e, ErrorCode.TransportFailed));
  });

  it('is a plugin providing every plane, transport, packetTransport and connectionTransport "memory"', () => {
    const provided: string[] = [];
    plugin.register({ provide: (port: string, id: string) => provided.push(`${port}:${id}`) } as never);
    expect(plugin.name).toBe('transport-memory');
    expect(provided).toEqual(['transport:memory', 'packetTransport:memory', 'connectionTransport:memory']);
  });
});
