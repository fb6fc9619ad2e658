/**
 * memberlist's AES-GCM framing (security.go): [version byte][12-byte nonce][ciphertext+16-byte
 * tag]. Version 0 pads the plaintext with PKCS#7 to the AES block size before sealing (protocol
 * version 1 peers); version 1 (every later protocol) does not pad. `data` is the GCM additional
 * data: empty for packets, the 5-byte [encryptMsg][length] stream header for push/pull.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';

const VERSION_SIZE = 1;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const BLOCK_SIZE = 16;

/** memberlist's encryptionVersion: 0 (PKCS#7 padded, protocol 1) or 1 (unpadded). */
export type EncryptionVersion = 0 | 1;

/** The encryption version memberlist uses at `protocolVersion` (1 → 0, else 1). */
export function encryptionVersionFor(protocolVersion: number): EncryptionVersion {
  return protocolVersion === 1 ? 0 : 1;
}

/** The length of an encrypted frame of `plainLen` plaintext bytes (security.go encryptedLength). */
export function encryptedLength(vsn: EncryptionVersion, plainLen: number): number {
  if (vsn >= 1) return VERSION_SIZE + NONCE_SIZE + plainLen + TAG_SIZE;
  const padding = BLOCK_SIZE - (plainLen % BLOCK_SIZE);
  return VERSION_SIZE + NONCE_SIZE + plainLen + padding + TAG_SIZE;
}

/** Worst-case bytes encryption adds (security.go encryptOverhead). */
export function encryptOverhead(vsn: EncryptionVersion): number {
  return vsn === 0 ? 45 : 29;
}

function algorithm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new SextantError(ErrorCode.ConfigInvalid, `key size must be 16, 24 or 32 bytes (got ${key.length})`);
  }
}

/** Seals `msg` with `key` under a fresh `nonce` (12 bytes from the Random port) and additional data `data`. */
export function encryptPayload(vsn: EncryptionVersion, key: Uint8Array, nonce: Uint8Array, msg: Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (nonce.length !== NONCE_SIZE) throw new SextantError(ErrorCode.Internal, 'nonce must be 12 bytes');
  let plain = msg;
  if (vsn === 0) {
    const more = BLOCK_SIZE - (msg.length % BLOCK_SIZE);
    plain = new Uint8Array(msg.length + more);
    plain.set(msg);
    plain.fill(more, msg.length);
  }
  const c = createCipheriv(algorithm(key), key, nonce);
  if (data.length > 0) c.setAAD(data);
  const body = c.update(plain);
  c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(VERSION_SIZE + NONCE_SIZE + body.length + TAG_SIZE);
  out[0] = vsn;
  out.set(nonce, VERSION_SIZE);
  out.set(body, VERSION_SIZE + NONCE_SIZE);
  out.set(tag, VERSION_SIZE + NONCE_SIZE + body.length);
  return out;
}

function tryDecrypt(key: Uint8Array, msg: Uint8Array, data: Uint8Array): Uint8Array | undefined {
  try {
    const nonce = msg.subarray(VERSION_SIZE, VERSION_SIZE + NONCE_SIZE);
    const body = msg.subarray(VERSION_SIZE + NONCE_SIZE, msg.length - TAG_SIZE);
    const tag = msg.subarray(msg.length - TAG_SIZE);
    const d = createDecipheriv(algorithm(key), key, nonce);
    d.setAuthTag(tag);
    if (data.length > 0) d.setAAD(data);
    const a = d.update(body);
    d.final();
    return new Uint8Array(a);
  } catch {
    return undefined;
  }
}

/** Opens a frame with the first of `keys` that authenticates it. Throws TRANSPORT_FAILED (`No installed keys could decrypt the message`, …) otherwise. */
export function decryptPayload(keys: readonly Uint8Array[], msg: Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (msg.length === 0) throw new SextantError(ErrorCode.TransportFailed, 'Cannot decrypt empty payload', { reason: 'decrypt' });
  const vsn = msg[0]!;
  if (vsn > 1) throw new SextantError(ErrorCode.TransportFailed, `Unsupported encryption version ${vsn}`, { reason: 'decrypt' });
  if (msg.length < encryptedLength(vsn as EncryptionVersion, 0)) {
    throw new SextantError(ErrorCode.TransportFailed, `Payload is too small to decrypt: ${msg.length}`, { reason: 'decrypt' });
  }
  for (const key of keys) {
    const plain = tryDecrypt(key, msg, data);
    if (plain === undefined) continue;
    if (vsn === 0) {
      if (plain.length === 0) break;
      return plain.subarray(0, plain.length - plain[plain.length - 1]!);
    }
    return plain;
  }
  throw new SextantError(ErrorCode.TransportFailed, 'No installed keys could decrypt the message', { reason: 'decrypt' });
}
