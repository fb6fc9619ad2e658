import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../plugins/transport-memory/memory-transport.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SystemRandom } from '../../src/platform/system-random.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { describePacketTransportConformance, describeStreamTransportConformance, type TransportPair } from '../conformance/transport.conformance.js';
import { MemoryTransportLease } from '../../plugins/transport-memory/memory-transport-lease.js';
import { StreamProtocol } from '../../contracts/ports/transport.js';

/** Two started endpoints `node-a` and `node-b` on a fresh network (a ManualClock one when `manual`, driven by the suite). */
async function memoryPair<T extends MemoryTransport | MemoryTransportLease>(
  make: (net: MemoryNetwork, name: string) => T,
  manual?: { seed: number },
): Promise<TransportPair<T>> {
  const clock = manual ? new ManualClock() : new SystemClock();
  const net = manual ? new MemoryNetwork(clock, new SeededRandom(manual.seed), { minDelayMs: 0, maxDelayMs: 3 }) : new MemoryNetwork(clock, new SystemRandom());
  const a = make(net, 'node-a');
  const b = make(net, 'node-b');
  await a.start();
  await b.start();
  const advance = clock instanceof ManualClock ? { advance: (ms: number) => clock.advance(ms) } : {};
  return { a, b, unreachable: 'node-nobody', cleanup: async () => undefined, ...advance };
}
const plain = (net: MemoryNetwork, name: string): MemoryTransport => new MemoryTransport(net, name);
const lease = (net: MemoryNetwork, name: string): MemoryTransportLease => new MemoryTransportLease(net, name);

describe('transport-memory', () => {
  // Real time: the network's zero-delay deliveries and the request timeouts run on real timers.
  describeStreamTransportConformance('memory (system clock)', () => memoryPair(plain));
  // Simulation mode: nothing moves until the clock does, so the suite drives it (with a delay
  // range, so deliveries interleave).
  describeStreamTransportConformance('memory (manual clock, 0-3 ms delays)', () => memoryPair(plain, { seed: 42 }));
  describePacketTransportConformance('memory (system clock)', () => memoryPair(plain));
  describePacketTransportConformance('memory (manual clock, 0-3 ms delays)', () => memoryPair(plain, { seed: 7 }));
  // What the plugin hands the kernel: one lease per port on the node's one transport.
  describeStreamTransportConformance('memory plugin leases (streams)', () => memoryPair(lease));
  describePacketTransportConformance('memory plugin leases (packets)', () => memoryPair(lease));

  it('the stream and packet leases of one node share its address; the node leaves the network with the last lease', async () => {
    const net = new MemoryNetwork(new SystemClock(), new SystemRandom());
    const streams = new MemoryTransportLease(net, 'node-a');
    const packets = new MemoryTransportLease(net, 'node-a');
    const peer = new MemoryTransport(net, 'node-b');
    await Promise.all([streams.start(), packets.start(), peer.start()]);
    expect(streams.localAddress).toBe('node-a');
    expect(packets.localAddress).toBe('node-a');
    streams.handle(StreamProtocol.Rpc, { onRequest: async () => new TextEncoder().encode('pong') });
    const gotPackets: string[] = [];
    packets.onPacket((from) => gotPackets.push(from));

    await streams.close();
    // The packet lease still holds the node: packets arrive, the closed lease's RPC handler is gone.
    peer.sendPacket('node-a', new Uint8Array([1]));
    await new Promise((r) => setTimeout(r, 20));
    expect(gotPackets).toEqual(['node-b']);
    await expect(peer.request('node-a', StreamProtocol.Rpc, new Uint8Array([1]), { timeoutMs: 500 })).rejects.toThrow(/no handler for protocol 0/);
    await expect(streams.request('node-b', StreamProtocol.Rpc, new Uint8Array([1]), { timeoutMs: 500 })).rejects.toThrow(/closed/);

    await packets.close();
    await expect(peer.request('node-a', StreamProtocol.Rpc, new Uint8Array([1]), { timeoutMs: 500 })).rejects.toThrow(/refused/);
    // A later agent with the same name can attach again.
    const again = new MemoryTransportLease(net, 'node-a');
    await again.start();
    await again.close();
    await peer.close();
  });
});
