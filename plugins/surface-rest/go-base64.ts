const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const PAD = 0x3d; // '='
const isNewline = (b: number): boolean => b === 0x0a || b === 0x0d;

/**
 * Go's base64.StdEncoding.DecodeString, which Consul uses for KV values in JSON bodies (and
 * encoding/json for []byte): the standard alphabet only, padding required, `\r` and `\n`
 * ignored, nothing after the padding; non-zero trailing bits are accepted (StdEncoding is not
 * Strict). Node's Buffer.from(s, 'base64') is far more lenient (URL-safe characters, missing
 * padding, spaces), so it must not be used for request bodies. Returns the bytes, or Go's
 * error text `illegal base64 data at input byte N` (N counted in the UTF-8 bytes of `s`).
 */
export function decodeGoBase64(s: string): Uint8Array | string {
  const src = Buffer.from(s, 'utf8');
  const out = new Uint8Array(Math.floor(src.length / 4) * 3 + 3);
  let n = 0;
  let si = 0;
  const corrupt = (at: number): string => `illegal base64 data at input byte ${at}`;
  // Go's decodeQuantum, one 4-character quantum at a time.
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let trailing: number | undefined;
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return out.slice(0, n);
        return corrupt(si - j);
      }
      const b = src[si]!;
      si++;
      const v = DECODE[b]!;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (isNewline(b)) {
        j--;
        continue;
      }
      if (b !== PAD) return corrupt(si - 1);
      // Padding: only after two or three characters of a quantum.
      if (j === 0 || j === 1) return corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si]!)) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== PAD) return corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si]!)) si++;
      if (si < src.length) trailing = si;
      dlen = j;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    for (let k = 0; k < dlen - 1; k++) out[n++] = bytes[k]!;
    if (trailing !== undefined) return corrupt(trailing);
    if (dlen < 4) return out.slice(0, n);
  }
}
