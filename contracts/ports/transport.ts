/**
 * Transport port: moves opaque frames between agents. Two delivery kinds:
 * - messages (`send`): one-way, may be dropped, delayed or reordered; used by Raft (whose
 *   protocol tolerates loss) and gossip;
 * - requests (`request`): reliable request/response for forwarding RPCs to servers.
 * Frames are opaque bytes; the transport never inspects them. Addresses are `host:port`
 * strings (or any string a given adapter understands, e.g. node ids for transport-memory).
 */

/** Handles an incoming one-way message. Must not throw; errors are the handler's to log. */
export type MessageHandler = (from: string, frame: Uint8Array) => void;

/** Handles an incoming request and resolves with the response frame. A rejection is sent
 * back to the caller as a TRANSPORT_FAILED error carrying the message. */
export type RequestHandler = (from: string, frame: Uint8Array) => Promise<Uint8Array>;

export interface Transport {
  /** The address peers use to reach this transport. Valid after `start()` resolves. */
  readonly localAddress: string;
  /** Binds the listener. Resolves once frames can be received; rejects if the address is taken. */
  start(): Promise<void>;
  /** Installs the handler for one-way messages (replaces any previous one). */
  onMessage(handler: MessageHandler): void;
  /** Installs the handler for requests (replaces any previous one). */
  onRequest(handler: RequestHandler): void;
  /**
   * Sends a one-way message. Never throws and never blocks: an unreachable peer or a full
   * buffer drops the frame (the caller's protocol must tolerate loss). The caller keeps
   * ownership of `frame`; the transport copies it if it needs to keep it past this call.
   */
  send(to: string, frame: Uint8Array): void;
  /** Sends a request and resolves with the peer's response. Rejects with TRANSPORT_FAILED on
   * connection failure or a remote handler error, TIMEOUT after `timeoutMs`. */
  request(to: string, frame: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Stops listening and drops open connections. Pending requests reject with SHUTDOWN. Idempotent. */
  close(): Promise<void>;
}
