/**
 * Transport port: moves opaque frames between agents, on two planes as memberlist's Transport
 * has them:
 * - the STREAM plane (StreamTransport; TCP): reliable, ordered connections. Several protocols
 *   share one listener: the first byte a dialer writes selects the protocol (Consul's
 *   pool.RPCType values: RPC, Raft, later gossip push/pull), and each protocol has its own
 *   registered handlers. On a protocol's connections go one-way messages (`send`, used by Raft,
 *   whose protocol tolerates loss) and request/response exchanges (`request`, used by RPC);
 * - the PACKET plane (PacketTransport; UDP): best-effort datagrams (gossip probes and
 *   broadcasts), memberlist's WriteTo / PacketCh.
 * Frames are opaque bytes; the transport never inspects them. Addresses are `host:port`
 * strings (or any string a given adapter understands, e.g. node names for transport-memory).
 */

/** Stream protocols: the first byte of a stream connection selects its handlers (Consul's pool.RPCType values). Append-only. */
export const StreamProtocol = { Rpc: 0, Raft: 1, Gossip: 6 } as const;

/** Handles an incoming one-way message. Must not throw; errors are the handler's to log. */
export type MessageHandler = (from: string, frame: Uint8Array) => void;

/**
 * Handles an incoming request and resolves with the response frame. A rejection is sent back
 * to the caller as a TRANSPORT_FAILED error carrying the message. `signal` aborts when the
 * caller cancelled the request or the connection or transport closed: stop working then.
 */
export type RequestHandler = (from: string, frame: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>;

/** What one stream protocol handles. */
export interface ProtocolHandlers {
  onMessage?: MessageHandler;
  onRequest?: RequestHandler;
}

/** Options of one request. */
export interface RequestOptions {
  /** The request rejects with TIMEOUT when no response came within this many ms. */
  timeoutMs: number;
  /** Aborting it rejects the request (TRANSPORT_FAILED `request cancelled`) and aborts the remote handler's signal. */
  signal?: AbortSignal;
}

/** The stream plane: reliable, ordered connections carrying several protocols (Raft, RPC, later gossip push/pull). */
export interface StreamTransport {
  /** The address peers use to reach this transport. Valid after `start()` resolves. */
  readonly localAddress: string;
  /** Binds the listener. Resolves once frames can be received; rejects if the address is taken. */
  start(): Promise<void>;
  /**
   * Registers the handlers of `protocol` (0–255); throws TRANSPORT_FAILED when that protocol
   * already has handlers. Returns the function that unregisters them. A message for a protocol
   * without handlers is dropped; a request is rejected with TRANSPORT_FAILED
   * `no handler for protocol N at <address>`.
   */
  handle(protocol: number, handlers: ProtocolHandlers): () => void;
  /**
   * Sends a one-way message under `protocol`. Never throws and never blocks: an unreachable
   * peer or a full buffer drops the frame (the caller's protocol must tolerate loss). The caller
   * keeps ownership of `frame`; the transport copies it if it needs to keep it past this call.
   */
  send(to: string, protocol: number, frame: Uint8Array): void;
  /**
   * Sends a request under `protocol` and resolves with the peer's response. Rejects with
   * TRANSPORT_FAILED on connection failure, a remote handler error (its message) or
   * cancellation through `opts.signal` (`request cancelled`); TIMEOUT after `opts.timeoutMs`;
   * SHUTDOWN once closed; TOO_LARGE for a frame above the adapter's limit.
   */
  request(to: string, protocol: number, frame: Uint8Array, opts: RequestOptions): Promise<Uint8Array>;
  /** Stops listening and drops open connections. Pending requests reject with SHUTDOWN. Idempotent. */
  close(): Promise<void>;
}

/** Handles one incoming packet. Must not throw. */
export type PacketHandler = (from: string, packet: Uint8Array) => void;

/** The packet plane: best-effort datagrams (gossip probes and broadcasts). */
export interface PacketTransport {
  /** The address peers send packets to. Valid after `start()` resolves. */
  readonly localAddress: string;
  /** Largest packet `sendPacket` accepts; bigger ones are dropped. */
  readonly maxPacketBytes: number;
  /** Binds the socket. Resolves once packets can be received; rejects if the address is taken. */
  start(): Promise<void>;
  /** Installs THE packet handler; throws TRANSPORT_FAILED when one is installed. Returns the function that uninstalls it. */
  onPacket(handler: PacketHandler): () => void;
  /** Sends one packet. Never throws and never blocks: an unreachable peer, an oversize packet or a full buffer drops it. */
  sendPacket(to: string, packet: Uint8Array): void;
  /** Closes the socket; nothing is delivered afterwards. Idempotent. */
  close(): Promise<void>;
}

/**
 * One raw, reliable byte-stream connection of the CONNECTION plane (memberlist's TCP streams:
 * push/pull, the fallback ping, user messages). Unlike StreamTransport there is no framing
 * and no protocol byte added: the bytes written are the bytes the peer reads, so a HashiCorp
 * memberlist peer can be on the other end.
 */
export interface RawConnection {
  /** The peer's address (`host:port`, or what the adapter understands). */
  readonly remoteAddress: string;
  /** Queues bytes for the peer. Never throws; after close or a broken connection the bytes are lost. */
  write(chunk: Uint8Array): void;
  /** Installs the handler of received bytes (one handler; chunks arrive in order). */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Installs the handler called once when the connection ends (either side closed it or it broke). */
  onClose(handler: () => void): void;
  /** Closes the connection (flushing queued bytes where the adapter can). Idempotent. */
  close(): void;
}

/** The connection plane: raw TCP-like connections on the gossip port (memberlist's StreamCh / DialTimeout). */
export interface ConnectionTransport {
  /** The address peers dial. Valid after `start()` resolves. */
  readonly localAddress: string;
  /** Binds the listener; rejects with TRANSPORT_FAILED when the address is taken. */
  start(): Promise<void>;
  /** Installs THE handler of incoming connections; throws TRANSPORT_FAILED when one is installed. Returns the function that uninstalls it. */
  listen(onConnection: (conn: RawConnection) => void): () => void;
  /** Opens a connection to `to`; rejects with TRANSPORT_FAILED (refused/unreachable) or TIMEOUT after `timeoutMs`. */
  dial(to: string, timeoutMs: number): Promise<RawConnection>;
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}
