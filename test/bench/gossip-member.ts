// One Sextant gossip member as a process, for `npm run bench:gossip`: the agent's pool layer (serf
// over memberlist, with Vivaldi coordinates in its acks and serf's push/pull state, as a serf agent
// runs) on the real UDP packet transport and the raw TCP connection transport on
// 127.0.0.1:<port>, Consul's LAN timings.
//   node --import tsx test/bench/gossip-member.ts <name> <port> [join-address]
// Prints one JSON line per event on stdout: {"ev":"ready"}, {"ev":"join"|"leave","node":…},
// {"ev":"joined","n":…}, {"ev":"stats","udpSent":…,"tcpSent":…} (bytes this member wrote).
// Reads commands on stdin: "join <address>", "stats".
import { createInterface } from 'node:readline';
import type { PacketTransport, RawConnection, ConnectionTransport } from '../../contracts/ports/transport.js';
import { RawTcpConnectionTransport } from '../../plugins/transport-tcp/raw-connection-transport.js';
import { UdpTransport } from '../../plugins/transport-udp/udp-transport.js';
import { Serf } from '../../src/gossip/serf/serf.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SystemRandom } from '../../src/platform/system-random.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';

const [name, portArg, joinAddr] = process.argv.slice(2);
if (!name || !portArg) throw new Error('usage: gossip-member.ts <name> <port> [join-address]');
const port = Number(portArg);
const counts = { udpSent: 0, tcpSent: 0 };
const emit = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const logger = new SilentLogger(name);
const udp = new UdpTransport({ bindAddr: '127.0.0.1', port, logger });
const packets: PacketTransport = {
  get localAddress() {
    return udp.localAddress;
  },
  maxPacketBytes: udp.maxPacketBytes,
  start: () => udp.start(),
  close: () => udp.close(),
  onPacket: (h) => udp.onPacket(h),
  sendPacket: (to, p) => {
    counts.udpSent += p.length;
    udp.sendPacket(to, p);
  },
};
const tcp = new RawTcpConnectionTransport({ host: '127.0.0.1', port });
const counted = (c: RawConnection): RawConnection => ({
  remoteAddress: c.remoteAddress,
  write: (chunk) => {
    counts.tcpSent += chunk.length;
    c.write(chunk);
  },
  onData: (h) => c.onData(h),
  onClose: (h) => c.onClose(h),
  close: () => c.close(),
});
const connections: ConnectionTransport = {
  get localAddress() {
    return tcp.localAddress;
  },
  start: () => tcp.start(),
  close: () => tcp.close(),
  listen: (on) => tcp.listen((c) => on(counted(c))),
  dial: async (to, ms) => counted(await tcp.dial(to, ms)),
};
const serf = new Serf(
  { nodeName: name, tags: { role: 'sextant-bench' }, memberlist: {} },
  { clock: new SystemClock(), random: new SystemRandom(), logger, packets, connections },
);
serf.onEvent((e) => {
  if (e.kind !== 'member') return;
  for (const m of e.members) {
    if (e.type === 'join') emit({ ev: 'join', node: m.name });
    else if (e.type === 'failed' || e.type === 'leave') emit({ ev: 'leave', node: m.name, state: e.type });
  }
});
await serf.start();
emit({ ev: 'ready', address: `127.0.0.1:${port}` });
const join = async (addr: string): Promise<void> => {
  try {
    emit({ ev: 'joined', n: await serf.join([addr], true) });
  } catch (e) {
    emit({ ev: 'error', error: (e as Error).message });
  }
};
if (joinAddr) await join(joinAddr);
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'join' && arg) void join(arg);
  else if (cmd === 'stats') emit({ ev: 'stats', ...counts, members: serf.numMembers() });
});
process.stdin.on('end', () => void serf.shutdown().then(() => process.exit(0)));
