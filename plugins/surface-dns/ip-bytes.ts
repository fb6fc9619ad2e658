import { isIP } from 'node:net';

/** An IP address as the bytes of an A (4) or AAAA (16) record. */
export interface IpBytes {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** The wire bytes of an IPv4 or IPv6 address in text form, or undefined when `s` is not one (e.g. a hostname). */
export function ipBytes(s: string): IpBytes | undefined {
  const kind = isIP(s);
  if (kind === 4) return { family: 4, bytes: Uint8Array.from(s.split('.').map(Number)) };
  if (kind !== 6) return undefined;
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tailV4: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tailV4 = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tailV4.length === 4) out.set(tailV4, 12);
  return { family: 6, bytes: out };
}

/** The text form of A/AAAA bytes (IPv6 in full, lower-case hex groups, no compression). */
export function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** Lower-case hex of the bytes (Consul's `<hex>.addr` label). */
export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** The bytes of an `<hex>.addr` label: 8 hex digits (IPv4) or 32 (IPv6); undefined otherwise. */
export function bytesOfHex(label: string): Uint8Array | undefined {
  if ((label.length !== 8 && label.length !== 32) || !/^[0-9a-f]+$/.test(label)) return undefined;
  return Uint8Array.from(Buffer.from(label, 'hex'));
}

/**
 * The address a reverse-lookup name stands for: `d.c.b.a.in-addr.arpa` (labels given without
 * the `in-addr.arpa` suffix, left to right) or 32 nibbles of `ip6.arpa`. Undefined when the
 * labels are not a whole address.
 */
export function reverseToIp(labels: readonly string[], zone: 'in-addr' | 'ip6'): string | undefined {
  if (zone === 'in-addr') {
    if (labels.length !== 4 || !labels.every((l) => /^(0|[1-9]\d{0,2})$/.test(l) && Number(l) <= 255)) return undefined;
    return [...labels].reverse().join('.');
  }
  if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
  const nibbles = [...labels].reverse().join('');
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4));
  return groups.join(':');
}
