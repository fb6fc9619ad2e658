import type { PacketHandler, PacketTransport, ProtocolHandlers, RequestOptions, StreamTransport } from '../../contracts/ports/transport.js';
import { registerProtocol } from '../../contracts/ports/stream-protocols.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { MemoryEndpoint, MemoryNetwork } from './memory-network.js';

/** The largest packet a MemoryTransport carries (UDP's IPv4 payload limit). */
const MAX_PACKET_BYTES = 65_507;

/**
 * Both planes of the Transport port over a MemoryNetwork (tests and in-process clusters). A
 * message, a packet, a request and its response each travel subject to the network's
 * partitions, drops and delays; a lost request or response fails with TIMEOUT, a request to an
 * address nobody listens on or whose protocol has no handler with TRANSPORT_FAILED, like the
 * remote handler's rejection.
 */
export class MemoryTransport implements StreamTransport, PacketTransport, MemoryEndpoint {
  readonly maxPacketBytes = MAX_PACKET_BYTES;
  private readonly handlers = new Map<number, ProtocolHandlers>();
  private packetHandler: PacketHandler | undefined;
  private started = false;
  private closed = false;
  private readonly pending = new Set<(e: Error) => void>();
  /** Requests this transport is serving: aborted when it closes. */
  private readonly serving = new Set<AbortController>();

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

  /** Registers `protocol`'s handlers (see StreamTransport.handle). */
  handle(protocol: number, handlers: ProtocolHandlers): () => void {
    return registerProtocol(this.handlers, protocol, handlers);
  }

  /** Installs the packet handler (see PacketTransport.onPacket). */
  onPacket(handler: PacketHandler): () => void {
    if (this.packetHandler) throw new SextantError(ErrorCode.TransportFailed, `a packet handler is already installed at ${this.localAddress}`);
    this.packetHandler = handler;
    return () => {
      if (this.packetHandler === handler) this.packetHandler = undefined;
    };
  }

  /** Sends a copy of `frame`; silently lost when not started, cut, dropped or nobody listens. */
  send(to: string, protocol: number, frame: Uint8Array): void {
    this.travel(to, frame, (ep, from, copy) => ep.deliverMessage(protocol, from, copy));
  }

  /** Sends a copy of `packet`; silently lost like a message, and when above maxPacketBytes. */
  sendPacket(to: string, packet: Uint8Array): void {
    if (packet.byteLength > this.maxPacketBytes) return;
    this.travel(to, packet, (ep, from, copy) => ep.deliverPacket(from, copy));
  }

  /** Sends a request and waits for the response (see class doc for the failure modes). */
  request(to: string, protocol: number, frame: Uint8Array, opts: RequestOptions): Promise<Uint8Array> {
    if (this.closed || !this.started) return Promise.reject(new SextantError(ErrorCode.Shutdown, 'transport is closed'));
    const { timeoutMs, signal } = opts;
    if (signal?.aborted) return Promise.reject(new SextantError(ErrorCode.TransportFailed, 'request cancelled'));
    const copy = frame.slice();
    const from = this.localAddress;
    const remote = new AbortController();
    return new Promise<Uint8Array>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        this.pending.delete(fail);
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const fail = (e: Error): void => finish(() => reject(e));
      const onAbort = (): void => {
        remote.abort(new SextantError(ErrorCode.TransportFailed, 'request cancelled'));
        fail(new SextantError(ErrorCode.TransportFailed, 'request cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(fail);
      const timer = this.network.clock.setTimeout(
        () => fail(new SextantError(ErrorCode.Timeout, `request to ${to} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const there = this.network.route(from, to);
      if (there === undefined) return; // lost: the timeout answers
      this.network.later(() => {
        if (done) return;
        const ep = this.network.endpoint(to);
        if (!ep) {
          fail(new SextantError(ErrorCode.TransportFailed, `connection to ${to} refused`));
          return;
        }
        this.network.stats.delivered++;
        ep.deliverRequest(protocol, from, copy, remote.signal).then(
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

  /** Detaches from the network; pending requests reject with SHUTDOWN, served ones see their signal abort. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.network.detach(this.localAddress, this);
    for (const fail of [...this.pending]) fail(new SextantError(ErrorCode.Shutdown, 'transport closed'));
    for (const ac of this.serving) ac.abort(new SextantError(ErrorCode.Shutdown, 'transport closed'));
    this.serving.clear();
  }

  /** Network side: a one-way frame arrived. */
  deliverMessage(protocol: number, from: string, frame: Uint8Array): void {
    if (this.closed) return;
    try {
      this.handlers.get(protocol)?.onMessage?.(from, frame);
    } catch {
      // handlers must not throw; a throwing one loses only its own frame
    }
  }

  /** Network side: a packet arrived. */
  deliverPacket(from: string, packet: Uint8Array): void {
    if (this.closed) return;
    try {
      this.packetHandler?.(from, packet);
    } catch {
      // handlers must not throw; a throwing one loses only its own packet
    }
  }

  /** Network side: a request arrived. */
  deliverRequest(protocol: number, from: string, frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const h = this.handlers.get(protocol)?.onRequest;
    if (!h) return Promise.reject(new Error(`no handler for protocol ${protocol} at ${this.localAddress}`));
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.serving.add(ac);
    const done = (): void => {
      this.serving.delete(ac);
      signal.removeEventListener('abort', onAbort);
    };
    try {
      const p = h(from, frame, ac.signal);
      p.then(done, done);
      return p;
    } catch (e) {
      done();
      return Promise.reject(e);
    }
  }

  /** Sends a copy of `bytes` to `to`'s endpoint through the network (lost when not started, cut, dropped or nobody listens). */
  private travel(to: string, bytes: Uint8Array, deliver: (ep: MemoryEndpoint, from: string, copy: Uint8Array) => void): void {
    if (!this.started || this.closed) return;
    const delay = this.network.route(this.localAddress, to);
    if (delay === undefined) return;
    const copy = bytes.slice();
    const from = this.localAddress;
    this.network.later(() => {
      const ep = this.network.endpoint(to);
      if (!ep) return;
      this.network.stats.delivered++;
      deliver(ep, from, copy);
    }, delay);
  }
}
