/**
 * The packet plane's framing as memberlist's rawSendMsgPacket / ingestPacket do it:
 * outgoing: message → (optional LZW compress message, kept only when smaller) → (hasCrc header
 * [12][crc32 u32 BE] when the peer speaks protocol ≥ 5) → (AES-GCM with the primary key when a
 * keyring is set); incoming: the reverse, then compound and compress messages are unwrapped
 * recursively into single messages.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { decodeCompoundMessage } from './compound.js';
import { crc32Ieee } from './crc32.js';
import type { Keyring } from './keyring.js';
import { lzwCompress, lzwDecompress } from './lzw.js';
import { decodeMessage, LZW_ALGO, type Message, MessageType, readCompress, writeCompress } from './messages.js';
import { decodeMsgpack, MsgpackWriter, MsgStruct } from './msgpack.js';
import { decryptPayload, type EncryptionVersion, encryptPayload } from './security.js';

/** How packets are sealed and opened. */
export interface PacketSecurity {
  /** Keys to encrypt (primary) and decrypt with; no keyring: plaintext. */
  keyring?: Keyring;
  /** memberlist's GossipVerifyIncoming (default true): drop packets that do not decrypt instead of reading them as plaintext. */
  verifyIncoming?: boolean;
  /** memberlist's GossipVerifyOutgoing (default true): encrypt what we send. */
  verifyOutgoing?: boolean;
  /** The encryption version (1 unless protocol version 1 is in use). */
  encryptionVersion?: EncryptionVersion;
}

/** Wraps a message (or compound) in memberlist's compress message: [compressMsg]{Algo, Buf}. */
export function compressMessage(msg: Uint8Array): Uint8Array {
  const w = new MsgpackWriter().byte(MessageType.Compress);
  return writeCompress(w, { algo: LZW_ALGO, buf: lzwCompress(msg) }).finish();
}

/** Unwraps a compress message body (after its type byte) into the original message. */
export function decompressMessage(body: Uint8Array): Uint8Array {
  const c = readCompress(MsgStruct.of(decodeMsgpack(body).value, 'compress'));
  if (c.algo !== LZW_ALGO) throw new SextantError(ErrorCode.TransportFailed, `Cannot decompress unknown algorithm ${c.algo}`, { reason: 'compress' });
  return lzwDecompress(c.buf ?? new Uint8Array(0));
}

/** Options of one outgoing packet. */
export interface SealOptions extends PacketSecurity {
  /** Compress (memberlist's EnableCompression) when that makes the packet smaller. */
  compress?: boolean;
  /** Add the CRC header: the receiving node speaks protocol ≥ 5 (its PMax). */
  crc?: boolean;
  /** 12 random bytes for the AES-GCM nonce (from the Random port); required when encrypting. */
  nonce?: Uint8Array;
}

/** Frames one outgoing packet (a single message or a compound). */
export function sealPacket(msg: Uint8Array, opts: SealOptions): Uint8Array {
  let out = msg;
  if (opts.compress) {
    const c = compressMessage(out);
    if (c.length < out.length) out = c;
  }
  if (opts.crc) {
    const framed = new Uint8Array(5 + out.length);
    framed[0] = MessageType.HasCrc;
    new DataView(framed.buffer).setUint32(1, crc32Ieee(out));
    framed.set(out, 5);
    out = framed;
  }
  const primary = opts.keyring?.primaryKey();
  if (primary && opts.verifyOutgoing !== false) {
    if (!opts.nonce) throw new SextantError(ErrorCode.Internal, 'sealPacket: a nonce is required to encrypt');
    out = encryptPayload(opts.encryptionVersion ?? 1, primary, opts.nonce, out);
  }
  return out;
}

/** What one incoming packet held. */
export interface OpenedPacket {
  /** The single messages, compounds and compression unwrapped, in order. */
  messages: Message[];
  /** Parts dropped: truncated compound parts or undecodable messages (memberlist logs and skips them). */
  dropped: number;
}

function unwrap(buf: Uint8Array, out: OpenedPacket, depth: number): void {
  if (buf.length < 1) {
    out.dropped++;
    return;
  }
  if (depth > 4) throw new SextantError(ErrorCode.TransportFailed, 'memberlist: messages nested too deep', { reason: 'nesting' });
  const type = buf[0]!;
  if (type === MessageType.Compound) {
    const { parts, truncated } = decodeCompoundMessage(buf.subarray(1));
    out.dropped += truncated;
    for (const p of parts) unwrap(p, out, depth + 1);
    return;
  }
  if (type === MessageType.Compress) {
    unwrap(decompressMessage(buf.subarray(1)), out, depth + 1);
    return;
  }
  try {
    out.messages.push(decodeMessage(buf));
  } catch {
    out.dropped++;
  }
}

/**
 * Opens one incoming packet: decrypts (when a keyring is set), checks the CRC, unwraps compound
 * and compressed messages. Throws TRANSPORT_FAILED when it cannot be decrypted (and
 * verifyIncoming holds), the CRC does not match, or the framing is malformed.
 */
export function openPacket(packet: Uint8Array, opts: PacketSecurity = {}): OpenedPacket {
  let buf = packet;
  if (opts.keyring && opts.keyring.getKeys().length > 0) {
    try {
      buf = decryptPayload(opts.keyring.getKeys(), packet);
    } catch (e) {
      if (opts.verifyIncoming !== false) throw e;
    }
  }
  if (buf.length >= 5 && buf[0] === MessageType.HasCrc) {
    const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
    const body = buf.subarray(5);
    if (crc32Ieee(body) !== expected) throw new SextantError(ErrorCode.TransportFailed, 'memberlist: CRC mismatch', { reason: 'crc' });
    buf = body;
  }
  const out: OpenedPacket = { messages: [], dropped: 0 };
  unwrap(buf, out, 0);
  return out;
}
