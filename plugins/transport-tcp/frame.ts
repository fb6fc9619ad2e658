/**
 * The transport-tcp wire format. Every frame is
 *
 *     uint32 BE length | uint8 kind | uint32 BE request id | payload
 *
 * where `length` counts everything after itself (kind + id + payload, so ≥ 5). The id
 * correlates a request with its response, error response or cancellation; it is 0 on hello and
 * message frames. Before its first frame a dialer writes one byte: the stream protocol the
 * connection carries (StreamProtocol; Consul's first-byte multiplexing of its server port). A hello (the first frame a dialer writes) carries the dialer's advertised address
 * in UTF-8; an error response carries the remote handler's error message in UTF-8.
 */

/** The kinds of frame. */
export const FrameKind = {
  /** First frame on an outbound connection: payload is the sender's advertised address. */
  Hello: 0,
  /** A one-way message. */
  Message: 1,
  /** A request expecting a Response or ErrorResponse with the same id. */
  Request: 2,
  /** A successful response to the request with the same id. */
  Response: 3,
  /** The remote handler rejected: payload is its error message. */
  ErrorResponse: 4,
  /** The requester gave up on the request with the same id (no payload): its handler's signal aborts. */
  Cancel: 5,
} as const;

export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** One decoded frame. */
export interface Frame {
  readonly kind: FrameKind;
  readonly id: number;
  readonly payload: Uint8Array;
}

/** Bytes before the payload: length (4) + kind (1) + id (4). */
export const FRAME_HEADER_BYTES = 9;

/** Default largest payload a frame may carry (64 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Largest hello payload (an advertised `host:port`) a receiver accepts. */
export const MAX_HELLO_BYTES = 1024;

/** True when `k` is a known frame kind. */
export function isFrameKind(k: number): k is FrameKind {
  return k >= FrameKind.Hello && k <= FrameKind.Cancel;
}

/**
 * Encodes one frame into a fresh buffer (the payload is copied, so the caller may reuse its
 * array as soon as this returns).
 */
export function encodeFrame(kind: FrameKind, id: number, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.byteLength);
  buf.writeUInt32BE(5 + payload.byteLength, 0);
  buf.writeUInt8(kind, 4);
  buf.writeUInt32BE(id >>> 0, 5);
  buf.set(payload, FRAME_HEADER_BYTES);
  return buf;
}
