/**
 * The gossip keyring file, `data_dir/serf/local.keyring`, as Consul and serf keep it: a JSON
 * array of base64 (standard, padded) AES keys of 16, 24 or 32 bytes, the primary key first.
 * serf rewrites it after every keyring change (serf.go writeKeyringFile: indented JSON, mode
 * 0600); Consul creates it from `encrypt` on first start (agent/keyring.go initKeyring) and, once
 * it exists, it wins over `encrypt` (setupBaseKeyrings).
 *
 * Error texts are Consul's: Go's base64 errors (`illegal base64 data at input byte N`),
 * memberlist's `key size must be 16, 24 or 32 bytes`, `no keys present in keyring: <path>`,
 * wrapped in the agent's `Failed to configure keyring: `.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Logger, Random } from '../../../contracts/platform.js';
import { writeFileDurably } from '../../platform/durable-file.js';
import { Keyring } from '../memberlist/keyring.js';

const CONFIGURE = 'Failed to configure keyring: ';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE_MAP = new Int16Array(256).fill(-1);
for (let i = 0; i < B64.length; i++) DECODE_MAP[B64.charCodeAt(i)] = i;
const CR = 0x0d;
const LF = 0x0a;
const PAD = 0x3d;

/**
 * Where Go's base64.StdEncoding.DecodeString would fail on `src` (its CorruptInputError offset,
 * in bytes of the UTF-8 text), or undefined when it decodes. Like Go, CR and LF are skipped and
 * padding is required.
 */
function goBase64ErrorOffset(src: Uint8Array): number | undefined {
  let si = 0;
  while (si < src.length) {
    // encoding/base64 decodeQuantum
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return undefined;
        return si - j; // j == 1, or padding required
      }
      const c = src[si]!;
      si++;
      if (DECODE_MAP[c]! >= 0) continue;
      if (c === LF || c === CR) {
        j--;
        continue;
      }
      if (c !== PAD) return si - 1;
      if (j === 0 || j === 1) return si - 1; // incorrect padding
      if (j === 2) {
        while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
        if (si === src.length) return src.length; // not enough padding
        if (src[si] !== PAD) return si - 1; // incorrect padding
        si++;
      }
      while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
      if (si < src.length) return si; // trailing garbage
      return undefined;
    }
  }
  return undefined;
}

/**
 * Decodes standard padded base64 exactly as Go's base64.StdEncoding.DecodeString accepts it.
 * Throws CONFIG_INVALID `illegal base64 data at input byte N` (Go's text) otherwise.
 */
export function decodeStdBase64(b64: string): Uint8Array {
  const bytes = Buffer.from(b64, 'utf8');
  const at = goBase64ErrorOffset(bytes);
  if (at !== undefined) throw new SextantError(ErrorCode.ConfigInvalid, `illegal base64 data at input byte ${at}`, { offset: at });
  return new Uint8Array(Buffer.from(b64.replace(/[\r\n]/g, ''), 'base64'));
}

/** memberlist's ValidateKey text. */
const KEY_SIZE_MESSAGE = 'key size must be 16, 24 or 32 bytes';

function decodeKey(b64: string): Uint8Array {
  const key = decodeStdBase64(b64);
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new SextantError(ErrorCode.ConfigInvalid, KEY_SIZE_MESSAGE, { size: key.length });
  return key;
}

/**
 * Decodes a gossip key (Consul's `encrypt`, `consul keygen`, `keyring -install`): standard base64
 * of 16, 24 or 32 bytes (AES-128/192/256). Throws CONFIG_INVALID with Consul's initKeyring text:
 * `Invalid key: illegal base64 data at input byte N` or `Invalid key: key size must be 16, 24 or
 * 32 bytes`.
 */
export function decodeGossipKey(b64: string): Uint8Array {
  try {
    return decodeKey(b64);
  } catch (e) {
    throw new SextantError(ErrorCode.ConfigInvalid, `Invalid key: ${errText(e)}`, { key: 'encrypt' }, { cause: e });
  }
}

/** A gossip key as the keyring file and the keyring endpoints show it (standard padded base64). */
export function encodeGossipKey(key: Uint8Array): string {
  return Buffer.from(key).toString('base64');
}

/** The JSON kind Go names in `json: cannot unmarshal <kind> into Go value of type ...`. */
function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // object, string, number
}

/**
 * Reads a keyring file: the base64 keys it lists, primary first, each checked to decode to a key
 * of a valid size. Resolves undefined when the file does not exist. Rejects with CONFIG_INVALID
 * and Consul's text (`Failed to configure keyring: ...`) for a file that is not a JSON array of
 * strings, an empty one (`no keys present in keyring: <path>`), or a bad key; with
 * STORAGE_FAILED when it cannot be read.
 */
export async function readKeyringFile(path: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SextantError(ErrorCode.StorageFailed, `${CONFIGURE}failed to read keyring file ${path}: ${errText(e)}`, { path }, { cause: e });
  }
  const invalid = (msg: string, cause?: unknown): SextantError =>
    new SextantError(ErrorCode.ConfigInvalid, `${CONFIGURE}${msg}`, { path }, cause === undefined ? undefined : { cause });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalid(`invalid keyring file ${path}: ${errText(e)}`, e);
  }
  // Go unmarshals JSON null into a nil slice: an empty keyring.
  const list: unknown[] = parsed === null ? [] : Array.isArray(parsed) ? parsed : [];
  if (parsed !== null && !Array.isArray(parsed)) throw invalid(`json: cannot unmarshal ${goJsonKind(parsed)} into Go value of type []string`);
  const keys: string[] = [];
  for (const k of list) {
    if (typeof k !== 'string') throw invalid(`json: cannot unmarshal ${k === null ? 'null' : goJsonKind(k)} into Go value of type string`);
    keys.push(k);
  }
  if (keys.length === 0) throw invalid(`no keys present in keyring: ${path}`);
  for (const k of keys) {
    try {
      decodeKey(k);
    } catch (e) {
      throw invalid(errText(e), e);
    }
  }
  return keys;
}


/**
 * Writes a keyring file as serf's writeKeyringFile does (the keys as an indented JSON array,
 * primary first, mode 0600), atomically and durably: a temp file next to it is written, fsync'd
 * and renamed over `path`; the parent directory is created 0700 when missing. Rejects with
 * STORAGE_FAILED (`Failed to write keyring file: ...`).
 */
export async function writeKeyringFile(path: string, keys: readonly string[], random: Random): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileDurably(path, JSON.stringify(keys, null, 2), random);
  } catch (e) {
    throw new SextantError(ErrorCode.StorageFailed, `Failed to write keyring file: ${path}: ${errText(e)}`, { path }, { cause: e });
  }
}

/** The gossip keys an agent starts with: every key (decrypting), the primary (encrypting) first. */
export interface InitialKeyring {
  readonly keys: Uint8Array[];
  readonly primary: Uint8Array;
}

/**
 * Consul's setupBaseKeyrings for the LAN pool. With no keyring file (`keyringPath` undefined:
 * `disable_keyring_file`, or no data dir) the keyring is `encrypt` alone, or none. Otherwise:
 * when `encrypt` is given and the file does not exist, the file is created holding it (initKeyring);
 * an existing file is loaded and wins — `encrypt` is not added to it, and when it is missing from
 * the file Consul's warning is logged (`keyring doesn't include key provided with -encrypt, using
 * keyring`, keyring=LAN). Resolves undefined when there is neither a key nor a file (no
 * encryption). Rejects with CONFIG_INVALID (Consul's `Failed to configure keyring: ...`) for a bad
 * key or file.
 */
export async function initialKeyring(opts: { encrypt: string; keyringPath: string | undefined; logger: Logger; random: Random }): Promise<InitialKeyring | undefined> {
  const { encrypt, keyringPath, logger } = opts;
  if (keyringPath === undefined) {
    if (encrypt === '') return undefined;
    let key: Uint8Array;
    try {
      key = decodeKey(encrypt);
    } catch (e) {
      throw new SextantError(ErrorCode.ConfigInvalid, `${CONFIGURE}${errText(e)}`, { key: 'encrypt' }, { cause: e });
    }
    return { keys: [key], primary: key };
  }

  let existing = false;
  if (encrypt !== '') {
    if ((await readKeyringFile(keyringPath)) === undefined) {
      // initKeyring: the key is checked only when it seeds a new file.
      let key: Uint8Array;
      try {
        key = decodeGossipKey(encrypt);
      } catch (e) {
        throw new SextantError(ErrorCode.ConfigInvalid, `${CONFIGURE}${errText(e)}`, { key: 'encrypt' }, { cause: e });
      }
      await writeKeyringFile(keyringPath, [encrypt], opts.random);
      logger.info('gossip keyring file created from encrypt', { path: keyringPath });
      return { keys: [key], primary: key };
    }
    existing = true;
  }

  const stored = await readKeyringFile(keyringPath);
  if (stored === undefined) return undefined;
  const keys: Uint8Array[] = [];
  for (const k of stored.map(decodeKey)) if (!keys.some((x) => sameKey(x, k))) keys.push(k);
  if (existing && keyringIsMissingKey(keys, encrypt)) {
    logger.warn("keyring doesn't include key provided with -encrypt, using keyring", { keyring: 'LAN' });
  }
  return { keys, primary: keys[0]! };
}

/** agent/keyring.go keyringIsMissingKey: a key that does not decode is missing. */
function keyringIsMissingKey(keys: readonly Uint8Array[], b64: string): boolean {
  let key: Uint8Array;
  try {
    key = decodeStdBase64(b64);
  } catch {
    return true;
  }
  return !keys.some((k) => sameKey(k, key));
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The memberlist Keyring holding `init`'s keys with its primary key primary. */
export function toMemberlistKeyring(init: InitialKeyring): Keyring {
  return new Keyring(init.primary, init.keys);
}

/** The keyring file's content for a memberlist Keyring (primary first), for {@link writeKeyringFile} after a keyring change. */
export function keyringFileKeys(keyring: Keyring): string[] {
  return keyring.getKeys().map(encodeGossipKey);
}
