import { describe } from 'vitest';
import { MemoryNetwork } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SystemRandom } from '../../src/platform/system-random.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { describeStreamTransportConformance } from '../conformance/transport.conformance.js';

describe('transport-memory', () => {
  // Real time: the network's zero-delay deliveries and the request timeouts run on real timers.
  describeStreamTransportConformance('memory (system clock)', async () => {
    const net = new MemoryNetwork(new SystemClock(), new SystemRandom());
    const a = new MemoryTransport(net, 'node-a');
    const b = new MemoryTransport(net, 'node-b');
    await a.start();
    await b.start();
    return { a, b, unreachable: 'node-nobody', cleanup: async () => undefined };
  });

  // Simulation mode: nothing moves until the clock does, so the suite drives it (with a delay
  // range, so deliveries interleave).
  describeStreamTransportConformance('memory (manual clock, 0-3 ms delays)', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork(clock, new SeededRandom(42), { minDelayMs: 0, maxDelayMs: 3 });
    const a = new MemoryTransport(net, 'node-a');
    const b = new MemoryTransport(net, 'node-b');
    await a.start();
    await b.start();
    return { a, b, unreachable: 'node-nobody', cleanup: async () => undefined, advance: (ms) => clock.advance(ms) };
  });
});
