/**
 * Validation of the gossip encryption key (`encrypt`, `-encrypt`) with Consul's texts: the
 * builder's `encrypt has invalid key: <Go's base64 error>` for a key Go's
 * base64.StdEncoding cannot decode, and memberlist's `key size must be 16, 24 or 32 bytes` (which
 * Consul reports when it sets up the keyring) for a key of another length, so `sextant validate`
 * catches both.
 */

const STD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The byte Go's decoder stops at: the first character outside the alphabet, else the start of the incomplete quantum. */
function firstBadByte(s: string): number {
  const m = /[^A-Za-z0-9+/=]/.exec(s);
  if (m) return Buffer.byteLength(s.slice(0, m.index), 'utf8');
  const pad = s.indexOf('=');
  if (pad >= 0 && pad < s.length - 2) return pad;
  return Math.floor(s.length / 4) * 4;
}

/** The key's bytes (base64 with padding, as Go's StdEncoding), or Go's error text. */
export function decodeGossipKey(key: string): Buffer | string {
  if (key.length % 4 !== 0 || !STD_BASE64.test(key)) return `illegal base64 data at input byte ${firstBadByte(key)}`;
  return Buffer.from(key, 'base64');
}

/** Consul's error for an `encrypt` value, or undefined when it is a usable AES key (16, 24 or 32 bytes). */
export function gossipKeyProblem(key: string): string | undefined {
  const bytes = decodeGossipKey(key);
  if (typeof bytes === 'string') return `encrypt has invalid key: ${bytes}`;
  if (bytes.length !== 16 && bytes.length !== 24 && bytes.length !== 32) return 'encrypt has invalid key: key size must be 16, 24 or 32 bytes';
  return undefined;
}
