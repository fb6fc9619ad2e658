import type { MessageHandler, RequestHandler, Transport } from '../../contracts/ports/transport.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { MemoryEndpoint, MemoryNetwork } from './memory-network.js';

/**
 * A Transport over a MemoryNetwork (tests and in-process clusters). `send` is best-effort and
 * subject to the network's partitions, drops and delays; `request` is delivered the same way
 * and fails with TIMEOUT when the request or its response is lost, TRANSPORT_FAILED when no
 * transport listens at the address or the remote handler rejects.
 */
export class MemoryTransport implements Transport, MemoryEndpoint {
  private messageHandler: MessageHandler | undefined;
  private requestHandler: RequestHandler | undefined;
  private started = false;
  private closed = false;
  private readonly pending = new Set<(e: Error) => void>();

  constructor(
    private readonly network: MemoryNetwork,
    /** The address this transport listens on. */
    readonly localAddress: string,
  ) {}

  /** Attaches to the network; rejects with TRANSPORT_FAILED when the address is taken. */
  async start(): Promise<void> {
    if (this.closed) throw new SextantError(ErrorCode.Shutdown, 'transport is closed');
    if (this.started) return;
    if (!this.network.attach(this.localAddress, this)) {
      throw new SextantError(ErrorCode.TransportFailed, `address ${this.localAddress} is already in use`);
    }
    this.started = true;
  }

  /** Installs the one-way message handler. */
  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  /** Installs the request handler. */
  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  /** Sends a copy of `frame`; silently lost when not started, cut, dropped or nobody listens. */
  send(to: string, frame: Uint8Array): void {
    if (!this.started || this.closed) return;
    const delay = this.network.route(this.localAddress, to);
    if (delay === undefined) return;
    const copy = frame.slice();
    const from = this.localAddress;
    this.network.later(() => {
      const ep = this.network.endpoint(to);
      if (!ep) return;
      this.network.stats.delivered++;
      ep.deliverMessage(from, copy);
    }, delay);
  }

  /** Sends a request and waits for the response (see class doc for the failure modes). */
  request(to: string, frame: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed || !this.started) return Promise.reject(new SextantError(ErrorCode.Shutdown, 'transport is closed'));
    const copy = frame.slice();
    const from = this.localAddress;
    return new Promise<Uint8Array>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        this.pending.delete(fail);
        timer.cancel();
        fn();
      };
      const fail = (e: Error): void => finish(() => reject(e));
      this.pending.add(fail);
      const timer = this.network.clock.setTimeout(
        () => fail(new SextantError(ErrorCode.Timeout, `request to ${to} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const there = this.network.route(from, to);
      if (there === undefined) return; // lost: the timeout answers
      this.network.later(() => {
        const ep = this.network.endpoint(to);
        if (!ep) {
          fail(new SextantError(ErrorCode.TransportFailed, `connection to ${to} refused`));
          return;
        }
        this.network.stats.delivered++;
        ep.deliverRequest(from, copy).then(
          (resp) => {
            const back = this.network.route(to, from);
            if (back === undefined) return;
            const respCopy = resp.slice();
            this.network.later(() => finish(() => resolve(respCopy)), back);
          },
          (err: unknown) => {
            const back = this.network.route(to, from);
            if (back === undefined) return;
            const msg = err instanceof Error ? err.message : String(err);
            this.network.later(() => fail(new SextantError(ErrorCode.TransportFailed, msg)), back);
          },
        );
      }, there);
    });
  }

  /** Detaches from the network; pending requests reject with SHUTDOWN. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.network.detach(this.localAddress, this);
    for (const fail of [...this.pending]) fail(new SextantError(ErrorCode.Shutdown, 'transport closed'));
  }

  /** Network side: a one-way frame arrived. */
  deliverMessage(from: string, frame: Uint8Array): void {
    if (this.closed) return;
    try {
      this.messageHandler?.(from, frame);
    } catch {
      // handlers must not throw; a throwing one loses only its own frame
    }
  }

  /** Network side: a request arrived. */
  deliverRequest(from: string, frame: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const h = this.requestHandler;
    if (!h) return Promise.reject(new Error(`no request handler at ${this.localAddress}`));
    try {
      return h(from, frame);
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
