/**
 * What the RPC layer needs of the stream plane of the Transport port: a request/response
 * exchange under one protocol id, and a handler for the requests that arrive under it.
 */
export interface RpcStreams {
  /** Installs the handler of `protocol`'s requests; returns the function that removes it. */
  handle(
    protocol: number,
    handlers: { onRequest?: (from: string, frame: Uint8Array, signal: AbortSignal) => Promise<Uint8Array> },
  ): () => void;
  /** Sends a request under `protocol` and resolves with the peer's response. */
  request(to: string, protocol: number, frame: Uint8Array, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array>;
}

/** The stream protocol id of RPC connections (Consul's pool.RPCConsul). */
export const RPC_PROTOCOL = 0;
