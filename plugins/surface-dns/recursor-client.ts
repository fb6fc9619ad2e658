import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Clock, Logger } from '../../contracts/platform.js';
import { Flag, Rcode } from './dns-constants.js';
import type { FastShuffle } from './fast-shuffle.js';
import type { RecursorAddress } from './dns-settings.js';

/** One forwarding attempt's settings. */
export interface ForwardOptions {
  recursors: readonly RecursorAddress[];
  strategy: 'sequential' | 'random';
  timeoutMs: number;
  /** How the client asked: a TCP client gets the upstream's TCP answer. */
  transport: 'udp' | 'tcp';
  /** The largest answer the UDP client accepts. */
  clientUdpLimit: number;
}

/** The largest DNS message (the TCP length prefix is 16 bits). */
const MAX_MESSAGE = 65535;

/**
 * Forwards questions outside the agent's domain to the configured recursors, as Consul does:
 * recursors are tried in order (`sequential`) or shuffled (`random`); an answer other than
 * NOERROR or NXDOMAIN, a timeout or a network error moves on to the next one. A UDP answer with
 * TC is asked again over TCP; a UDP client still gets the truncated UDP answer when the full one
 * is bigger than it accepts. Each attempt uses a fresh socket and message ID; the client's ID is
 * put back before the answer is returned.
 */
export class RecursorClient {
  constructor(
    private readonly clock: Clock,
    private readonly shuffle: FastShuffle,
    private readonly logger: Logger,
  ) {}

  /** The upstream answer for `query` (client's ID restored), or undefined when every recursor failed. */
  async forward(query: Uint8Array, o: ForwardOptions): Promise<Buffer | undefined> {
    const order = o.recursors.map((_, i) => i);
    if (o.strategy === 'random') this.shuffle.shuffle(order);
    const clientId = (query[0]! << 8) | query[1]!;
    for (const i of order) {
      const r = o.recursors[i]!;
      try {
        const answer = await this.exchange(query, r, o);
        if (!answer || answer.length < 12) continue;
        const rcode = answer[3]! & 0xf;
        if (rcode !== Rcode.NoError && rcode !== Rcode.NxDomain) {
          this.logger.debug('recursor answered with an error code, trying the next one', { recursor: `${r.host}:${r.port}`, rcode });
          continue;
        }
        answer[0] = clientId >> 8;
        answer[1] = clientId & 0xff;
        return answer;
      } catch (e) {
        this.logger.debug('recursor failed', { recursor: `${r.host}:${r.port}`, error: (e as Error).message });
      }
    }
    return undefined;
  }

  private async exchange(query: Uint8Array, r: RecursorAddress, o: ForwardOptions): Promise<Buffer | undefined> {
    const id = this.shuffle.int(0x10000);
    const out = Buffer.from(query);
    out[0] = id >> 8;
    out[1] = id & 0xff;
    if (o.transport === 'tcp') return this.tcp(out, r, id, o.timeoutMs);
    const udp = await this.udp(out, r, id, o.timeoutMs);
    if (!udp || !(udp[2]! & (Flag.TC >> 8))) return udp;
    const full = await this.tcp(out, r, id, o.timeoutMs).catch(() => undefined);
    return full && full.length <= o.clientUdpLimit ? full : udp;
  }

  private udp(msg: Buffer, r: RecursorAddress, id: number, timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const sock = createSocket(r.host.includes(':') ? 'udp6' : 'udp4');
      let done = false;
      const finish = (err: Error | undefined, value?: Buffer): void => {
        if (done) return;
        done = true;
        timer.cancel();
        sock.close();
        if (err) reject(err);
        else resolve(value);
      };
      const timer = this.clock.setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      sock.on('error', (e) => finish(e));
      sock.on('message', (m, rinfo) => {
        // Only the answer to this question from this server.
        if (m.length < 12 || rinfo.port !== r.port || ((m[0]! << 8) | m[1]!) !== id || !(m[2]! & 0x80)) return;
        finish(undefined, m);
      });
      sock.send(msg, r.port, r.host, (e) => {
        if (e) finish(e);
      });
    });
  }

  private tcp(msg: Buffer, r: RecursorAddress, id: number, timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: r.host, port: r.port });
      let buf = Buffer.alloc(0);
      let done = false;
      const finish = (err: Error | undefined, value?: Buffer): void => {
        if (done) return;
        done = true;
        timer.cancel();
        sock.destroy();
        if (err) reject(err);
        else resolve(value);
      };
      const timer = this.clock.setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      sock.on('error', (e) => finish(e));
      sock.on('close', () => finish(new Error('connection closed before an answer')));
      sock.on('connect', () => {
        const framed = Buffer.allocUnsafe(2 + msg.length);
        framed.writeUInt16BE(msg.length, 0);
        msg.copy(framed, 2);
        sock.write(framed);
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length > 2 + MAX_MESSAGE) return finish(new Error('oversized answer'));
        while (buf.length >= 2) {
          const n = buf.readUInt16BE(0);
          if (buf.length < 2 + n) return;
          const m = buf.subarray(2, 2 + n);
          buf = buf.subarray(2 + n);
          if (m.length >= 12 && ((m[0]! << 8) | m[1]!) === id) return finish(undefined, Buffer.from(m));
        }
      });
    });
  }
}
