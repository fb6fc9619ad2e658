/**
 * The CONNECTION plane (raw byte streams, memberlist's TCP) on a MemoryNetwork: a dial reaches
 * the listener attached at the address unless the link is cut; bytes arrive in order on a later
 * clock turn (streams are reliable: the network's random drops do not apply, cuts break the
 * connection). Deterministic under a ManualClock.
 */
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { ConnectionTransport, RawConnection } from '../../contracts/ports/transport.js';
import type { MemoryNetwork } from './memory-network.js';

const registries = new WeakMap<MemoryNetwork, Map<string, MemoryConnectionTransport>>();

class MemoryConnection implements RawConnection {
  peer: MemoryConnection | undefined;
  private dataHandler: ((c: Uint8Array) => void) | undefined;
  private closeHandler: (() => void) | undefined;
  private closed = false;
  private readonly early: Uint8Array[] = [];

  constructor(
    private readonly network: MemoryNetwork,
    readonly localAddress: string,
    readonly remoteAddress: string,
    private readonly owner: Set<MemoryConnection>,
  ) {
    owner.add(this);
  }

  write(chunk: Uint8Array): void {
    if (this.closed || !this.peer) return;
    if (!this.network.connected(this.localAddress, this.remoteAddress)) {
      this.close();
      return;
    }
    const copy = chunk.slice();
    const peer = this.peer;
    this.network.later(() => peer.receive(copy), 1);
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.dataHandler) this.dataHandler(chunk);
    else this.early.push(chunk);
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.dataHandler = handler;
    for (const c of this.early.splice(0)) handler(c);
  }

  onClose(handler: () => void): void {
    this.closeHandler = handler;
  }

  close(): void {
    if (this.closed) return;
    // Bytes written before close still arrive (queued on the clock before the close below).
    this.closed = true;
    this.owner.delete(this);
    const peer = this.peer;
    if (peer) this.network.later(() => peer.remoteClosed(), 1);
    this.closeHandler?.();
  }

  private remoteClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.delete(this);
    this.closeHandler?.();
  }
}

/** A ConnectionTransport on a MemoryNetwork at `localAddress`. */
export class MemoryConnectionTransport implements ConnectionTransport {
  private handler: ((c: RawConnection) => void) | undefined;
  private readonly open = new Set<MemoryConnection>();
  private started = false;

  constructor(
    private readonly network: MemoryNetwork,
    readonly localAddress: string,
  ) {}

  private registry(): Map<string, MemoryConnectionTransport> {
    let r = registries.get(this.network);
    if (!r) registries.set(this.network, (r = new Map()));
    return r;
  }

  /** Attaches the listener; rejects with TRANSPORT_FAILED when the address is taken. */
  async start(): Promise<void> {
    if (this.started) return;
    const r = this.registry();
    if (r.has(this.localAddress)) throw new SextantError(ErrorCode.TransportFailed, `address ${this.localAddress} is already in use`);
    r.set(this.localAddress, this);
    this.started = true;
  }

  /** Installs the connection handler (see ConnectionTransport.listen). */
  listen(onConnection: (conn: RawConnection) => void): () => void {
    if (this.handler) throw new SextantError(ErrorCode.TransportFailed, `a connection handler is already installed at ${this.localAddress}`);
    this.handler = onConnection;
    return () => {
      if (this.handler === onConnection) this.handler = undefined;
    };
  }

  /** Connects to the listener at `to` after one clock turn; TRANSPORT_FAILED when none listens or the link is cut. */
  dial(to: string, _timeoutMs: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      this.network.later(() => {
        const target = this.registry().get(to);
        if (!this.started || !target || !target.handler || !this.network.connected(this.localAddress, to) || !this.network.connected(to, this.localAddress)) {
          reject(new SextantError(ErrorCode.TransportFailed, `dial ${to}: connection refused`));
          return;
        }
        const mine = new MemoryConnection(this.network, this.localAddress, to, this.open);
        const theirs = new MemoryConnection(this.network, to, this.localAddress, target.open);
        mine.peer = theirs;
        theirs.peer = mine;
        target.handler(theirs);
        resolve(mine);
      }, 1);
    });
  }

  /** Detaches and closes every open connection. */
  async close(): Promise<void> {
    if (this.registry().get(this.localAddress) === this) this.registry().delete(this.localAddress);
    this.started = false;
    this.handler = undefined;
    for (const c of [...this.open]) c.close();
  }
}
