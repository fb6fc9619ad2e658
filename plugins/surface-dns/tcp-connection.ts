import type { Socket } from 'node:net';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';

/** Answers one framed DNS message (undefined: say nothing). */
export type FrameHandler = (msg: Uint8Array) => Promise<Buffer | undefined>;

/** Queries one connection may have in flight before the surface stops reading from it. */
export const MAX_INFLIGHT_PER_CONNECTION = 32;

/**
 * One DNS-over-TCP client connection (RFC 1035 §4.2.2, RFC 7766): 2-byte length-prefixed
 * messages, pipelined — every complete frame is answered as soon as its answer is ready, each
 * with its own prefix, so answers may come back out of order (clients match them by ID). Reading
 * pauses while too many queries are in flight. The connection is closed after `idleMs` without
 * traffic and with nothing in flight, and at once when a message takes longer than
 * `messageDeadlineMs` to arrive from its first byte to its last, or the first message not within
 * `messageDeadlineMs` of the connect (miekg/dns's read timeout, which Consul's DNS server runs
 * with): a trickle of bytes, or silence, cannot hold a connection open (the Clock times both).
 */
export class TcpDnsConnection {
  private pending: Buffer | undefined;
  private inflight = 0;
  private paused = false;
  private lastActivity: number;
  private timer: TimerHandle | undefined;
  private closed = false;
  private ending = false;
  /** When the message now partly received began arriving, or the connection opened until its first message is in (undefined: between messages). */
  private messageStart: number | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly handle: FrameHandler,
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly messageDeadlineMs: number,
    private readonly logger: Logger,
    private readonly onClose: () => void,
  ) {
    this.lastActivity = clock.now();
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => {
      this.logger.debug('DNS TCP connection error', { error: e.message });
      socket.destroy();
    });
    socket.on('close', () => this.cleanup());
    // The first message is due within the message deadline of the connect, as miekg/dns reads
    // a new connection's first message with its read timeout (later ones wait up to idleMs to
    // start): a connection that never says anything cannot hold one of the capped slots for long.
    this.messageStart = this.lastActivity;
    this.arm(Math.max(1, Math.min(idleMs, messageDeadlineMs)));
  }

  /** Closes the connection now. */
  destroy(): void {
    this.socket.destroy();
    this.cleanup();
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = this.clock.now();
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    while (buf.length >= 2) {
      const n = buf.readUInt16BE(0);
      if (buf.length < 2 + n) break;
      const frame = buf.subarray(2, 2 + n);
      buf = buf.subarray(2 + n);
      if (n > 0) this.dispatch(frame);
    }
    if (buf.length > 0) {
      this.pending = Buffer.from(buf);
      if (this.messageStart === undefined) {
        this.messageStart = this.lastActivity;
        this.rearm();
      }
    } else {
      this.messageStart = undefined;
    }
  }

  /** Runs the timer again now, so a message deadline shorter than the idle wait is kept. */
  private rearm(): void {
    this.timer?.cancel();
    this.arm(Math.max(1, Math.min(this.idleMs, this.messageDeadlineMs)));
  }

  private dispatch(frame: Uint8Array): void {
    this.inflight++;
    if (this.inflight >= MAX_INFLIGHT_PER_CONNECTION && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.handle(frame).then(
      (out) => this.reply(out),
      (e: unknown) => {
        this.logger.error('DNS TCP handler failed', { error: e });
        this.reply(undefined);
      },
    );
  }

  private reply(out: Buffer | undefined): void {
    this.inflight--;
    if (this.closed) return;
    this.lastActivity = this.clock.now();
    if (out) {
      const framed = Buffer.allocUnsafe(2 + out.length);
      framed.writeUInt16BE(out.length, 0);
      out.copy(framed, 2);
      this.socket.write(framed);
    }
    if (this.paused && this.inflight < MAX_INFLIGHT_PER_CONNECTION / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.onTimer(), ms);
  }

  private onTimer(): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (this.messageStart !== undefined && now - this.messageStart >= this.messageDeadlineMs) {
      this.logger.debug('DNS TCP message not complete in time, closing', { deadlineMs: this.messageDeadlineMs });
      this.socket.destroy();
      return;
    }
    const idle = now - this.lastActivity;
    if (this.ending) {
      this.socket.destroy();
      return;
    }
    if (idle >= this.idleMs && this.inflight === 0) {
      // A FIN first; if the client does not close its side within another period, drop it.
      this.logger.debug('closing idle DNS TCP connection');
      this.ending = true;
      this.socket.end();
      this.arm(this.idleMs);
      return;
    }
    const untilDeadline = this.messageStart === undefined ? Infinity : this.messageDeadlineMs - (now - this.messageStart);
    this.arm(Math.max(1, Math.min(this.idleMs - idle, untilDeadline)));
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.onClose();
  }
}
