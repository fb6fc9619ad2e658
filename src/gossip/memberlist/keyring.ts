/**
 * memberlist's Keyring (keyring.go): AES keys of 16, 24 or 32 bytes; the primary key encrypts,
 * every installed key is tried to decrypt (primary first).
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';

function checkKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new SextantError(ErrorCode.ConfigInvalid, `key size must be 16, 24 or 32 bytes (got ${key.length})`);
  }
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The gossip keyring: primary key first, then the secondaries. */
export class Keyring {
  private keys: Uint8Array[] = [];

  /** A keyring holding `primary` (if given) then `secondaries`. Throws CONFIG_INVALID on a key of a bad size. */
  constructor(primary?: Uint8Array, secondaries: Uint8Array[] = []) {
    if (primary) this.addKey(primary);
    for (const k of secondaries) this.addKey(k);
    if (primary) this.useKey(primary);
  }

  /** A keyring from base64 keys (Consul's `encrypt` / `consul keygen` form), the first being primary. */
  static fromBase64(primary: string, secondaries: string[] = []): Keyring {
    const dec = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
    return new Keyring(dec(primary), secondaries.map(dec));
  }

  /** Installs `key` (no-op when present); the first key installed becomes primary. */
  addKey(key: Uint8Array): void {
    checkKey(key);
    if (this.keys.some((k) => sameKey(k, key))) return;
    this.keys.push(key.slice());
  }

  /** Makes an installed `key` primary. Throws NOT_FOUND when it is not installed. */
  useKey(key: Uint8Array): void {
    const i = this.keys.findIndex((k) => sameKey(k, key));
    if (i < 0) throw new SextantError(ErrorCode.NotFound, 'Requested key is not in the keyring');
    const [k] = this.keys.splice(i, 1);
    this.keys.unshift(k!);
  }

  /** Removes a secondary `key`. Throws BAD_REQUEST when it is the primary key. */
  removeKey(key: Uint8Array): void {
    if (this.keys[0] && sameKey(this.keys[0], key)) throw new SextantError(ErrorCode.BadRequest, 'Removing the primary key is not allowed');
    this.keys = this.keys.filter((k) => !sameKey(k, key));
  }

  /** The primary key (encrypts), or undefined for an empty keyring. */
  primaryKey(): Uint8Array | undefined {
    return this.keys[0];
  }

  /** Every installed key, primary first (all are tried to decrypt). */
  getKeys(): readonly Uint8Array[] {
    return this.keys;
  }
}
