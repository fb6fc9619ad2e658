/**
 * The stream plane's framing (net.go sendLocalState / rawSendMsgStream / readStream): a raw TCP
 * byte stream on the gossip port whose first byte is a memberlist message type. Push/pull is
 * [pushPullMsg]{header}{state}×Nodes[user state bytes]; a user message is
 * [userMsg]{UserMsgLen}[bytes]; the TCP fallback probe is [pingMsg]{ping} answered by
 * [ackRespMsg]{ack}. With compression the whole message is wrapped in a compress message; with
 * encryption it is sent as [encryptMsg][length u32 BE][AES-GCM frame] where the 5-byte header
 * is the GCM additional data.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import {
  type AckResp,
  type ErrResp,
  MessageType,
  type Ping,
  type PushNodeState,
  type PushPullHeader,
  readAck,
  readErr,
  readPing,
  readPushNodeState,
  readPushPullHeader,
  readUserMsgHeader,
  writeAck,
  writeErr,
  writePing,
  writePushNodeState,
  writePushPullHeader,
  writeUserMsgHeader,
} from './messages.js';
import { decodeMsgpack, MsgpackShortBuffer, MsgpackWriter, MsgStruct } from './msgpack.js';
import { compressMessage, decompressMessage, type SealOptions } from './packet-codec.js';
import { decryptPayload, encryptedLength, encryptPayload } from './security.js';

/** memberlist's maxPushStateBytes: a larger encrypted stream frame is refused. */
export const MAX_PUSH_STATE_BYTES = 20 * 1024 * 1024;

/** One message of the stream plane. */
export type StreamMessage =
  | { type: typeof MessageType.PushPull; header: PushPullHeader; states: PushNodeState[]; userState: Uint8Array | null }
  | { type: typeof MessageType.Ping; body: Ping }
  | { type: typeof MessageType.AckResp; body: AckResp }
  | { type: typeof MessageType.User; body: Uint8Array }
  | { type: typeof MessageType.Err; body: ErrResp };

/** Encodes a stream message in the clear (before compression/encryption). */
export function encodeStreamMessage(m: StreamMessage): Uint8Array {
  const w = new MsgpackWriter().byte(m.type);
  switch (m.type) {
    case MessageType.PushPull: {
      const user = m.userState;
      writePushPullHeader(w, { nodes: m.states.length, userStateLen: user ? user.length : 0, join: m.header.join });
      for (const s of m.states) writePushNodeState(w, s);
      if (user) w.rawBytes(user);
      return w.finish();
    }
    case MessageType.Ping:
      return writePing(w, m.body).finish();
    case MessageType.AckResp:
      return writeAck(w, m.body).finish();
    case MessageType.User:
      return writeUserMsgHeader(w, { userMsgLen: m.body.length }).rawBytes(m.body).finish();
    case MessageType.Err:
      return writeErr(w, m.body).finish();
  }
}

/** Frames a clear stream message for the wire: compress when asked (always, as rawSendMsgStream does), then encrypt with the primary key. */
export function sealStream(msg: Uint8Array, opts: SealOptions): Uint8Array {
  let out = opts.compress ? compressMessage(msg) : msg;
  const primary = opts.keyring?.primaryKey();
  if (primary && opts.verifyOutgoing !== false) {
    if (!opts.nonce) throw new SextantError(ErrorCode.Internal, 'sealStream: a nonce is required to encrypt');
    const vsn = opts.encryptionVersion ?? 1;
    const header = new Uint8Array(5);
    header[0] = MessageType.Encrypt;
    new DataView(header.buffer).setUint32(1, encryptedLength(vsn, out.length));
    const frame = encryptPayload(vsn, primary, opts.nonce, out, header);
    out = new Uint8Array(5 + frame.length);
    out.set(header);
    out.set(frame, 5);
  }
  return out;
}

function shortOr<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof MsgpackShortBuffer) return undefined;
    throw e;
  }
}

/** Parses a clear message (type byte + body); undefined when `buf` does not yet hold all of it. */
function parseClear(buf: Uint8Array): { msg: StreamMessage; end: number } | undefined {
  if (buf.length < 1) return undefined;
  const type = buf[0]!;
  return shortOr(() => {
    let p = 1;
    const next = (what: string): MsgStruct => {
      const { value, end } = decodeMsgpack(buf, p);
      p = end;
      return MsgStruct.of(value, what);
    };
    switch (type) {
      case MessageType.PushPull: {
        const header = readPushPullHeader(next('pushPullHeader'));
        if (header.nodes < 0 || header.userStateLen < 0 || header.userStateLen > MAX_PUSH_STATE_BYTES) {
          throw new SextantError(ErrorCode.TransportFailed, 'push/pull header out of range', { reason: 'pushpull' });
        }
        const states: PushNodeState[] = [];
        for (let i = 0; i < header.nodes; i++) states.push(readPushNodeState(next('pushNodeState')));
        let userState: Uint8Array | null = null;
        if (header.userStateLen > 0) {
          if (p + header.userStateLen > buf.length) throw new MsgpackShortBuffer();
          userState = buf.slice(p, p + header.userStateLen);
          p += header.userStateLen;
        }
        return { msg: { type, header, states, userState }, end: p };
      }
      case MessageType.Ping:
        return { msg: { type, body: readPing(next('ping')) }, end: p };
      case MessageType.AckResp:
        return { msg: { type, body: readAck(next('ack')) }, end: p };
      case MessageType.Err:
        return { msg: { type, body: readErr(next('err')) }, end: p };
      case MessageType.User: {
        const h = readUserMsgHeader(next('userMsgHeader'));
        if (p + h.userMsgLen > buf.length) throw new MsgpackShortBuffer();
        const body = buf.slice(p, p + h.userMsgLen);
        return { msg: { type, body }, end: p + h.userMsgLen };
      }
      default:
        throw new SextantError(ErrorCode.TransportFailed, `memberlist: unexpected stream message type ${type}`, { reason: 'type', type });
    }
  });
}

/**
 * Reads one stream message from bytes as they arrive: `push` chunks, then `read()` returns the
 * message once complete (undefined before). Encrypted and compressed frames are opened with the
 * given security options. Throws TRANSPORT_FAILED on a malformed, undecryptable or (with a
 * keyring and verifyIncoming) unencrypted stream.
 */
export class StreamMessageReader {
  private buf = new Uint8Array(0);

  constructor(private readonly opts: SealOptions = {}) {}

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    const next = new Uint8Array(this.buf.length + chunk.length);
    next.set(this.buf);
    next.set(chunk, this.buf.length);
    this.buf = next;
  }

  /** The message, once all its bytes arrived; bytes after it stay buffered. */
  read(): StreamMessage | undefined {
    const buf = this.buf;
    if (buf.length < 1) return undefined;
    const keyed = !!this.opts.keyring && this.opts.keyring.getKeys().length > 0;
    let plain: Uint8Array;
    let consumed: number;
    if (buf[0] === MessageType.Encrypt) {
      if (!keyed) throw new SextantError(ErrorCode.TransportFailed, 'Remote state is encrypted and encryption is not configured', { reason: 'decrypt' });
      if (buf.length < 5) return undefined;
      const more = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
      if (more > MAX_PUSH_STATE_BYTES) throw new SextantError(ErrorCode.TooLarge, `Remote node state is larger than limit (${more})`);
      if (buf.length < 5 + more) return undefined;
      plain = decryptPayload(this.opts.keyring!.getKeys(), buf.subarray(5, 5 + more), buf.subarray(0, 5));
      consumed = 5 + more;
    } else {
      if (keyed && this.opts.verifyIncoming !== false) {
        throw new SextantError(ErrorCode.TransportFailed, 'Encryption is configured but remote state is not encrypted', { reason: 'decrypt' });
      }
      plain = buf;
      consumed = -1;
    }
    if (plain[0] === MessageType.Compress) {
      const r = shortOr(() => decodeMsgpack(plain, 1));
      if (!r) {
        if (consumed >= 0) throw new SextantError(ErrorCode.TransportFailed, 'truncated compressed stream message', { reason: 'compress' });
        return undefined;
      }
      const inner = decompressMessage(plain.subarray(1, r.end));
      const parsed = parseClear(inner);
      if (!parsed) throw new SextantError(ErrorCode.TransportFailed, 'truncated compressed stream message', { reason: 'compress' });
      this.buf = buf.slice(consumed >= 0 ? consumed : r.end);
      return parsed.msg;
    }
    const parsed = parseClear(plain);
    if (!parsed) {
      if (consumed >= 0) throw new SextantError(ErrorCode.TransportFailed, 'truncated encrypted stream message', { reason: 'decrypt' });
      return undefined;
    }
    this.buf = buf.slice(consumed >= 0 ? consumed : parsed.end);
    return parsed.msg;
  }
}
