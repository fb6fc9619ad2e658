import { MessageChannel } from 'node:worker_threads';

/**
 * Keeps the Node event loop alive until released. The platform Clock's timers are unref'd (a
 * pending timer never keeps a process up on its own), but `sextant lock` must stay up while it
 * only waits on a timer (the 5 s retry after a lock-delay refusal, the kill grace period). A
 * MessagePort with a listener is a ref'd handle that involves no timer.
 */
export class EventLoopHold {
  private readonly channel = new MessageChannel();
  private released = false;

  constructor() {
    this.channel.port1.on('message', () => undefined);
  }

  /** Lets the process exit once nothing else keeps it up; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.channel.port1.close();
    this.channel.port2.close();
  }
}
