import { describe, expect, it } from 'vitest';
import type { ConnectionTransport, RawConnection } from '../../../../contracts/ports/transport.js';
import { MemoryConnectionTransport } from '../../../../plugins/transport-memory/memory-connection-transport.js';
import { MemoryNetwork } from '../../../../plugins/transport-memory/memory-network.js';
import { RawTcpConnectionTransport } from '../../../../plugins/transport-tcp/raw-connection-transport.js';
import { ManualClock } from '../../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../../src/testing/seeded-random.js';

/** Runs an echo exchange: the listener answers each connection with its bytes reversed, then closes. */
async function echo(a: ConnectionTransport, b: ConnectionTransport, pump: () => Promise<void>): Promise<{ reply: number[]; closed: boolean }> {
  b.listen((c: RawConnection) => {
    const got: number[] = [];
    c.onData((d) => {
      got.push(...d);
      if (got.length >= 4) {
        c.write(Uint8Array.from(got.reverse()));
        c.close();
      }
    });
  });
  const dialing = a.dial(b.localAddress, 2000);
  await pump();
  const conn = await dialing;
  const reply: number[] = [];
  let closed = false;
  conn.onData((d) => reply.push(...d));
  conn.onClose(() => (closed = true));
  conn.write(Uint8Array.from([1, 2]));
  conn.write(Uint8Array.from([3, 4]));
  for (let i = 0; i < 50 && !closed; i++) await pump();
  return { reply, closed };
}

describe('ConnectionTransport adapters', () => {
  it('memory: raw bytes in order both ways, close reaches the peer, a cut link refuses dials', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork(clock, new SeededRandom(1));
    const a = new MemoryConnectionTransport(net, 'a');
    const b = new MemoryConnectionTransport(net, 'b');
    await a.start();
    await b.start();
    const pump = async (): Promise<void> => {
      clock.advance(5);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    expect(await echo(a, b, pump)).toEqual({ reply: [4, 3, 2, 1], closed: true });
    net.partition(['a'], ['b']);
    const refused = a.dial('b', 1000);
    await pump();
    await expect(refused).rejects.toThrow(/refused/);
    await expect(new MemoryConnectionTransport(net, 'a').start()).rejects.toThrow(/in use/);
  });

  it('tcp: raw bytes over loopback on an ephemeral port; a dial to a closed port fails', async () => {
    const a = new RawTcpConnectionTransport({ host: '127.0.0.1', port: 0 });
    const b = new RawTcpConnectionTransport({ host: '127.0.0.1', port: 0 });
    await a.start();
    await b.start();
    try {
      const pump = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
      expect(await echo(a, b, pump)).toEqual({ reply: [4, 3, 2, 1], closed: true });
      const addr = b.localAddress;
      await b.close();
      await expect(a.dial(addr, 1000)).rejects.toThrow(/dial tcp/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
