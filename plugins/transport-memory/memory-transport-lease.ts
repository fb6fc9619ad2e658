import type { PacketHandler, PacketTransport, ProtocolHandlers, RequestOptions, StreamTransport } from '../../contracts/ports/transport.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { MemoryTransport } from './memory-transport.js';
import type { MemoryNetwork } from './memory-network.js';

/** One node's MemoryTransport and how many leases hold it open. */
interface Shared {
  readonly transport: MemoryTransport;
  users: number;
}

const byNetwork = new WeakMap<MemoryNetwork, Map<string, Shared>>();

/**
 * One user's hold on the node's MemoryTransport: the stream plane (Raft, RPC) and the packet
 * plane (gossip) are separate kernel ports, but on a memory network one node has one address for
 * both, as memberlist uses one host:port for UDP and TCP. Each port gets a lease; the transport
 * attaches with the first lease started and detaches when the last is closed. Closing a lease
 * also drops the handlers registered through it.
 */
export class MemoryTransportLease implements StreamTransport, PacketTransport {
  private readonly shared: Shared;
  private held = false;
  private released = false;
  private readonly unregister: (() => void)[] = [];

  constructor(
    private readonly network: MemoryNetwork,
    name: string,
  ) {
    let nodes = byNetwork.get(network);
    if (!nodes) byNetwork.set(network, (nodes = new Map()));
    let shared = nodes.get(name);
    if (!shared) nodes.set(name, (shared = { transport: new MemoryTransport(network, name), users: 0 }));
    this.shared = shared;
  }

  /** The node's address on the memory network (its node name). */
  get localAddress(): string {
    return this.shared.transport.localAddress;
  }

  /** See PacketTransport.maxPacketBytes. */
  get maxPacketBytes(): number {
    return this.shared.transport.maxPacketBytes;
  }

  /** Attaches the node's transport unless another lease already did. Idempotent. */
  async start(): Promise<void> {
    if (this.released) throw new SextantError(ErrorCode.Shutdown, 'transport is closed');
    if (this.held) return this.shared.transport.start();
    this.held = true;
    this.shared.users++;
    await this.shared.transport.start();
  }

  /** See StreamTransport.handle; the handlers are dropped when this lease closes. */
  handle(protocol: number, handlers: ProtocolHandlers): () => void {
    return this.track(this.shared.transport.handle(protocol, handlers));
  }

  /** See PacketTransport.onPacket; the handler is dropped when this lease closes. */
  onPacket(handler: PacketHandler): () => void {
    return this.track(this.shared.transport.onPacket(handler));
  }

  /** See StreamTransport.send (dropped once this lease is closed). */
  send(to: string, protocol: number, frame: Uint8Array): void {
    if (!this.released) this.shared.transport.send(to, protocol, frame);
  }

  /** See PacketTransport.sendPacket (dropped once this lease is closed). */
  sendPacket(to: string, packet: Uint8Array): void {
    if (!this.released) this.shared.transport.sendPacket(to, packet);
  }

  /** See StreamTransport.request (SHUTDOWN once this lease is closed). */
  request(to: string, protocol: number, frame: Uint8Array, opts: RequestOptions): Promise<Uint8Array> {
    if (this.released) return Promise.reject(new SextantError(ErrorCode.Shutdown, 'transport is closed'));
    return this.shared.transport.request(to, protocol, frame, opts);
  }

  /** Drops this lease's handlers; closes the node's transport when no other lease holds it. Idempotent. */
  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const off of this.unregister.splice(0)) off();
    if (!this.held) return;
    this.held = false;
    if (--this.shared.users > 0) return;
    byNetwork.get(this.network)?.delete(this.localAddress);
    await this.shared.transport.close();
  }

  private track(off: () => void): () => void {
    this.unregister.push(off);
    return () => {
      const i = this.unregister.indexOf(off);
      if (i >= 0) this.unregister.splice(i, 1);
      off();
    };
  }
}
